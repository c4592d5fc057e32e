import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { DeviceId, UpdateId } from '../../../src/core/ids.ts';
import { selectUpdates } from '../../../src/core/policies/select.ts';
import { parsePolicy } from '../../../src/core/policies/parse.ts';
import {
  parseGzWindowParams,
  parseGzWindowSettings,
} from '../../../src/faces/gravityzone/window-settings.ts';
import { installSchedule, windowSelectionRule } from '../../../src/core/windows/model.ts';
import {
  NON,
  SCAN,
  SEC,
  daily,
  issuesOf,
  validParams,
  weekly,
  type Loose,
} from '../../core/windows/gz-helpers.ts';

const example = (): Loose =>
  JSON.parse(
    readFileSync(
      new URL('../../core/windows/fixtures/gz-update-window-example.json', import.meta.url),
      'utf8',
    ),
  );

describe('GravityZone window settings → Patchline window settings', () => {
  test('a full create request becomes the window settings', () => {
    const w = parseGzWindowParams(validParams(), 'create');
    assert.equal(w.name, 'Workstations');
    assert.equal(w.allowChangeByOtherUsers, false);
    const s = w.settings!;
    assert.deepEqual(s.download, { cachingServers: ['cache-a', 'cache-b'], directDownloadFallback: false });
    assert.equal(s.scan.enabled, true);
    assert.equal(s.scan.onNewApplications, true);
    assert.equal(s.scan.scheduleFormat, 'current');
    assert.equal(s.scan.sameScheduleForAll, false);
    assert.deepEqual(s.scan.schedule, { format: 'gravityzone-scheduler', value: weekly() });
    assert.equal(s.install.enabled, true);
    assert.equal(s.install.runMissedAsap, true);
    assert.equal(s.install.security.schedule?.format, 'gravityzone-scheduler');
    assert.deepEqual(s.install.nonSecurity.schedule?.value, {
      recurrence: 4,
      startDate: 1637258826,
      between: { startHour: 21, startMinute: 0, endHour: 23, endMinute: 59 },
      monthlyRecurrence: { every: 1, frequency: 2, frequencyDayOfWeek: 2 },
    });
    // the seed's os defaults: digits only → 1 (Windows), letters → 2 (Linux); explicit 3 → macOS
    assert.deepEqual(s.install.vendorProducts, {
      enabled: true,
      mode: 'exclude',
      pairs: [
        { os: 'windows', vendor: '65', products: ['15694'] },
        { os: 'linux', vendor: 'Inkscape', products: ['0'] },
        { os: 'macos', vendor: 'Oracle', products: ['java-11-openjdk 11'] },
      ],
    });
    assert.deepEqual(s.install.rebootPostponement, {
      mode: 'within-interval',
      afterMinutes: 30,
      message: 'Your computer restarts in 30 minutes',
      between: { start: { hour: 1, minute: 0 }, end: { hour: 5, minute: 0 } },
    });
    // patch ids are kept braced and upper case
    assert.deepEqual(s.install.manuallyApprovedPatches, [
      '{0001354A-0000-0000-0000-000000000000}',
      '{00016C6E-0000-0000-0000-000000000000}',
    ]);
  });

  test('manually approved patches follow the security schedule while security patches are enabled (U5)', () => {
    const p = validParams();
    // an invalid scheduler that the seed says is ignored: not validated, not kept
    p.settings.installPatchesSettings.updateType.manuallyApprovedPatchesSettings.scheduler = {
      recurrence: 99,
    };
    const s = parseGzWindowParams(p, 'create').settings!;
    assert.equal(s.install.manuallyApproved.schedule, null);
    assert.deepEqual(installSchedule(s, 'manuallyApproved'), s.install.security.schedule);
  });

  test('with the same schedule for all, class schedulers are ignored and every class uses the scan schedule (U4)', () => {
    const p = validParams();
    p.settings.scanPatchesSettings.useSameSchedule = true;
    p.settings.installPatchesSettings.updateType.securityPatchesSettings.scheduler = { recurrence: 'weekly' };
    delete p.settings.installPatchesSettings.updateType.nonSecurityPatchesSettings.scheduler;
    p.settings.installPatchesSettings.updateType.manuallyApprovedPatchesSettings.enabled = false;
    const s = parseGzWindowParams(p, 'create').settings!;
    assert.equal(s.scan.sameScheduleForAll, true);
    assert.deepEqual(installSchedule(s, 'security'), s.scan.schedule);
    assert.deepEqual(installSchedule(s, 'nonSecurity'), s.scan.schedule);
    assert.equal(installSchedule(s, 'manuallyApproved'), null, 'a disabled class has no install schedule');
  });

  test('useSameScheduler (the spelling of the updateType text) is read too', () => {
    const p = validParams();
    delete p.settings.scanPatchesSettings.useSameSchedule;
    p.settings.scanPatchesSettings.useSameScheduler = true;
    delete p.settings.installPatchesSettings.updateType.securityPatchesSettings.scheduler;
    assert.equal(parseGzWindowParams(p, 'create').settings!.scan.sameScheduleForAll, true);
  });

  test('manually approved patches need no schedule of their own when they are disabled (U3 decision)', () => {
    const p = validParams();
    p.settings.installPatchesSettings.updateType.securityPatchesSettings = { enabled: false };
    p.settings.installPatchesSettings.updateType.manuallyApprovedPatchesSettings = { enabled: false };
    const s = parseGzWindowParams(p, 'create').settings!;
    assert.equal(installSchedule(s, 'security'), null);
    assert.equal(installSchedule(s, 'manuallyApproved'), null);
    assert.equal(installSchedule(s, 'nonSecurity')?.format, 'gravityzone-scheduler');
  });

  test('the fallback system: oldScheduler objects are kept, days of a daily schedule ignored', () => {
    const p = validParams();
    const scan = p.settings.scanPatchesSettings;
    scan.useFallbackSchedule = true; // the example's boolean spelling
    scan.oldScheduler = { ...daily(), days: ['ignored for daily'] };
    const types = p.settings.installPatchesSettings.updateType;
    types.securityPatchesSettings.oldScheduler = { recurrence: 1 };
    types.nonSecurityPatchesSettings.oldScheduler = {
      recurrence: 3,
      startHour: 2,
      startMinute: 0,
      days: [6, 0],
    };
    const s = parseGzWindowParams(p, 'create').settings!;
    assert.equal(s.scan.scheduleFormat, 'fallback');
    assert.deepEqual(s.scan.schedule, { format: 'gravityzone-old-scheduler', value: daily() });
    assert.deepEqual(s.install.security.schedule, {
      format: 'gravityzone-old-scheduler',
      value: { recurrence: 1 },
    });
    assert.deepEqual(s.install.nonSecurity.schedule?.value, {
      recurrence: 3,
      startHour: 2,
      startMinute: 0,
      days: [6, 0],
    });
  });

  test('between.endminute, as the table spells it, is read as endMinute', () => {
    const p = validParams();
    const b = p.settings.installPatchesSettings.updateType.securityPatchesSettings.scheduler.between;
    delete b.endMinute;
    b.endminute = 45;
    const s = parseGzWindowParams(p, 'create').settings!;
    const value = s.install.security.schedule!.value as { between: unknown };
    assert.deepEqual(value.between, { startHour: 21, startMinute: 0, endHour: 23, endMinute: 45 });
  });

  test('reboot option 2 needs no interval; option 0 is the default', () => {
    const p = validParams();
    p.settings.installPatchesSettings.postponeReboot = {
      option: 2,
      afterMinutes: 10,
      afterCustomMessage: '',
    };
    assert.deepEqual(parseGzWindowParams(p, 'create').settings!.install.rebootPostponement, {
      mode: 'automatic-after',
      afterMinutes: 10,
      message: '',
    });
    delete p.settings.installPatchesSettings.postponeReboot;
    assert.deepEqual(parseGzWindowParams(p, 'create').settings!.install.rebootPostponement, {
      mode: 'user-may-postpone',
    });
  });

  test('a reboot message of exactly 128 characters and a name of exactly 80 are accepted', () => {
    const p = validParams();
    p.name = 'n'.repeat(80);
    p.settings.installPatchesSettings.postponeReboot.afterCustomMessage = 'm'.repeat(128);
    const w = parseGzWindowParams(p, 'create');
    assert.equal(w.name?.length, 80);
  });

  test('settings given as an array of one object (the seed types it "Array of objects")', () => {
    const p = validParams();
    p.settings = [p.settings];
    assert.equal(parseGzWindowParams(p, 'create').settings?.scan.enabled, true);
    p.settings[0].scanPatchesSettings.scheduler.weeklyRecurrence.every = 9;
    const { issues } = issuesOf(() => parseGzWindowParams(p, 'create'));
    assert.deepEqual(
      issues.map((i) => i.path),
      ['settings[0].scanPatchesSettings.scheduler.weeklyRecurrence.every'],
    );
  });

  test('update: only settings (as the example sends) is enough; name and allowChangeByOtherUsers are optional', () => {
    const p = validParams();
    const w = parseGzWindowParams({ id: '61974ab63bdfe97a6c34fe4d', settings: p.settings }, 'update');
    assert.equal(w.name, undefined);
    assert.equal(w.allowChangeByOtherUsers, undefined);
    assert.equal(w.settings?.install.enabled, true);
    assert.deepEqual(parseGzWindowParams({ name: ' Servers ' }, 'update'), { name: 'Servers' });
  });

  test('every problem is reported at once', () => {
    const p = validParams();
    p.name = '';
    p.settings.scanPatchesSettings.scheduler.weeklyRecurrence.every = 7;
    p.settings.installPatchesSettings.postponeReboot.afterMinutes = 5;
    p.settings.installPatchesSettings.updateType.nonSecurityPatchesSettings.scheduler.monthlyRecurrence.every = 0;
    const { issues } = issuesOf(() => parseGzWindowParams(p, 'create'));
    assert.deepEqual(
      issues.map((i) => i.path),
      [
        'name',
        `${SCAN}.scheduler.weeklyRecurrence.every`,
        'settings.installPatchesSettings.postponeReboot.afterMinutes',
        `${NON}.scheduler.monthlyRecurrence.every`,
      ],
    );
  });

  test('parseGzWindowSettings reads settings alone', () => {
    const s = parseGzWindowSettings(validParams().settings);
    assert.equal(s.install.security.enabled, true);
    assert.throws(() => parseGzWindowSettings('nope'), /settings must be an object/);
  });
});

describe("the seed's example request (repaired into JSON)", () => {
  test('as written it contradicts its own rules: useFallbackSchedule true requires the oldScheduler objects it lacks', () => {
    const req = example();
    const { issues } = issuesOf(() => parseGzWindowParams(req.params, 'update'));
    assert.deepEqual(
      issues.map((i) => i.path),
      [`${SCAN}.oldScheduler`, `${SEC}.oldScheduler`, `${NON}.oldScheduler`],
    );
  });

  test('with useFallbackSchedule false it is valid, and manually approved patches ride on the security schedule', () => {
    const req = example();
    req.params.settings.scanPatchesSettings.useFallbackSchedule = false;
    const s = parseGzWindowParams(req.params, 'update').settings!;
    assert.equal(s.install.vendorProducts.enabled, false);
    assert.equal(s.install.vendorProducts.pairs.length, 3);
    assert.deepEqual(installSchedule(s, 'security'), {
      format: 'gravityzone-scheduler',
      value: { recurrence: 1 },
    });
    assert.deepEqual(installSchedule(s, 'manuallyApproved'), installSchedule(s, 'security'));
    assert.equal(s.install.manuallyApproved.schedule, null);
    assert.equal(s.install.manuallyApprovedPatches.length, 2);
  });

  test('manuallyApprovedPatchIds where the broken example puts it (inside updateType) is accepted', () => {
    const req = example();
    const settings = req.params.settings;
    settings.scanPatchesSettings.useFallbackSchedule = 'disabled';
    settings.installPatchesSettings.updateType.manuallyApprovedPatchIds =
      settings.installPatchesSettings.manuallyApprovedPatchIds;
    delete settings.installPatchesSettings.manuallyApprovedPatchIds;
    const s = parseGzWindowParams(req.params, 'update').settings!;
    assert.deepEqual(s.install.manuallyApprovedPatches, [
      '{00016C6E-0000-0000-0000-000000000000}',
      '{0001354A-0000-0000-0000-000000000000}',
    ]);
  });
});

describe('a window as a selection rule', () => {
  test("selectUpdates with a window's install settings: classes, vendor/product exclusion by os, approvals", () => {
    const p = validParams();
    p.settings.installPatchesSettings.updateType.nonSecurityPatchesSettings = { enabled: false };
    p.settings.installPatchesSettings.updateType.securityPatchesSettings.enabled = true;
    const settings = parseGzWindowParams(p, 'create').settings!;
    const policy = parsePolicy({ name: 'from window', rule: { kind: 'all' }, targets: { devices: [7] } });
    const withRule = { ...policy, rule: windowSelectionRule(settings) };
    const u = (id: number, extra: object) => ({
      updateId: id as UpdateId,
      name: `u${id}`,
      severity: 'high' as const,
      security: true,
      optional: false,
      ...extra,
    });
    const device = { id: 7 as DeviceId, groupIds: [], osFamily: 'windows' as const };
    const result = selectUpdates(withRule, device, [
      u(1, { vendor: '65', product: '15694' }), // excluded pair for Windows
      u(2, { vendor: 'Inkscape', product: '0' }), // the Inkscape pair is for Linux: not excluded on Windows
      u(3, { security: false }), // non-security disabled
      u(4, { security: false, approval: 'approve' }), // approved: the manually approved class admits it
    ]);
    assert.deepEqual(
      result.selected.map((x) => x.updateId),
      [2, 4],
    );
    assert.deepEqual(
      result.excluded.map((x) => [x.update.updateId, x.reason]),
      [
        [1, 'vendor-product'],
        [3, 'class-disabled'],
      ],
    );
  });
});
