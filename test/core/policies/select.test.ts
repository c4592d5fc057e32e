import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BulletinId, DeviceId, GroupId, UpdateId } from '../../../src/core/ids.ts';
import type {
  CandidateUpdate,
  DeviceFacts,
  DeviceFilterId,
  ExclusionReason,
} from '../../../src/core/policies/model.ts';
import { parsePolicy } from '../../../src/core/policies/parse.ts';
import { selectUpdates } from '../../../src/core/policies/select.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const device: DeviceFacts = {
  id: 7 as DeviceId,
  groupIds: [3 as GroupId, 1 as GroupId], // its group and the group's parent
  osFamily: 'windows',
  deviceFilterIds: [9 as DeviceFilterId],
};

// A Windows device's missing updates.
const U = {
  defender: {
    updateId: 1 as UpdateId,
    name: 'Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.403.1)',
    kb: 'KB2267602',
    vendor: 'Microsoft',
    product: 'Microsoft Defender Antivirus',
    severity: 'unknown',
    classification: 'Definition Updates',
    security: false,
    optional: false,
    patchSource: 'windowsupdate',
  },
  cumulative: {
    updateId: 2 as UpdateId,
    bulletinId: 20 as BulletinId,
    name: '2024-01 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5034123)',
    kb: '5034123',
    vendor: 'Microsoft',
    product: 'Windows 11',
    severity: 'critical',
    classification: 'Security Updates',
    security: true,
    optional: false,
    patchSource: 'windowsupdate',
  },
  preview: {
    updateId: 3 as UpdateId,
    name: '2024-01 Cumulative Update Preview for .NET Framework (KB5034467)',
    kb: 'KB5034467',
    vendor: 'Microsoft',
    product: '.NET Framework',
    severity: 'none',
    security: false,
    optional: true,
    patchSource: 'windowsupdate',
  },
  firefox: {
    updateId: 4 as UpdateId,
    bulletinId: 40 as BulletinId,
    name: 'Mozilla Firefox 128.0',
    package: 'firefox',
    version: '128.0',
    vendor: 'Mozilla',
    product: 'Firefox',
    severity: 'high',
    security: true,
    optional: false,
    patchSource: 'thirdparty',
  },
  zip: {
    updateId: 5 as UpdateId,
    bulletinId: 50 as BulletinId,
    name: '7-Zip 24.07 (x64)',
    package: '7zip',
    vendor: 'Igor Pavlov',
    product: '7-Zip',
    severity: 'medium',
    security: true,
    optional: false,
    patchSource: 'thirdparty',
  },
} satisfies Record<string, CandidateUpdate>;
const ALL: readonly CandidateUpdate[] = Object.values(U);

const policy = (rule: Loose, extra: Loose = {}) =>
  parsePolicy({ name: 'p', rule, targets: { groups: [1] }, ...extra });

function run(
  rule: Loose,
  candidates: readonly CandidateUpdate[] = ALL,
  extra: Loose = {},
  dev: DeviceFacts = device,
) {
  const r = selectUpdates(policy(rule, extra), dev, candidates);
  return {
    selected: r.selected.map((u) => u.updateId as number),
    excluded: Object.fromEntries(r.excluded.map((e) => [e.update.updateId, e.reason])) as Record<
      number,
      ExclusionReason
    >,
    details: r.excluded.map((e) => e.detail),
    targeted: r.targeted,
  };
}

const withApproval = (u: CandidateUpdate, approval: CandidateUpdate['approval']): CandidateUpdate => ({
  ...u,
  approval,
});

describe('selectUpdates: rule kinds', () => {
  test('all: every update except the optional one', () => {
    assert.deepEqual(run({ kind: 'all' }), {
      selected: [1, 2, 4, 5],
      excluded: { 3: 'optional' },
      details: ['optional updates are not included'],
      targeted: true,
    });
  });

  test('kept lists are not applied: the rule selects as without them', () => {
    assert.deepEqual(
      run({ kind: 'all', keptLists: { patterns: ['*KB2267602*'], severities: ['critical'] } }),
      run({ kind: 'all' }),
    );
  });

  test('all with includeOptional: the optional update too', () => {
    assert.deepEqual(run({ kind: 'all', includeOptional: true }).selected, [1, 2, 3, 4, 5]);
  });

  test("exclude (Automox 'Patch All Except') with the seed's patterns", () => {
    const r = run({ kind: 'exclude', patterns: ['*KB2267602*', '*Exclude This Too*'] });
    assert.deepEqual(r.selected, [2, 4, 5]);
    assert.equal(r.excluded[1], 'excluded-by-pattern');
    assert.ok(r.details.includes('matches the exclude pattern "*KB2267602*"'));
  });

  test('include (Patch Only) matches name, KB (either spelling) or package, case-insensitively', () => {
    assert.deepEqual(run({ kind: 'include', patterns: ['kb5034123'] }).selected, [2], 'KB from "5034123"');
    assert.deepEqual(run({ kind: 'include', patterns: ['FIREFOX'] }).selected, [4], 'package name');
    assert.deepEqual(
      run({ kind: 'include', patterns: ['7-zip ??.?? (x64)'] }).selected,
      [5],
      '? in the name',
    );
    const r = run({ kind: 'include', patterns: ['*cumulative update*'] });
    assert.deepEqual(r.selected, [2]);
    assert.deepEqual(r.excluded, { 1: 'not-included', 3: 'optional', 4: 'not-included', 5: 'not-included' });
  });

  test('severity (Patch by Severity)', () => {
    const r = run({ kind: 'severity', severities: ['critical', 'high'] });
    assert.deepEqual(r.selected, [2, 4]);
    assert.deepEqual(r.excluded, { 1: 'severity', 3: 'severity', 5: 'severity' });
    assert.ok(r.details.includes('severity medium is not one of critical, high'));
    assert.deepEqual(run({ kind: 'severity', severities: ['unknown'] }).selected, [1]);
  });

  test("advanced: the seed's two lines narrow together", () => {
    const r = run({ kind: 'advanced', filters: ['patch-source is windowsupdate', 'severity >= medium'] });
    assert.deepEqual(r.selected, [2]);
    assert.deepEqual(r.excluded, {
      1: 'advanced-filter',
      3: 'advanced-filter',
      4: 'advanced-filter',
      5: 'advanced-filter',
    });
    assert.ok(
      r.details.includes('fails the filter line "severity greater-than-or-equal-to medium"'),
      'the first failing line is named',
    );
    assert.ok(r.details.includes('fails the filter line "patch-source is windowsupdate"'));
  });

  test('advanced: vendor and product lines', () => {
    assert.deepEqual(
      run({ kind: 'advanced', filters: ['vendor is-not microsoft', 'product matches *zip*'] }).selected,
      [5],
    );
  });

  test('manual: only approved updates', () => {
    const r = run({ kind: 'manual' }, [
      withApproval(U.firefox, 'approve'),
      U.zip,
      withApproval(U.cumulative, undefined),
    ]);
    assert.deepEqual(r.selected, [4]);
    assert.deepEqual(r.excluded, { 5: 'not-approved', 2: 'not-approved' });
  });

  test('list: listed updates and updates of listed bulletins', () => {
    const r = run({ kind: 'list', updates: [1], bulletins: [50] });
    assert.deepEqual(r.selected, [1, 5]);
    assert.deepEqual(r.excluded, { 2: 'not-listed', 3: 'not-listed', 4: 'not-listed' });
  });
});

describe('selectUpdates: refinements', () => {
  test('vendor/product include: only the listed vendor/products', () => {
    const r = run({
      kind: 'all',
      vendorProducts: {
        mode: 'include',
        pairs: [{ vendor: 'mozilla', products: ['Fire*'] }, { vendor: 'Igor*' }],
      },
    });
    assert.deepEqual(r.selected, [4, 5]);
    assert.equal(r.excluded[2], 'vendor-product');
  });

  test('vendor/product exclude, and a pair for another os does not apply', () => {
    const rule = {
      kind: 'all',
      vendorProducts: {
        mode: 'exclude',
        pairs: [
          { os: 'windows', vendor: 'Microsoft', products: ['Windows 11'] },
          { os: 'macos', vendor: 'Mozilla' },
        ],
      },
    };
    const onWindows = run(rule);
    assert.deepEqual(onWindows.selected, [1, 4, 5]);
    assert.equal(onWindows.excluded[2], 'vendor-product');
    const onMac = run(rule, ALL, {}, { ...device, osFamily: 'macos' });
    assert.deepEqual(onMac.selected, [1, 2, 5]);
    assert.equal(onMac.excluded[4], 'vendor-product');
  });

  test('classes: security only; an approved non-security update passes through the manually-approved class', () => {
    const classes = { security: true, nonSecurity: false, manuallyApproved: true };
    const r = run({ kind: 'all', classes }, [
      U.cumulative,
      U.defender,
      withApproval({ ...U.defender, updateId: 11 as UpdateId }, 'approve'),
    ]);
    assert.deepEqual(r.selected, [2, 11]);
    assert.deepEqual(r.excluded, { 1: 'class-disabled' });
    assert.deepEqual(r.details, ['non-security updates are not enabled and the update is not approved']);
    const strict = run({ kind: 'all', classes: { ...classes, manuallyApproved: false } }, [
      withApproval(U.defender, 'approve'),
    ]);
    assert.deepEqual(strict.excluded, { 1: 'class-disabled' });
  });

  test('an approved optional update is installed even when optional updates are not included', () => {
    assert.deepEqual(run({ kind: 'all' }, [withApproval(U.preview, 'approve')]).selected, [3]);
  });
});

describe('selectUpdates: approvals on top of the rule', () => {
  test("'ignore' always excludes, even what the rule lists explicitly", () => {
    const r = run({ kind: 'list', updates: [2] }, [withApproval(U.cumulative, 'ignore')]);
    assert.deepEqual(r.excluded, { 2: 'ignored' });
  });

  test("'ignore' excludes under the manual rule too", () => {
    assert.deepEqual(run({ kind: 'manual' }, [withApproval(U.zip, 'ignore')]).excluded, { 5: 'ignored' });
  });

  test("'none' (do nothing) keeps the update out although the rule selects it; undefined lets the rule decide", () => {
    const r = run({ kind: 'all' }, [withApproval(U.zip, 'none'), withApproval(U.firefox, undefined)]);
    assert.deepEqual(r.selected, [4]);
    assert.deepEqual(r.excluded, { 5: 'do-nothing' });
  });

  test("'approve' does not override the rule's own filters", () => {
    const r = run({ kind: 'exclude', patterns: ['*firefox*'] }, [withApproval(U.firefox, 'approve')]);
    assert.deepEqual(r.excluded, { 4: 'excluded-by-pattern' });
    const s = run({ kind: 'severity', severities: ['critical'] }, [withApproval(U.zip, 'approve')]);
    assert.deepEqual(s.excluded, { 5: 'severity' });
  });
});

describe('selectUpdates: targets and the enabled switch', () => {
  test('targeted through a parent group, the device itself, or a saved filter', () => {
    assert.equal(run({ kind: 'all' }, ALL, { targets: { groups: [1] } }).targeted, true);
    assert.equal(run({ kind: 'all' }, ALL, { targets: { devices: [7] } }).targeted, true);
    assert.equal(run({ kind: 'all' }, ALL, { targets: { deviceFilter: 9 } }).targeted, true);
  });

  test('a device the policy does not target gets nothing', () => {
    const r = run({ kind: 'all' }, [U.zip], { targets: { groups: [2], devices: [8], deviceFilter: 10 } });
    assert.equal(r.targeted, false);
    assert.deepEqual(r.excluded, { 5: 'not-targeted' });
    assert.deepEqual(r.details, ['the policy does not target device 7']);
  });

  test('a disabled policy selects nothing', () => {
    const r = run({ kind: 'all' }, [U.zip], { enabled: false });
    assert.deepEqual(r.selected, []);
    assert.deepEqual(r.excluded, { 5: 'policy-disabled' });
  });

  test('every candidate appears exactly once, selected or excluded', () => {
    const r = selectUpdates(policy({ kind: 'severity', severities: ['high', 'critical'] }), device, ALL);
    assert.equal(r.selected.length + r.excluded.length, ALL.length);
    const ids = [...r.selected.map((u) => u.updateId), ...r.excluded.map((e) => e.update.updateId)].sort();
    assert.deepEqual(ids, [1, 2, 3, 4, 5]);
  });
});
