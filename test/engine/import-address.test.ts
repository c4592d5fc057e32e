import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../src/engine/engine.ts';
import { createImportHandler } from '../../src/engine/import.ts';
import {
  blockedAddressKind,
  IMPORT_ALLOW_PRIVATE_ENV,
  importAllowsPrivateAddresses,
  importLookup,
} from '../../src/services/importers.ts';
import { getInstance, runNow } from '../../src/services/tasks.ts';
import { eachDriver } from '../support/store.ts';
import { at, orgWithDevices } from './support.ts';

// Import URLs are fetched by the server: they may not reach its own loopback, link-local, private or
// unspecified addresses (SSRF) unless PATCHLINE_IMPORT_ALLOW_PRIVATE (or the handler option) allows it.

const here = dirname(fileURLToPath(import.meta.url));
const DSA = readFileSync(join(here, 'fixtures/DSA-3029-1.json'), 'utf8');

test('address ranges an import may not fetch from', () => {
  const table: [string, string | null][] = [
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private (shared, carrier-grade NAT)'],
    ['fd12:3456::1', 'private (unique local)'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    // public addresses are fetched
    ['172.32.0.1', null],
    ['8.8.8.8', null],
    ['93.184.216.34', null],
    ['2001:4860:4860::8888', null],
    ['::ffff:8.8.8.8', null],
  ];
  for (const [address, kind] of table) assert.equal(blockedAddressKind(address), kind, address);
});

test('the environment switch', () => {
  assert.equal(importAllowsPrivateAddresses({}), false);
  assert.equal(importAllowsPrivateAddresses({ [IMPORT_ALLOW_PRIVATE_ENV]: '0' }), false);
  assert.equal(importAllowsPrivateAddresses({ [IMPORT_ALLOW_PRIVATE_ENV]: '1' }), true);
  assert.equal(importAllowsPrivateAddresses({ [IMPORT_ALLOW_PRIVATE_ENV]: 'true' }), true);
});

test('the lookup refuses a name that resolves to loopback, and resolves it when allowed', async () => {
  const resolve = (allow: boolean) =>
    new Promise<{ err: Error | null; address: string }>((done) =>
      importLookup(allow)('localhost', { family: 4 }, (err, address) =>
        done({ err, address: String(address) }),
      ),
    );
  const refused = await resolve(false);
  assert.match(
    refused.err?.message ?? '',
    /^refused to connect to localhost \((127\.0\.0\.1|::1)\): a loopback address/,
  );
  const allowed = await resolve(true);
  assert.equal(allowed.err, null);
  assert.equal(allowed.address, '127.0.0.1');
});

let server: Server;
let port = 0;
const hits: string[] = [];
before(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/to-feed') return res.writeHead(302, { location: '/feeds/dsa.json' }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(DSA);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise((r) => server.close(r)));

eachDriver('import task and internal addresses', (h) => {
  async function importFrom(url: string, allowPrivateAddresses: boolean) {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, {
      organizationId: orgId,
      kind: 'import',
      parameters: { format: 'osv', url },
    });
    const engine = createEngine({
      store,
      owner: 'ssrf',
      handlers: { import: createImportHandler({ allowPrivateAddresses }) },
    });
    while ((await engine.tick()) > 0);
    return getInstance(ctx, inst.id);
  }

  test('a URL on loopback is refused before any request, by name or by literal', async () => {
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${port}/feeds/dsa.json`, /refused to connect to 127\.0\.0\.1: a loopback address/],
      [
        `http://localhost:${port}/feeds/dsa.json`,
        /refused to connect to localhost \((127\.0\.0\.1|::1)\): a loopback address/,
      ],
      [
        `http://[::ffff:127.0.0.1]:${port}/feeds/dsa.json`,
        /refused to connect to ::ffff:7f00:1: a loopback address/,
      ],
      [`http://2130706433:${port}/feeds/dsa.json`, /refused to connect to 127\.0\.0\.1: a loopback address/],
      [`http://0.0.0.0:${port}/feeds/dsa.json`, /refused to connect to 0\.0\.0\.0: a unspecified address/],
    ];
    for (const [url, message] of cases) {
      hits.length = 0;
      const r = await importFrom(url, false);
      assert.equal(r.status, 'Failed', url);
      assert.ok(r.error?.startsWith(`cannot fetch ${url}: `), r.error ?? '');
      assert.match(r.error ?? '', message);
      assert.match(r.error ?? '', /unless PATCHLINE_IMPORT_ALLOW_PRIVATE=1 is set$/);
      assert.deepEqual(hits, [], `no request reached the server for ${url}`);
    }
  });

  test('allowed, the same URL imports, and a redirect is followed', async () => {
    hits.length = 0;
    const r = await importFrom(`http://127.0.0.1:${port}/to-feed`, true);
    assert.equal(r.status, 'Completed', r.error ?? '');
    assert.equal((r.outputs.imported as number) + (r.outputs.unchanged as number), 1);
    assert.deepEqual(hits, ['/to-feed', '/feeds/dsa.json']);
  });
});
