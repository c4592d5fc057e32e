import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_DOWNLOAD } from '../../../src/core/policies/behaviour.ts';
import { complianceSummary } from '../../../src/services/compliance.ts';
import { systemContext } from '../../../src/services/context.ts';
import * as staging from '../../../src/services/staging.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, type World } from '../../support/world.ts';

// The staging and compliance routes declare their 2xx responses in the OpenAPI document, their bodies
// validate against what is declared, and the serializer (which writes only declared fields) drops
// nothing: the body on the wire equals what the service returned.

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const GOOD = Buffer.from('#!/bin/sh\necho patched\n'.repeat(50));
const GENUINE = Buffer.from('what the vendor published\n');
const TAMPERED = Buffer.from('what the mirror serves instead\n');

/** the service's value as JSON would carry it, without any schema */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

eachDriver('response schemas of the staging and compliance routes', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  let files: Server;
  let dir: string;
  let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const ids = { good: 0, tampered: 0 };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);

  /** the declared JSON schema of a route's 200 response */
  const declared = (path: string, method: string) => {
    const r = doc.paths[path]?.[method]?.responses['200'] as
      { content?: { 'application/json'?: { schema?: Record<string, unknown> } } } | undefined;
    const schema = r?.content?.['application/json']?.schema;
    assert.ok(schema, `${method.toUpperCase()} ${path} declares a 200 response schema`);
    assert.ok(
      schema.type === 'object' && schema.properties,
      `${method.toUpperCase()} ${path}: an object schema with properties`,
    );
    return schema;
  };
  const check = (path: string, method: string, body: unknown, fromService: unknown) => {
    const validate = ajv.compile(declared(path, method));
    assert.ok(validate(body), `${path}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(body, plain(fromService), `${path}: the wire body is what the service returned`);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patchline-schemas-'));
    files = createServer((req, res) => {
      const body = req.url === '/good.sh' ? GOOD : req.url === '/tampered.bin' ? TAMPERED : null;
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200).end(body);
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    app = await startApp(h.store(), { packageDir: dir });
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    for (const [key, file, hash] of [
      ['good', 'good.sh', sha(GOOD)],
      ['tampered', 'tampered.bin', sha(GENUINE)],
    ] as const) {
      const r = await h
        .store()
        .db.insertInto('updates')
        .values({
          natural_key: `app:schema-${key}`,
          kind: 'app',
          name: `schema-${key}`,
          kb: key === 'good' ? 'KB5000001' : null,
          version: key === 'good' ? '1.0' : null,
          source_url: `${base}/${file}`,
          sha256: hash,
          size_bytes: key === 'good' ? GOOD.length : null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids[key] = r.id;
    }
    const d = await admin.get('/api/v1/openapi.json');
    assert.equal(d.status, 200);
    doc = d.body;
  });
  after(async () => {
    await app?.close();
    files?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('staging: ensure (staged, already staged, errors), lists, one update, package sources', async () => {
    const sys = systemContext(h.store(), 'schema-test');
    const first = await admin.post('/api/v1/staging/ensure', { updateIds: [ids.good, ids.tampered] });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.staged.length, 1);
    assert.equal(first.body.errors.length, 1);
    const again = await admin.post('/api/v1/staging/ensure', { updateIds: [ids.good] });
    assert.equal(again.body.alreadyStaged.length, 1);
    const serviceAgain = await staging.ensureStaged(sys, { updateIds: [ids.good] }, { dir });
    check('/api/v1/staging/ensure', 'post', again.body, serviceAgain);
    // the first answer, field by field: nothing the service sets is missing
    assert.deepEqual(Object.keys(first.body.staged[0]).sort(), [
      'fileName',
      'sha256',
      'sizeBytes',
      'updateId',
    ]);
    assert.deepEqual(Object.keys(first.body.errors[0]).sort(), ['message', 'name', 'updateId']);
    const v = ajv.compile(declared('/api/v1/staging/ensure', 'post'));
    assert.ok(v(first.body), JSON.stringify(v.errors));

    for (const stagedFlag of [true, false]) {
      const r = await admin.get(`/api/v1/staging/updates?staged=${stagedFlag}&sort=id&limit=500`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.items.length > 0);
      const s = await staging.listStagingUpdates(
        sys,
        { staged: stagedFlag },
        { limit: 500, offset: 0, sort: ['id'] },
      );
      check('/api/v1/staging/updates', 'get', r.body, s);
    }

    for (const id of [ids.good, ids.tampered]) {
      const r = await admin.get(`/api/v1/staging/updates/${id}`);
      assert.equal(r.status, 200);
      check('/api/v1/staging/updates/{id}', 'get', r.body, await staging.stagingOf(sys, id, { dir }));
    }
    assert.equal(
      (await admin.get(`/api/v1/staging/updates/${ids.good}`)).body.packages[0].storedAt.length > 0,
      true,
    );

    assert.equal((await admin.patch(`/api/v1/devices/${w.deviceA2.id}`, { isRelay: true })).status, 200);
    const src = await admin.get(`/api/v1/devices/${w.deviceA.id}/package-sources`);
    assert.equal(src.status, 200, JSON.stringify(src.body));
    assert.equal(src.body.items[0].kind, 'relay');
    check('/api/v1/devices/{id}/package-sources', 'get', src.body, {
      items: await staging.packageSources(sys, w.deviceA.id, DEFAULT_DOWNLOAD),
    });
  });

  test('compliance: organization, group and device views, with custom severities and open CVEs', async () => {
    const sys = systemContext(h.store(), 'schema-test');
    const put = await admin.call('PUT', `/api/v1/organizations/${w.orgA.id}/custom-severities`, [
      { order: 1, name: 'Now', level: 'critical' },
    ]);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await h.store().db.updateTable('cves').set({ cvss_score: '9.8', epss_probability: 0.42 }).execute();
    const now = () => new Date();
    for (const [q, target] of [
      [`organizationId=${w.orgA.id}`, { organizationId: w.orgA.id }],
      [`groupId=${w.groupA.id}`, { groupId: w.groupA.id }],
      [`deviceId=${w.deviceA.id}`, { deviceId: w.deviceA.id }],
    ] as const) {
      const r = await admin.get(`/api/v1/compliance?${q}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.updates.byCustomSeverity.length, 1);
      assert.ok(r.body.cves.top.length > 0);
      assert.equal(typeof r.body.cves.top[0].cvssScore, 'number');
      const s = await complianceSummary(sys, target);
      // notSeenSince is "now minus 7 days" at the time of each call: compare it within a second
      const gap = Math.abs(Date.parse(r.body.notSeenSince) - s.notSeenSince.getTime());
      assert.ok(gap < 5_000 && now() > s.notSeenSince, `notSeenSince ${r.body.notSeenSince}`);
      const v = ajv.compile(declared('/api/v1/compliance', 'get'));
      assert.ok(v(r.body), JSON.stringify(v.errors));
      assert.deepEqual({ ...(r.body as object), notSeenSince: null }, plain({ ...s, notSeenSince: null }));
    }
  });
});
