import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import {
  COMPLIANCE_BUCKETS,
  HISTORY,
  IN_FLIGHT,
  INSTALLABLE,
  INSTALLED,
  NOT_INSTALLED,
  OUTSTANDING,
  SETTLED,
  UPDATE_STATUSES,
} from '../../../src/core/status.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

// GET /update-statuses serves core's statuses and groups (the console's filters use them), declared in
// the OpenAPI document, to any signed-in caller and to nobody else.

eachDriver('update statuses API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  const expected = {
    statuses: [...UPDATE_STATUSES],
    groups: {
      outstanding: [...OUTSTANDING],
      inFlight: [...IN_FLIGHT],
      notInstalled: [...NOT_INSTALLED],
      installable: [...INSTALLABLE],
      installed: [...INSTALLED],
      history: [...HISTORY],
      settled: [...SETTLED],
      complianceBuckets: {
        missing: [...COMPLIANCE_BUCKETS.missing],
        pending: [...COMPLIANCE_BUCKETS.pending],
        failed: [...COMPLIANCE_BUCKETS.failed],
        installed: [...COMPLIANCE_BUCKETS.installed],
      },
    },
  };

  test('a signed-in user gets the statuses and the groups of core', async () => {
    const r = await admin.get('/api/v1/update-statuses');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, expected);
  });

  test('a Viewer of one organization gets the same; without a token it is 401', async () => {
    const u = await scopedUser(admin, `status-viewer-${h.driver}`, w.orgB.id, 'Viewer');
    const viewer = await signIn(app, u.user.username, u.password);
    const r = await viewer.get('/api/v1/update-statuses');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, expected);
    assert.equal((await client(app).get('/api/v1/update-statuses')).status, 401);
    assert.equal((await client(app, 'pls_forged').get('/api/v1/update-statuses')).status, 401);
  });

  test('the OpenAPI document declares the 200 response', async () => {
    const doc = (await client(app).get('/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const ok = doc.paths['/api/v1/update-statuses']?.get?.responses['200'] as
      | { content?: { 'application/json'?: { schema?: { properties?: Record<string, unknown> } } } }
      | undefined;
    const props = ok?.content?.['application/json']?.schema?.properties;
    assert.ok(props?.statuses && props.groups, JSON.stringify(ok));
  });
});
