import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, type World } from '../../support/world.ts';

// Bad input gets a 4xx problem document that says what is wrong, and changes nothing.
eachDriver('bad input to the native API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });

  const snapshot = async () => {
    const db = h.store().db;
    const count = async (t: 'events' | 'organizations' | 'groups' | 'devices' | 'users' | 'approvals') =>
      Number(
        (
          await db
            .selectFrom(t)
            .select((e) => e.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      events: await count('events'),
      orgs: await count('organizations'),
      groups: await count('groups'),
      devices: await count('devices'),
      users: await count('users'),
      approvals: await count('approvals'),
    };
  };

  test('each bad request is refused with a precise problem document and changes nothing', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    const cases: {
      what: string;
      method: 'POST' | 'PATCH' | 'GET' | 'DELETE';
      url: string;
      body?: unknown;
      status: number;
      detail: RegExp;
    }[] = [
      {
        what: 'wrong type',
        method: 'POST',
        url: '/api/v1/organizations',
        body: { name: 42 },
        status: 400,
        detail: /\/name must be string/,
      },
      {
        what: 'unknown field',
        method: 'POST',
        url: '/api/v1/organizations',
        body: { name: 'Z', color: 'red' },
        status: 400,
        detail: /additional properties 'color'/,
      },
      {
        what: 'missing field',
        method: 'POST',
        url: '/api/v1/devices',
        body: { organizationId: w.orgA.id },
        status: 400,
        detail: /required property 'name'/,
      },
      {
        what: 'blank name',
        method: 'POST',
        url: '/api/v1/organizations',
        body: { name: '   ' },
        status: 400,
        detail: /must not be blank|needs a name/,
      },
      {
        what: 'malformed JSON',
        method: 'POST',
        url: '/api/v1/organizations',
        body: '{"name": "Z",',
        status: 400,
        detail: /not valid JSON/,
      },
      {
        what: 'oversized body',
        method: 'POST',
        url: '/api/v1/organizations',
        body: JSON.stringify({ name: big }),
        status: 413,
        detail: /too large/,
      },
      {
        what: 'unknown organization',
        method: 'GET',
        url: '/api/v1/organizations/999999',
        status: 404,
        detail: /organization 999999 not found/,
      },
      {
        what: 'unknown device',
        method: 'PATCH',
        url: '/api/v1/devices/999999',
        body: { name: 'x' },
        status: 404,
        detail: /device 999999 not found/,
      },
      {
        what: 'id not a number',
        method: 'GET',
        url: '/api/v1/devices/abc',
        status: 400,
        detail: /params\/id must be integer/,
      },
      {
        what: 'unknown group for a device',
        method: 'POST',
        url: '/api/v1/devices',
        body: { organizationId: w.orgA.id, groupId: 999999, name: 'x' },
        status: 404,
        detail: /group 999999 not found/,
      },
      {
        what: 'group of another organization',
        method: 'POST',
        url: '/api/v1/devices',
        body: { organizationId: w.orgA.id, groupId: w.groupB.id, name: 'x' },
        status: 400,
        detail: /another organization/,
      },
      {
        what: 'unknown update ids',
        method: 'POST',
        url: `/api/v1/devices/${w.deviceA.id}/updates/approve`,
        body: { updateIds: [w.updates.openssl, 999999] },
        status: 404,
        detail: /update 999999 not found/,
      },
      {
        what: 'empty update list',
        method: 'POST',
        url: `/api/v1/devices/${w.deviceA.id}/updates/approve`,
        body: { updateIds: [] },
        status: 400,
        detail: /updateIds must NOT have fewer than 1 items/,
      },
      {
        what: 'unknown action',
        method: 'POST',
        url: `/api/v1/devices/${w.deviceA.id}/updates/install-everything`,
        body: { updateIds: [1] },
        status: 400,
        detail: /action must be equal to one of the allowed values/,
      },
      {
        what: 'string where an array is due',
        method: 'POST',
        url: `/api/v1/devices/${w.deviceA.id}/updates/approve`,
        body: { updateIds: '1' },
        status: 400,
        detail: /updateIds must be array/,
      },
      {
        what: 'bad time zone',
        method: 'POST',
        url: '/api/v1/organizations',
        body: { name: 'Zulu', timeZone: 'Mars/Olympus' },
        status: 400,
        detail: /unknown time zone/,
      },
      {
        what: 'short password',
        method: 'POST',
        url: '/api/v1/users',
        body: { username: 'shorty', password: 'short', roleId: 1, scopeId: 1 },
        status: 400,
        detail: /password must NOT have fewer than 8 characters/,
      },
      {
        what: 'unknown role',
        method: 'POST',
        url: '/api/v1/users',
        body: { username: 'nobody', password: 'long-enough', roleId: 999, scopeId: 1 },
        status: 400,
        detail: /role 999 does not exist/,
      },
      {
        what: 'unknown privilege',
        method: 'POST',
        url: '/api/v1/roles',
        body: { name: 'r', privileges: ['root'] },
        status: 400,
        detail: /privileges\/0 must be equal to one of the allowed values/,
      },
      {
        what: 'scope naming a foreign group',
        method: 'POST',
        url: '/api/v1/scopes',
        body: { name: 's', entries: [{ organizationId: w.orgA.id, groupId: w.groupB.id }] },
        status: 400,
        detail: /is not a group of organization/,
      },
      {
        what: 'negative paging',
        method: 'GET',
        url: '/api/v1/devices?offset=-1',
        status: 400,
        detail: /offset must be >= 0/,
      },
      {
        what: 'page too large',
        method: 'GET',
        url: '/api/v1/devices?limit=100000',
        status: 400,
        detail: /limit must be <= 500/,
      },
      {
        what: 'unknown route',
        method: 'GET',
        url: '/api/v1/nothing-here',
        status: 404,
        detail: /no route GET \/api\/v1\/nothing-here/,
      },
      {
        what: 'wrong content type',
        method: 'POST',
        url: '/api/v1/organizations',
        body: 'name=x',
        status: 415,
        detail: /unsupported content type/,
      },
    ];
    for (const c of cases) {
      const before = await snapshot();
      const headers: Record<string, string> =
        c.what === 'wrong content type' ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
      const r = await admin.call(c.method, c.url, c.body, headers);
      assert.equal(r.status, c.status, `${c.what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/, c.what);
      assert.equal(r.body.status, c.status, c.what);
      assert.match(r.body.detail, c.detail, `${c.what}: ${r.body.detail}`);
      assert.deepEqual(await snapshot(), before, `${c.what} changed nothing`);
    }
  });
});
