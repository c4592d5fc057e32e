import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { systemContext } from '../../../src/services/context.ts';
import { deleteUser, updateUser } from '../../../src/services/identity.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { kaseyaSignIn } from '../kaseya/support.ts';
import { kcall } from '../kaseya/request.ts';

// Nobody changes their own role or scope, and the installation keeps an administrator (an enabled user
// whose role has administer and whose scope covers every organization): services/identity.ts, through
// every face that changes users and roles.
eachDriver('administrators', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let adminId: number;
  let roles: Record<string, number>;
  let everything: number;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    adminId = (await admin.get('/api/v1/me')).body.userId;
    roles = Object.fromEntries(
      (await admin.get('/api/v1/roles?limit=100')).body.items.map((r: { name: string; id: number }) => [
        r.name,
        r.id,
      ]),
    );
    everything = (await admin.get('/api/v1/users/' + adminId)).body.scopeId;
  });

  const footprint = async () =>
    (
      await sql<Record<string, unknown>>`select
        (select count(*)::int from events) as events,
        (select json_agg(json_build_object('id', id, 'role', role_id, 'scope', scope_id, 'disabled', disabled)
          order by id) from users) as users,
        (select json_agg(json_build_object('id', id, 'privileges', privileges) order by id) from roles) as roles,
        (select json_agg(json_build_object('id', id, 'all', all_organizations) order by id) from scopes) as scopes`.execute(
        h.store().db,
      )
    ).rows[0];

  test('an administrator cannot change their own role or scope, on the native API or Kaseya', async () => {
    const narrow = await admin.post('/api/v1/scopes', { name: 'narrow', entries: [] });
    assert.equal(narrow.status, 201, JSON.stringify(narrow.body));
    const kaseya = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
    const before = await footprint();
    for (const body of [{ roleId: roles.Viewer }, { scopeId: narrow.body.id }]) {
      const r = await admin.patch(`/api/v1/users/${adminId}`, body);
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.match(r.body.detail, /you cannot change your own (role|scope)/);
    }
    const add = await kcall(app, 'PUT', `/api/v1.0/system/roles/${roles.Viewer}/users/${adminId}`, kaseya);
    assert.equal(add.status, 403, add.text);
    assert.equal(add.body.ResponseCode, 403);
    assert.match(add.body.Error, /you cannot change your own role/);
    assert.deepEqual(await footprint(), before, 'nothing changed');
    // the same role again is no change
    assert.equal(
      (await admin.patch(`/api/v1/users/${adminId}`, { roleId: roles.Administrator })).status,
      200,
    );
  });

  test('the last administrator is neither demoted, disabled nor deleted, however it is asked', async () => {
    // carol administers through a role of her own; she demotes the first administrator
    const root = await admin.post('/api/v1/roles', { name: 'Root', privileges: ['read', 'administer'] });
    assert.equal(root.status, 201, JSON.stringify(root.body));
    const carol = await admin.post('/api/v1/users', {
      username: 'carol',
      password: 'carol-password',
      roleId: root.body.id,
      scopeId: everything,
    });
    assert.equal(carol.status, 201, JSON.stringify(carol.body));
    const asCarol = await signIn(app, 'carol', 'carol-password');
    const demoted = await asCarol.patch(`/api/v1/users/${adminId}`, { roleId: roles.Viewer });
    assert.equal(demoted.status, 200, JSON.stringify(demoted.body));

    // carol is the last: taking administer from her own role would leave nobody to undo it
    const before = await footprint();
    const strip = await asCarol.patch(`/api/v1/roles/${root.body.id}`, { privileges: ['read'] });
    assert.equal(strip.status, 409, JSON.stringify(strip.body));
    assert.match(strip.body.detail, /without an administrator/);
    // nor may the system (the command line) disable, demote or delete her
    const sys = systemContext(h.store(), 'test');
    for (const change of [
      () => updateUser(sys, carol.body.id, { disabled: true }),
      () => updateUser(sys, carol.body.id, { roleId: roles.Operator }),
      () => deleteUser(sys, carol.body.id),
    ])
      await assert.rejects(change(), (e: Error & { kind?: string }) => {
        assert.equal(e.kind, 'conflict');
        assert.match(e.message, /without an administrator/);
        return true;
      });
    assert.deepEqual(await footprint(), before, 'nothing changed');

    // with another administrator, the same changes go through
    const back = await asCarol.patch(`/api/v1/users/${adminId}`, { roleId: roles.Administrator });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    const stripped = await asCarol.patch(`/api/v1/roles/${root.body.id}`, { privileges: ['read'] });
    assert.equal(stripped.status, 200, JSON.stringify(stripped.body));
    await deleteUser(sys, carol.body.id);
  });
});
