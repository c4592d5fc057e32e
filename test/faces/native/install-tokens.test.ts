import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

// Install tokens through the native API: create (shown once), list (never the token), revoke (enrolling
// with it then fails; devices enrolled keep working); a caller scoped to a group sees its group's tokens.
eachDriver('install tokens API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  test('create, list, revoke; a revoked token enrolls nothing', async () => {
    const made = await admin.post(`/api/v1/organizations/${w.orgA.id}/install-tokens`, { name: 'laptops' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const inGroup = await admin.post(`/api/v1/organizations/${w.orgA.id}/install-tokens`, {
      name: 'web servers',
      groupId: w.subA.id,
    });
    const list = await admin.get(`/api/v1/organizations/${w.orgA.id}/install-tokens`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const mine = list.body.items.filter((t: { id: number }) =>
      [made.body.id, inGroup.body.id].includes(t.id),
    );
    assert.deepEqual(
      mine.map((t: { name: string; groupId: number | null; active: boolean; revokedAt: null }) => [
        t.name,
        t.groupId,
        t.active,
        t.revokedAt,
      ]),
      [
        ['laptops', null, true, null],
        ['web servers', w.subA.id, true, null],
      ],
    );
    assert.doesNotMatch(JSON.stringify(list.body), new RegExp(made.body.token));
    const enrolled = await client(app).post('/agent/v1/enroll', { token: made.body.token, name: 'lap-1' });
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));

    const revoked = await admin.post(`/api/v1/install-tokens/${made.body.id}/revoke`);
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.equal(revoked.body.active, false);
    assert.ok(revoked.body.revokedAt);
    const again = await client(app).post('/agent/v1/enroll', { token: made.body.token, name: 'lap-2' });
    assert.equal(again.status, 401);
    const checkin = await client(app, enrolled.body.credential).post('/agent/v1/checkin', {});
    assert.equal(checkin.status, 200, 'the device enrolled before keeps its credential');
    const twice = await admin.post(`/api/v1/install-tokens/${made.body.id}/revoke`);
    assert.equal(twice.status, 200);
    assert.equal(twice.body.revokedAt, revoked.body.revokedAt);
    assert.equal((await admin.post('/api/v1/install-tokens/999999/revoke')).status, 404);
    const events = await admin.get(`/api/v1/events?organizationId=${w.orgA.id}&limit=500`);
    assert.ok(events.body.items.some((e: { kind: string }) => e.kind === 'install_token.revoked'));
  });

  test('scoped callers: another organization gets 404, a group sees its own tokens, a Viewer cannot revoke', async () => {
    const t = await admin.post(`/api/v1/organizations/${w.orgA.id}/install-tokens`, { name: 'alpha-only' });
    const b = await scopedUser(admin, 'tok-bravo', w.orgB.id, 'Administrator');
    const bravo = await signIn(app, 'tok-bravo', b.password);
    assert.equal((await bravo.get(`/api/v1/organizations/${w.orgA.id}/install-tokens`)).status, 404);
    assert.equal((await bravo.post(`/api/v1/install-tokens/${t.body.id}/revoke`)).status, 404);
    const g = await scopedUser(admin, 'tok-group', w.orgA.id, 'Administrator', w.subA.id);
    const grp = await signIn(app, 'tok-group', g.password);
    const seen = await grp.get(`/api/v1/organizations/${w.orgA.id}/install-tokens`);
    assert.equal(seen.status, 200);
    assert.ok(seen.body.items.every((x: { groupId: number | null }) => x.groupId === w.subA.id));
    assert.equal((await grp.post(`/api/v1/install-tokens/${t.body.id}/revoke`)).status, 404);
    const v = await scopedUser(admin, 'tok-viewer', w.orgA.id, 'Viewer');
    const viewer = await signIn(app, 'tok-viewer', v.password);
    assert.equal((await viewer.get(`/api/v1/organizations/${w.orgA.id}/install-tokens`)).status, 200);
    assert.equal((await viewer.post(`/api/v1/install-tokens/${t.body.id}/revoke`)).status, 403);
    const after = await admin.get(`/api/v1/organizations/${w.orgA.id}/install-tokens`);
    assert.ok(after.body.items.find((x: { id: number }) => x.id === t.body.id).active);
  });
});
