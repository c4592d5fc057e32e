import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createAlertEngine, type AlertEngine } from '../../src/engine/alerts.ts';
import { Context, systemContext } from '../../src/services/context.ts';
import { record } from '../../src/services/events.ts';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import { buildWorld, type World } from '../support/world.ts';
import { weeklyWindowSettings } from '../support/windows.ts';

// The alert engine's periodic checks: a device silent longer than the threshold (the smallest of the
// organization's subscriptions, else 24 hours), a reboot pending longer than N days, a maintenance
// window's occurrence that ended (with its summary); an alert whose condition is gone closes by itself.

const HOUR = 3_600_000;

describe('alerts: periodic conditions', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let engine: AlertEngine;
  let t = new Date('2026-12-01T00:30:00Z');
  const open = async (kind: string) =>
    (await admin.get(`/api/v1/alerts?organizationId=${world.orgA.id}&kind=${kind}&state=open`)).body
      .items as { deviceName: string | null; subject: string; data: Record<string, unknown> }[];
  const all = async (kind: string) =>
    (await admin.get(`/api/v1/alerts?organizationId=${world.orgA.id}&kind=${kind}`)).body.items as {
      state: string;
      closedBy: string | null;
      closeNotes: string | null;
    }[];

  before(async () => {
    ({ store, cleanup } = await freshStore('pglite'));
    app = await startApp(store);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, store);
    engine = createAlertEngine({ store, now: () => t, checkEveryMs: 0 });
  });
  after(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('a device silent longer than the threshold; a larger threshold resolves it', async () => {
    await sql`update devices set last_seen_at = ${new Date(t.getTime() - 30 * HOUR)} where id = ${world.deviceA.id}`.execute(
      store.db,
    );
    await sql`update devices set last_seen_at = ${new Date(t.getTime() - HOUR)} where id = ${world.deviceA2.id}`.execute(
      store.db,
    );
    await engine.tick();
    const silent = await open('device.silent');
    assert.deepEqual(
      silent.map((a) => a.deviceName),
      ['web-1'],
    );
    assert.match(silent[0]!.subject, /more than 24 hours/);
    await engine.tick();
    assert.equal((await all('device.silent')).length, 1, 'one open alert per condition');
    const sub = await admin.post('/api/v1/alert-subscriptions', {
      organizationId: world.orgA.id,
      name: 'silence after two days',
      kinds: ['device.silent'],
      channel: 'email',
      recipients: ['ops@alpha.test'],
      options: { silentHours: 48 },
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    await engine.tick();
    assert.deepEqual(await open('device.silent'), []);
    const [closed] = await all('device.silent');
    assert.equal(closed!.state, 'closed');
    assert.equal(closed!.closedBy, 'system');
    assert.equal(closed!.closeNotes, 'resolved');
  });

  it('a reboot pending longer than N days, resolved when the device restarted', async () => {
    const mark = (status: string, ago: number) =>
      sql`update device_updates set status = ${status}, status_changed_at = ${new Date(t.getTime() - ago)}
        where device_id = ${world.deviceA2.id} and update_id = ${world.updates.openssl}`.execute(store.db);
    await mark('reboot_required', 3 * 24 * HOUR);
    await engine.tick();
    assert.deepEqual(await open('reboot.pending'), [], 'three days is less than the default seven');
    await mark('reboot_required', 8 * 24 * HOUR);
    await engine.tick();
    const pending = await open('reboot.pending');
    assert.deepEqual(
      pending.map((a) => a.deviceName),
      ['web-2'],
    );
    assert.match(pending[0]!.subject, /more than 7 days/);
    await mark('installed', 0);
    await engine.tick();
    assert.deepEqual(await open('reboot.pending'), []);
  });

  it('a maintenance window that ended, with what was installed and what failed during it', async () => {
    const w = await admin.post('/api/v1/maintenance-windows', {
      organizationId: world.orgA.id,
      name: 'Tuesday night',
      settings: weeklyWindowSettings({ days: [0, 1, 2, 3, 4, 5, 6], startHour: 1, endHour: 5 }),
      assignments: { groups: [world.subA.id] },
    });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    const occ = await admin.get(
      `/api/v1/maintenance-windows/${w.body.id}/occurrences?from=${t.toISOString()}&days=2`,
    );
    assert.equal(occ.status, 200, JSON.stringify(occ.body));
    const next = occ.body.occurrences.find((o: { end: string | null }) => o.end && new Date(o.end) > t);
    assert.ok(next, JSON.stringify(occ.body));
    await engine.tick(); // the check before the window ends
    assert.deepEqual(await open('window.ended'), []);
    // during the window: one install succeeded, one failed
    const during = new Context(
      store,
      systemContext(store, 'agent').actor,
      () => new Date(new Date(next.start).getTime() + HOUR),
    );
    for (const [updateId, to] of [
      [world.updates.openssl, 'installed'],
      [world.updates.tzdata, 'failed'],
    ] as const)
      await record(during, store.db, {
        kind: 'device_update.status',
        organizationId: world.orgA.id,
        subjectType: 'device_update',
        subjectId: `${world.deviceA.id}:${updateId}`,
        deviceId: world.deviceA.id,
        updateId,
        data: { from: 'installing', to },
      });
    t = new Date(new Date(next.end).getTime() + HOUR);
    await engine.tick();
    const ended = await open('window.ended');
    assert.equal(ended.length, 1, JSON.stringify(ended));
    assert.equal(ended[0]!.data.window, 'Tuesday night');
    assert.equal(ended[0]!.data.end, new Date(next.end).toISOString());
    assert.deepEqual([ended[0]!.data.installed, ended[0]!.data.failed, ended[0]!.data.devices], [1, 1, 1]);
    await engine.tick();
    assert.equal((await open('window.ended')).length, 1, 'reported once');
    assert.equal((await open('install.failed')).length, 1, 'the failure is an alert of its own');
  });
});
