// The agent settings' pure parts: a window's install intervals say exactly what the server's gate
// (services/windows.ts windowAllowsAt) says at every instant; the agent's reading of its settings
// (installs allowed, the next opening, the reboot plan) and how several windows and policies combine.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAgentSettings,
  mergeDownload,
  settingsHorizon,
  windowInstallSpans,
  type PolicySource,
  type WindowSource,
} from '../../src/core/agent-settings/build.ts';
import { openSpans, subtractSpans, unionSpans } from '../../src/core/agent-settings/intervals.ts';
import {
  installAllowedAt,
  nextInstallOpening,
  planReboot,
  type AgentSettings,
} from '../../src/core/agent-settings/model.ts';
import { parsePolicy } from '../../src/core/policies/parse.ts';
import { fromAltirisXml } from '../../src/core/schedule/altiris.ts';
import type { Schedule } from '../../src/core/schedule/model.ts';
import { isWithinWindow } from '../../src/core/schedule/occurrences.ts';
import { parseWindowSettings, windowAllowsAt } from '../../src/services/windows.ts';

const H = 3_600_000;
const DAY = 24 * H;
const t = (iso: string) => Date.parse(iso);

const gz = (value: unknown) => ({ format: 'gravityzone-scheduler', value });
const gzOld = (value: unknown) => ({ format: 'gravityzone-old-scheduler', value });
const weekly = (days: number[], from: [number, number], to: [number, number], every = 1) =>
  gz({
    recurrence: 3,
    startDate: 1767225600, // 2026-01-01
    between: { startHour: from[0], startMinute: from[1], endHour: to[0], endMinute: to[1] },
    weeklyRecurrence: { every, days },
  });
const lastFriday = gz({
  recurrence: 4,
  startDate: 1767225600,
  between: { startHour: 22, startMinute: 30, endHour: 23, endMinute: 45 },
  monthlyRecurrence: { every: 1, frequency: 5, frequencyDayOfWeek: 5 },
});

/** native window settings: one schedule for everything, or one per class */
function window(
  o: {
    schedule?: unknown;
    security?: unknown;
    nonSecurity?: unknown;
    installEnabled?: boolean;
    reboot?: unknown;
    download?: { cachingServers: string[]; directDownloadFallback: boolean };
  } = {},
) {
  const same = o.schedule !== undefined;
  return parseWindowSettings({
    scan: {
      enabled: true,
      scheduleFormat:
        (o.schedule as { format?: string } | undefined)?.format === 'gravityzone-old-scheduler'
          ? 'fallback'
          : 'current',
      sameScheduleForAll: same,
      schedule: o.schedule ?? weekly([1], [3, 0], [4, 0]),
    },
    install: {
      enabled: o.installEnabled ?? true,
      security: { enabled: o.installEnabled ?? true, ...(same ? {} : { schedule: o.security }) },
      nonSecurity: {
        enabled: o.nonSecurity !== undefined,
        ...(o.nonSecurity ? { schedule: o.nonSecurity } : {}),
      },
      manuallyApproved: { enabled: false },
      rebootPostponement: o.reboot ?? { mode: 'user-may-postpone' },
    },
    download: o.download ?? { cachingServers: [], directDownloadFallback: true },
  });
}

describe('window intervals agree with the server gate', () => {
  const cases: [string, ReturnType<typeof window>, string, number][] = [
    [
      'weekly Tue/Thu 01:00–05:00 over the spring DST change',
      window({ schedule: weekly([2, 4], [1, 0], [5, 0]) }),
      'Europe/Berlin',
      t('2026-03-20T00:00:00Z'),
    ],
    [
      'every 2 weeks Sunday 02:15–03:30 across the DST gap',
      window({ schedule: weekly([0], [2, 15], [3, 30], 2) }),
      'Europe/Berlin',
      t('2026-03-25T00:00:00Z'),
    ],
    [
      'monthly last Friday 22:30–23:45, autumn change',
      window({ schedule: lastFriday }),
      'America/New_York',
      t('2026-10-20T00:00:00Z'),
    ],
    [
      'security and non-security on their own schedules',
      window({ security: weekly([3], [0, 0], [2, 0]), nonSecurity: weekly([3], [1, 0], [6, 0]) }),
      'Asia/Kolkata',
      t('2026-05-01T00:00:00Z'),
    ],
    [
      'immediately: always open',
      window({ security: gz({ recurrence: 1 }) }),
      'UTC',
      t('2026-02-01T00:00:00Z'),
    ],
    [
      'oldScheduler daily: instants, never a window',
      window({ schedule: gzOld({ recurrence: 2, startHour: 3, startMinute: 0 }) }),
      'UTC',
      t('2026-02-01T00:00:00Z'),
    ],
    [
      'installs off: never',
      window({ schedule: weekly([1, 2, 3], [0, 0], [23, 0]), installEnabled: false }),
      'UTC',
      t('2026-02-01T00:00:00Z'),
    ],
  ];
  for (const [name, settings, zone, from] of cases)
    test(name, () => {
      const to = from + 15 * DAY;
      const spans = windowInstallSpans(settings, from, to, zone, 'UTC');
      const inside = (at: number) => spans.some(([a, b]) => a <= at && at < b);
      let open = 0;
      // every 13 minutes, and one minute each side of every span edge
      const probes = new Set<number>();
      for (let at = from; at < to; at += 13 * 60_000) probes.add(at);
      for (const [a, b] of spans)
        for (const x of [a - 60_000, a, a + 60_000, b - 60_000, b, b + 60_000]) probes.add(x);
      for (const at of probes) {
        if (at < from || at >= to) continue;
        const gate = windowAllowsAt(settings, new Date(at), zone);
        assert.equal(
          inside(at),
          gate,
          `${new Date(at).toISOString()}: intervals ${inside(at)}, gate ${gate}`,
        );
        if (gate) open++;
      }
      if (name.includes('never')) assert.equal(open, 0);
      else assert.ok(open > 0, 'some time is open');
    });

  test('exclusions and distribution windows of a canonical schedule', () => {
    const s: Schedule = {
      recurrence: { kind: 'days', every: 1 },
      start: '2026-01-01T20:00',
      zone: { kind: 'named', name: 'Europe/Paris' },
      end: { kind: 'never' },
      window: { start: '20:00', end: '06:00' },
      exclusions: [
        { kind: 'daily', from: '23:30', to: '00:30' },
        { kind: 'period', from: '2026-03-03T00:00', to: '2026-03-04T12:00' },
      ],
    };
    const d: Schedule = {
      recurrence: { kind: 'weekly', every: 1, days: ['mon'] },
      start: '2026-01-05T09:00',
      zone: { kind: 'device' },
      end: { kind: 'never' },
      distribution: { minutes: 90 },
    };
    for (const [sched, zone] of [
      [s, 'UTC'],
      [d, 'Pacific/Auckland'],
    ] as const) {
      const from = t('2026-02-25T00:00:00Z');
      const to = from + 15 * DAY;
      const spans = openSpans(sched, from, to, { deviceZone: zone, zone, serverZone: 'UTC' });
      assert.ok(spans.length > 0);
      for (let at = from; at < to; at += 5 * 60_000) {
        const mine = spans.some(([a, b]) => a <= at && at < b);
        const engine = isWithinWindow(sched, new Date(at), { deviceZone: zone, zone, serverZone: 'UTC' });
        assert.equal(mine, engine, new Date(at).toISOString());
      }
    }
  });

  test('span arithmetic', () => {
    assert.deepEqual(
      unionSpans([
        [5, 7],
        [1, 3],
        [3, 4],
        [6, 9],
      ]),
      [
        [1, 4],
        [5, 9],
      ],
    );
    assert.deepEqual(
      subtractSpans(
        [
          [0, 10],
          [20, 30],
        ],
        [
          [2, 3],
          [8, 22],
          [25, 40],
        ],
      ),
      [
        [0, 2],
        [3, 8],
        [22, 25],
      ],
    );
  });
});

// ---- building and reading the settings ------------------------------------------------------------

const policy = (id: number, behaviour: Record<string, unknown>): PolicySource => ({
  id,
  behaviour: parsePolicy({ name: `p${id}`, rule: { kind: 'all' }, behaviour }).behaviour,
});
const src = (
  id: number,
  settings: ReturnType<typeof window>,
  groupDepth: number | null,
  policyIds: number[] = [],
): WindowSource => ({ id, name: `w${id}`, settings, groupDepth, policyIds });
const FROM = t('2026-06-01T00:00:00Z'); // a Monday
const build = (windows: WindowSource[], policies: PolicySource[] = []) =>
  buildAgentSettings({
    checkinIntervalSeconds: 300,
    zone: 'UTC',
    serverZone: 'UTC',
    horizon: { from: FROM, to: FROM + 15 * DAY },
    windows,
    policies,
    packageSources: { relays: [], directDownload: true },
  });

describe('reading the settings on the agent', () => {
  const mondays = window({ schedule: weekly([1], [3, 0], [4, 0]) });
  const tuesdays = window({ schedule: weekly([2], [3, 0], [4, 0]) });
  const monday3 = FROM + 3 * H + 30 * 60_000;
  const tuesday3 = FROM + DAY + 3 * H + 30 * 60_000;

  test('no window: installs any time', () => {
    const s = build([]);
    assert.equal(installAllowedAt(s, FROM + 5 * H), true);
    assert.equal(nextInstallOpening(s, FROM + 5 * H), FROM + 5 * H);
  });

  test("a group's window gates every install; a policy's window only that policy's; an override policy none", () => {
    const s = build(
      [src(1, mondays, 0), src(2, tuesdays, null, [10, 11])],
      [policy(10, {}), policy(11, { overrideMaintenanceWindows: true })],
    );
    assert.deepEqual(s.maintenance.windows, [
      { id: 1, name: 'w1', viaGroup: true, policyIds: [] },
      { id: 2, name: 'w2', viaGroup: false, policyIds: [10] },
    ]);
    assert.deepEqual(s.maintenance.overridePolicyIds, [11]);
    // a job without a policy: every window applies
    assert.deepEqual(
      [installAllowedAt(s, monday3), installAllowedAt(s, tuesday3), installAllowedAt(s, FROM + 10 * H)],
      [true, true, false],
    );
    // policy 10's job: its window or the group's; another policy's job: the group's only
    assert.equal(installAllowedAt(s, tuesday3, 10), true);
    assert.equal(installAllowedAt(s, tuesday3, 99), false);
    assert.equal(installAllowedAt(s, monday3, 99), true);
    assert.equal(installAllowedAt(s, FROM + 10 * H, 11), true, 'policy 11 overrides windows');
    assert.equal(nextInstallOpening(s, FROM + 5 * H, 99), FROM + 7 * DAY + 3 * H, 'next Monday 03:00');
    assert.equal(nextInstallOpening(s, FROM + 5 * H), FROM + DAY + 3 * H, 'Tuesday 03:00');
    assert.equal(nextInstallOpening(s, FROM + 20 * DAY), null, 'beyond the horizon nothing opens');
  });

  test('reboot: a suppressing policy wins, then the first automatic postponement, then autoReboot, else the user', () => {
    const auto = window({
      schedule: weekly([1], [3, 0], [4, 0]),
      reboot: { mode: 'automatic-after', afterMinutes: 30, message: 'in 30' },
    });
    const inInterval = window({
      schedule: weekly([1], [3, 0], [4, 0]),
      reboot: {
        mode: 'within-interval',
        afterMinutes: 10,
        message: 'tonight',
        between: { start: { hour: 22, minute: 0 }, end: { hour: 23, minute: 0 } },
      },
    });
    assert.equal(build([src(1, auto, 0)], [policy(5, { suppressReboot: true })]).reboot.mode, 'never');
    assert.equal(planReboot(build([src(1, auto, 0)], [policy(5, { suppressReboot: true })]), monday3), null);
    const nearest = build([src(2, inInterval, 1), src(1, auto, 0)]);
    assert.deepEqual(
      [nearest.reboot.mode, nearest.reboot.source],
      ['automatic-after', { kind: 'window', id: 1 }],
      "the device's own group first",
    );
    assert.deepEqual(planReboot(nearest, monday3), {
      announceAt: monday3,
      rebootAt: monday3 + 30 * 60_000,
      announce: true,
      message: 'in 30',
    });
    const evening = build([src(2, inInterval, 0)]);
    assert.equal(evening.reboot.intervals.length, 15);
    assert.ok(
      evening.maintenance.intervals.some(
        (i) => i.reboots && !i.installs && i.start === '2026-06-01T22:00:00.000Z',
      ),
    );
    assert.deepEqual(planReboot(evening, monday3), {
      announceAt: FROM + 22 * H,
      rebootAt: FROM + 22 * H + 10 * 60_000,
      announce: true,
      message: 'tonight',
    });
    const inside = FROM + 22 * H + 55 * 60_000;
    assert.equal(
      planReboot(evening, inside)?.rebootAt,
      FROM + 23 * H - 1000,
      'never after the interval ends',
    );
    const immediate = build(
      [src(1, mondays, 0)],
      [policy(3, { autoReboot: true, notifications: { beforeReboot: true, rebootMessage: 'bye' } })],
    );
    assert.deepEqual(planReboot(immediate, monday3), {
      announceAt: monday3,
      rebootAt: monday3,
      announce: true,
      message: 'bye',
    });
    const user = build([src(1, mondays, 0)]);
    assert.deepEqual([user.reboot.mode, planReboot(user, monday3)?.rebootAt], ['user-may-postpone', null]);
  });

  test('notifications and download settings combine over the sources', () => {
    const s = build(
      [],
      [
        policy(7, {
          notifications: {
            beforeInstall: true,
            installMessage: 'seven',
            deferralPeriodsHours: [1, 4],
            maxDeferrals: 5,
          },
        }),
        policy(4, {
          notifications: {
            beforeReboot: true,
            rebootMessage: 'four',
            deferralPeriodsHours: [2],
            maxDeferrals: 2,
            rebootReminderMessage: 'reminder four',
          },
        }),
        policy(9, { notifications: { progressMessage: 'progress nine', deferralMessage: 'deferred nine' } }),
      ],
    );
    assert.deepEqual(s.notifications, {
      beforeInstall: true,
      beforeReboot: true,
      installMessage: 'seven',
      rebootMessage: 'four',
      installMessageMac: null,
      rebootMessageMac: null,
      deferralPeriodsHours: [2],
      maxDeferrals: 2,
      progressMessage: 'progress nine',
      rebootReminderMessage: 'reminder four',
      deferralMessage: 'deferred nine',
    });
    const w = (servers: string[], direct: boolean) =>
      window({
        schedule: weekly([1], [3, 0], [4, 0]),
        download: { cachingServers: servers, directDownloadFallback: direct },
      });
    assert.deepEqual(
      mergeDownload(
        [src(2, w(['b', 'a'], true), null, [1]), src(1, w(['c', 'b'], true), 0)],
        [policy(1, { download: { cachingServers: ['d'], directDownloadFallback: false } })],
      ),
      { cachingServers: ['c', 'b', 'a', 'd'], directDownloadFallback: false },
    );
    assert.deepEqual(mergeDownload([], []), { cachingServers: [], directDownloadFallback: true });
  });

  test('notify and reboot schedules become instants over the horizon; Windows Update from the first policy', () => {
    const daily8 = fromAltirisXml(
      '<schedule start="2026-01-01" tz="Local"><trigger dates="" months="" at="08:00:00" exact="True" type="Daily" repetition="" weekdays="" weeks="" duration=""/></schedule>',
    );
    const weekly22 = fromAltirisXml(
      '<schedule start="2026-01-01" tz="Local"><trigger dates="" months="" at="22:00:00" exact="True" type="Weekly" repetition="" weekdays="Wed" weeks="" duration=""/></schedule>',
    );
    const wu = { configure: true, autoUpdate: false, peerToPeer: true, nonOsUpdates: true };
    const s = build(
      [],
      [
        policy(5, { notifySchedule: daily8, windowsUpdate: { configure: false } }),
        policy(3, { rebootSchedule: weekly22, windowsUpdate: wu }),
      ],
    );
    assert.equal(s.schedules.notify.length, 15);
    assert.deepEqual(s.schedules.notify.slice(0, 2), [
      '2026-06-01T08:00:00.000Z',
      '2026-06-02T08:00:00.000Z',
    ]);
    // 2026-06-01 is a Monday: the Wednesdays of the horizon
    assert.deepEqual(s.schedules.reboot, ['2026-06-03T22:00:00.000Z', '2026-06-10T22:00:00.000Z']);
    assert.deepEqual(s.windowsUpdate, {
      configure: true,
      autoUpdate: false,
      peerToPeer: true,
      peerToPeerOverInternet: false,
      nonOsUpdates: true,
      policyId: 3,
    });
    const none = build([], [policy(2, {})]);
    assert.deepEqual([none.schedules, none.windowsUpdate], [{ notify: [], reboot: [] }, null]);
  });

  test('the horizon moves per device once a day, at a device-specific hour', () => {
    const now = t('2026-06-10T12:34:00Z');
    const a = settingsHorizon(now, 1);
    const b = settingsHorizon(now, 13);
    assert.ok(a.from <= now && now < a.from + DAY && a.to - a.from === 15 * DAY);
    assert.equal(new Date(a.from).getUTCHours(), 1);
    assert.equal(new Date(b.from).getUTCHours(), 13);
    assert.equal(settingsHorizon(now + H, 1).epoch, a.epoch);
    assert.equal(settingsHorizon(a.from + DAY, 1).epoch, a.epoch + 1);
  });

  test('settings are plain data: the same input gives the same JSON', () => {
    const one: AgentSettings = build([src(1, mondays, 0)], [policy(2, {})]);
    assert.equal(JSON.stringify(one), JSON.stringify(build([src(1, mondays, 0)], [policy(2, {})])));
  });
});
