// Settings in the check-in behind a hash: the first check-in gets them, a check-in with the current hash
// gets none (one query, none when the device is remembered), and a change of a window, a policy or a relay makes the next check-in
// carry new settings. Also: the installing status an agent's progress report sets, and package sources.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { KyselyPlugin } from 'kysely';
import { flushLastSeen, forgetDevice } from '../../../src/services/agents.ts';
import type { Store } from '../../../src/store/db.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';

/** the store with every executed statement counted (a Kysely plugin on the same driver) */
function countingStore(store: Store) {
  const counter = { queries: 0 };
  const plugin: KyselyPlugin = {
    transformQuery: (a) => a.node,
    transformResult: async (a) => {
      counter.queries++;
      return a.result;
    },
  };
  const db = store.db.withPlugin(plugin);
  const counted: Store = { ...store, db, transaction: (fn) => db.transaction().execute(fn) };
  return { counted, counter };
}

/** GravityZone's weekly scheduler inside the native window settings, hours UTC on the device's clock */
const gzWeekly = (days: number[], from: number, to: number) => ({
  format: 'gravityzone-scheduler',
  value: {
    recurrence: 3,
    startDate: 1767225600, // 2026-01-01
    between: { startHour: from, startMinute: 0, endHour: to, endMinute: 0 },
    weeklyRecurrence: { every: 1, days },
  },
});
const windowSettings = (o: { cachingServers?: string[]; direct?: boolean; reboot?: unknown } = {}) => ({
  scan: { enabled: true, scheduleFormat: 'current', sameScheduleForAll: true, schedule: gzWeekly([2], 1, 5) },
  install: {
    enabled: true,
    security: { enabled: true },
    nonSecurity: { enabled: false },
    manuallyApproved: { enabled: false },
    rebootPostponement: o.reboot ?? { mode: 'user-may-postpone' },
  },
  download: { cachingServers: o.cachingServers ?? [], directDownloadFallback: o.direct ?? true },
});

eachDriver('agent settings', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let orgId: number;
  let groupId: number;
  let token: string;
  let counter: { queries: number };
  let store: Store;

  before(async () => {
    ({ counted: store, counter } = countingStore(h.store()));
    app = await startApp(store);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    orgId = (await admin.post('/api/v1/organizations', { name: 'Settings Ltd' })).body.id;
    groupId = (await admin.post('/api/v1/groups', { organizationId: orgId, name: 'Servers' })).body.id;
    token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { name: 'servers', groupId }))
      .body.token;
  });
  after(async () => app?.close());

  const enroll = async (name: string) => {
    const e = await client(app).post('/agent/v1/enroll', { token, name, osFamily: 'linux', timeZone: 'UTC' });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    return { id: e.body.deviceId as number, agent: client(app, e.body.credential) };
  };
  /** writes the buffered last-seen stamps now (so none is written, and counted, later) and counts anew */
  const countFromHere = async () => {
    await flushLastSeen(store);
    counter.queries = 0;
  };
  /** a check-in after the credential cache expired (as any check-in more than 3 s after the last) */
  const checkIn = async (d: { id: number; agent: Client }, body: Record<string, unknown> = {}) => {
    forgetDevice(store, d.id);
    const r = await d.agent.post('/agent/v1/checkin', body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };

  test('the first check-in gets the settings, the next with their hash none, and a change brings new ones', async () => {
    const d = await enroll('hash-1');
    const first = await checkIn(d);
    assert.match(first.settingsHash, /^[\w-]{20,}$/);
    const s = first.settings;
    assert.equal(s.checkinIntervalSeconds, 300);
    assert.equal(s.timeZone, 'UTC');
    assert.deepEqual(s.maintenance, { windows: [], overridePolicyIds: [], intervals: [] });
    assert.equal(s.reboot.mode, 'user-may-postpone');
    assert.deepEqual(s.packageSources, { relays: [], directDownload: true });
    const days = (Date.parse(s.horizon.end) - Date.parse(s.horizon.start)) / 86_400_000;
    assert.equal(days, 15);
    assert.ok(Date.parse(s.horizon.start) <= Date.now() && Date.now() < Date.parse(s.horizon.end));

    const same = await checkIn(d, { settingsHash: first.settingsHash });
    assert.equal(same.settingsHash, first.settingsHash);
    assert.equal('settings' in same, false, 'the same hash: no settings');
    const stale = await checkIn(d, { settingsHash: 'something-else' });
    assert.deepEqual(stale.settings, s, 'another hash: the settings again');

    // a maintenance window on the device's group: Tuesdays 01:00–05:00 (UTC, the device's zone)
    const win = await admin.post('/api/v1/maintenance-windows', {
      organizationId: orgId,
      name: 'Tuesday nights',
      settings: windowSettings({
        reboot: { mode: 'automatic-after', afterMinutes: 30, message: 'Restart soon' },
      }),
      assignments: { groups: [groupId] },
    });
    assert.equal(win.status, 201, JSON.stringify(win.body));
    const withWindow = await checkIn(d, { settingsHash: first.settingsHash });
    assert.notEqual(withWindow.settingsHash, first.settingsHash);
    const m = withWindow.settings.maintenance;
    assert.deepEqual(m.windows, [{ id: win.body.id, name: 'Tuesday nights', viaGroup: true, policyIds: [] }]);
    assert.ok(m.intervals.length >= 2, `two Tuesdays in 15 days: ${JSON.stringify(m.intervals)}`);
    for (const i of m.intervals) {
      assert.equal(new Date(i.start).getUTCDay(), 2);
      assert.deepEqual(
        [new Date(i.start).getUTCHours(), new Date(i.end).getUTCHours(), i.installs, i.windowId],
        [1, 5, true, win.body.id],
        JSON.stringify(i),
      );
    }
    assert.deepEqual(
      [
        withWindow.settings.reboot.mode,
        withWindow.settings.reboot.delayMinutes,
        withWindow.settings.reboot.message,
      ],
      ['automatic-after', 30, 'Restart soon'],
    );
    const again = await checkIn(d, { settingsHash: withWindow.settingsHash });
    assert.equal('settings' in again, false);

    // a policy targeting the group: it suppresses reboots and asks for notifications
    const pol = await admin.post('/api/v1/policies', {
      organizationId: orgId,
      name: 'Quiet servers',
      rule: { kind: 'all' },
      targets: { groups: [groupId] },
      behaviour: {
        suppressReboot: true,
        notifications: { beforeInstall: true, installMessage: 'Updates are being installed' },
      },
    });
    assert.equal(pol.status, 201, JSON.stringify(pol.body));
    const withPolicy = await checkIn(d, { settingsHash: withWindow.settingsHash });
    assert.ok(withPolicy.settings, 'a policy change brings new settings');
    assert.deepEqual(withPolicy.settings.reboot.source, { kind: 'policy', id: pol.body.id });
    assert.equal(withPolicy.settings.reboot.mode, 'never');
    assert.deepEqual(
      [withPolicy.settings.notifications.beforeInstall, withPolicy.settings.notifications.installMessage],
      [true, 'Updates are being installed'],
    );

    // a relay appears in the organization
    const relay = await admin.post('/api/v1/devices', {
      organizationId: orgId,
      name: 'cache-1',
      hostname: 'cache-1.lan',
      ipAddresses: ['10.0.0.9'],
      isRelay: true,
    });
    assert.equal(relay.status, 201, JSON.stringify(relay.body));
    const withRelay = await checkIn(d, { settingsHash: withPolicy.settingsHash });
    assert.deepEqual(withRelay.settings.packageSources.relays, [
      { deviceId: relay.body.id, name: 'cache-1', hostname: 'cache-1.lan', ipAddresses: ['10.0.0.9'] },
    ]);
    // and a change of the window itself: Thursdays instead of Tuesdays
    const thursdays = windowSettings();
    thursdays.scan.schedule = gzWeekly([4], 1, 5);
    const edited = await admin.patch(`/api/v1/maintenance-windows/${win.body.id}`, { settings: thursdays });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    const afterEdit = await checkIn(d, { settingsHash: withRelay.settingsHash });
    assert.ok(afterEdit.settings, 'a window change brings new settings');
    assert.ok(
      afterEdit.settings.maintenance.intervals.every(
        (i: { start: string }) => new Date(i.start).getUTCDay() === 4,
      ),
    );
    assert.equal(afterEdit.settings.reboot.mode, 'never', 'the policy still suppresses reboots');
    // an unrelated device change (not a relay) changes nothing
    await admin.patch(`/api/v1/devices/${relay.body.id}`, { isRelay: false });
    await admin.del(`/api/v1/policies/${pol.body.id}`);
    const later = await checkIn(d, { settingsHash: afterEdit.settingsHash });
    assert.deepEqual(later.settings.packageSources.relays, [], 'no relay any more');
    assert.equal(later.settings.reboot.mode, 'user-may-postpone', 'the policy is gone');
  });

  test('an idle check-in is one query, none when the device is remembered; a changed one computes', async () => {
    const d = await enroll('idle-count');
    const { settingsHash } = await checkIn(d);
    await countFromHere();
    const idle = await checkIn(d, { settingsHash });
    assert.equal(idle.settingsHash, settingsHash);
    assert.equal(counter.queries, 1, 'the credential lookup only');
    await countFromHere();
    assert.equal((await d.agent.post('/agent/v1/checkin', { settingsHash })).status, 200);
    assert.equal(
      counter.queries,
      0,
      'remembered device: answered from memory (the change feed brings a new job at once)',
    );
    // another organization's change does not disturb this one
    const other = (await admin.post('/api/v1/organizations', { name: 'Elsewhere' })).body.id;
    await admin.post('/api/v1/maintenance-windows', {
      organizationId: other,
      name: 'elsewhere',
      settings: windowSettings(),
    });
    await countFromHere();
    assert.equal('settings' in (await checkIn(d, { settingsHash })), false);
    assert.equal(counter.queries, 1);
    // this organization's change: the settings are computed once, then idle again
    await admin.post('/api/v1/maintenance-windows', {
      organizationId: orgId,
      name: 'unassigned',
      settings: windowSettings(),
    });
    await countFromHere();
    const changed = await checkIn(d, { settingsHash });
    assert.ok(counter.queries > 1, `computed: ${counter.queries} queries`);
    await countFromHere();
    await checkIn(d, { settingsHash: changed.settingsHash });
    assert.equal(counter.queries, 1);
  });

  test('a device in another group gets its own windows; cached settings serve an agent without a hash', async () => {
    const sub = (await admin.post('/api/v1/groups', { organizationId: orgId, name: 'Desktops' })).body.id;
    const d = await enroll('moved');
    const before = await checkIn(d);
    const win = await admin.post('/api/v1/maintenance-windows', {
      organizationId: orgId,
      name: 'Desktops only',
      settings: windowSettings(),
      assignments: { groups: [sub] },
    });
    const ignored = await checkIn(d, { settingsHash: before.settingsHash });
    assert.equal(ignored.settings?.maintenance.windows.length ?? 0, 0);
    await admin.patch(`/api/v1/devices/${d.id}`, { groupId: sub });
    const moved = await checkIn(d, { settingsHash: ignored.settingsHash });
    assert.deepEqual(
      moved.settings.maintenance.windows.map((w: { id: number }) => w.id),
      [win.body.id],
    );
    await countFromHere();
    const noHash = await checkIn(d);
    assert.deepEqual(noHash.settings, moved.settings);
    assert.equal(counter.queries, 1, 'served from the settings already computed');
  });

  test('package sources: relays in the order the download settings give, direct download only when allowed', async () => {
    const org = (await admin.post('/api/v1/organizations', { name: 'Relays Inc' })).body.id;
    const tok = (await admin.post(`/api/v1/organizations/${org}/install-tokens`, { name: 'x' })).body.token;
    const e = await client(app).post('/agent/v1/enroll', { token: tok, name: 'leaf', osFamily: 'linux' });
    const d = { id: e.body.deviceId as number, agent: client(app, e.body.credential) };
    const mk = async (name: string) =>
      (
        await admin.post('/api/v1/devices', {
          organizationId: org,
          name,
          hostname: `${name}.lan`,
          isRelay: true,
        })
      ).body.id as number;
    const a = await mk('relay-a');
    const b = await mk('relay-b');
    let s = (await checkIn(d)).settings;
    assert.deepEqual(
      s.packageSources.relays.map((r: { name: string }) => r.name),
      ['relay-a', 'relay-b'],
      'no download settings: every relay by name',
    );
    assert.equal(s.packageSources.directDownload, true);
    const root = (await admin.get(`/api/v1/organizations/${org}`)).body.rootGroupId;
    // caching servers by name or id, in priority order; one that is no relay (any more) is skipped
    const ok = await admin.post('/api/v1/maintenance-windows', {
      organizationId: org,
      name: 'download',
      settings: windowSettings({ cachingServers: ['relay-b', 'retired-relay', String(a)], direct: false }),
      assignments: { groups: [root] },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    s = (await checkIn(d)).settings;
    assert.deepEqual(
      s.packageSources.relays.map((r: { deviceId: number }) => r.deviceId),
      [b, a],
    );
    assert.equal(s.packageSources.directDownload, false);
    // a relay that stops being one disappears from the settings without breaking them
    await admin.patch(`/api/v1/devices/${b}`, { isRelay: false });
    s = (await checkIn(d)).settings;
    assert.deepEqual(
      s.packageSources.relays.map((r: { deviceId: number }) => r.deviceId),
      [a],
    );
  });
});
