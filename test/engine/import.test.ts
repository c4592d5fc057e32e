import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { DomainError } from '../../src/core/errors.ts';
import type { Privilege } from '../../src/core/privileges.ts';
import { Context, SYSTEM_ACTOR } from '../../src/services/context.ts';
import { createEngine } from '../../src/engine/engine.ts';
import type { Handler } from '../../src/engine/handlers.ts';
import { importCatalog } from '../../src/engine/import.ts';
import {
  createTask,
  getInstance,
  getTask,
  parseTaskParameters,
  runNow,
  runTask,
  setImportCredentials,
} from '../../src/services/tasks.ts';
import { eachDriver } from '../support/store.ts';
import { at, orgWithDevices } from './support.ts';

const here = dirname(fileURLToPath(import.meta.url));
// the feeds below are served on loopback, which imports refuse unless told otherwise
process.env.PATCHLINE_IMPORT_ALLOW_PRIVATE = '1';
const DSA = readFileSync(join(here, 'fixtures/DSA-3029-1.json'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'patchline-import-task-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** the DSA plus a second advisory and one record the parser rejects (no id) */
const osvArray = () => {
  const dsa = JSON.parse(DSA) as Record<string, unknown>;
  const other = { ...dsa, id: 'DSA-9999-1', aliases: ['CVE-2099-0001'] };
  return JSON.stringify([dsa, other, { summary: 'no id' }]);
};

async function runToEnd(store: Parameters<typeof createEngine>[0]['store'], owner: string) {
  const engine = createEngine({ store, owner });
  while ((await engine.tick()) > 0);
}

eachDriver('import task', (h) => {
  test('imports an OSV file from the server; the second run imports nothing new', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const file = join(dir, `osv-${store.driver}.json`);
    writeFileSync(file, osvArray());
    const ctx = at(store, new Date());
    const params = { format: 'osv', path: file };
    const first = await runNow(ctx, { organizationId: orgId, kind: 'import', parameters: params });
    await runToEnd(store, 'imp-1');
    const a = await getInstance(ctx, first.id);
    assert.equal(a.status, 'Completed', a.error ?? '');
    assert.equal(a.progress, 1);
    assert.equal(a.outputs.imported, 2);
    assert.equal(a.outputs.unchanged, 0);
    assert.equal(a.outputs.errors, 1);
    assert.deepEqual(a.outputs.firstErrors, [
      { location: `osv-${store.driver}.json#/2/id`, message: 'is required' },
    ]);
    const bulletins = await store.db
      .selectFrom('bulletins')
      .select('external_id')
      .where('external_id', 'in', ['DSA-3029-1', 'DSA-9999-1'])
      .execute();
    assert.equal(bulletins.length, 2);

    const second = await runNow(ctx, { organizationId: orgId, kind: 'import', parameters: params });
    await runToEnd(store, 'imp-2');
    const b = await getInstance(ctx, second.id);
    assert.equal(b.status, 'Completed', b.error ?? '');
    assert.equal(b.outputs.imported, 0);
    assert.equal(b.outputs.unchanged, 2);

    // the event log names the task instance that imported
    const ev = await store.db
      .selectFrom('events')
      .select(['actor_id', 'actor_name'])
      .where('kind', '=', 'catalog.imported')
      .where('actor_id', '=', `task_instance:${first.id}`)
      .execute();
    assert.equal(ev.length, 1);
    assert.match(ev[0]!.actor_name, new RegExp(`task instance ${first.id} \\(task \\d+\\)`));
  });

  test('progress is written into the instance as records are processed', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const file = join(dir, `progress-${store.driver}.json`);
    writeFileSync(file, osvArray());
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, {
      organizationId: orgId,
      kind: 'import',
      parameters: { format: 'osv', path: file },
    });
    let seen: { progress: number; outputs: Record<string, unknown> } | undefined;
    // look at the row as the handler left it, before the engine writes the final outputs
    const observed: Handler = async (run) => {
      const r = await importCatalog(run);
      seen = await store.db
        .selectFrom('task_instances')
        .select(['progress', 'outputs'])
        .where('id', '=', run.instance.id)
        .executeTakeFirstOrThrow();
      return r;
    };
    const engine = createEngine({ store, owner: 'imp-progress', handlers: { import: observed } });
    while ((await engine.tick()) > 0);
    assert.equal((await getInstance(ctx, inst.id)).status, 'Completed');
    assert.equal(seen?.progress, 1);
    assert.equal(seen?.outputs.total, 3);
    assert.equal(seen?.outputs.read, 3);
  });

  test('a missing file fails the instance with the path and the reason', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ctx = at(store, new Date());
    const path = join(dir, 'does-not-exist.json');
    const inst = await runNow(ctx, {
      organizationId: orgId,
      kind: 'import',
      parameters: { format: 'osv', path },
    });
    await runToEnd(store, 'imp-missing');
    const r = await getInstance(ctx, inst.id);
    assert.equal(r.status, 'Failed');
    assert.equal(r.error, `cannot read import file ${path}: no such file`);
  });

  test('imports from an http URL, and an unreachable URL fails with a clear error', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ctx = at(store, new Date());
    const server = createServer((req, res) => {
      if (req.url === '/feeds/dsa.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(DSA);
      } else {
        res.writeHead(404).end('no');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const ok = await runNow(ctx, {
        organizationId: orgId,
        kind: 'import',
        parameters: { format: 'osv', url: `http://127.0.0.1:${port}/feeds/dsa.json` },
      });
      const missing = await runNow(ctx, {
        organizationId: orgId,
        kind: 'import',
        parameters: { format: 'osv', url: `http://127.0.0.1:${port}/feeds/gone.json` },
      });
      await runToEnd(store, 'imp-url');
      const a = await getInstance(ctx, ok.id);
      assert.equal(a.status, 'Completed', a.error ?? '');
      assert.equal(a.outputs.fileName, 'dsa.json');
      assert.equal((a.outputs.imported as number) + (a.outputs.unchanged as number), 1);
      assert.equal(a.outputs.errors, 0);
      const b = await getInstance(ctx, missing.id);
      assert.equal(b.status, 'Failed');
      assert.equal(
        b.error,
        `cannot fetch http://127.0.0.1:${port}/feeds/gone.json: the server answered 404 Not Found`,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
    // nothing listens on the port any more
    const down = await runNow(ctx, {
      organizationId: orgId,
      kind: 'import',
      parameters: { format: 'osv', url: `http://127.0.0.1:${port}/feeds/dsa.json` },
    });
    await runToEnd(store, 'imp-down');
    const c = await getInstance(ctx, down.id);
    assert.equal(c.status, 'Failed');
    assert.equal(c.error, `cannot fetch http://127.0.0.1:${port}/feeds/dsa.json: ECONNREFUSED`);
  });

  test("an import task's credentials go as HTTP Basic to its URL's origin only, never across a redirect", async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ctx = at(store, new Date());
    const seen: { server: string; authorization: string | undefined }[] = [];
    const mirror = createServer((req, res) => {
      seen.push({ server: 'mirror', authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end(DSA);
    });
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    const mirrorPort = (mirror.address() as AddressInfo).port;
    const origin = createServer((req, res) => {
      seen.push({ server: 'origin', authorization: req.headers.authorization });
      if (req.headers.authorization !== `Basic ${Buffer.from('feed:s3cret').toString('base64')}`)
        return void res.writeHead(401).end();
      res.writeHead(302, { location: `http://127.0.0.1:${mirrorPort}/dsa.json` }).end();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const port = (origin.address() as AddressInfo).port;
    try {
      const task = await createTask(ctx, {
        organizationId: orgId,
        kind: 'import',
        parameters: { format: 'osv', url: `http://127.0.0.1:${port}/feed.json` },
      });
      await setImportCredentials(ctx, task.id, { userName: 'feed', password: 's3cret' });
      const inst = await runTask(ctx, task.id);
      await runToEnd(store, 'imp-basic');
      const done = await getInstance(ctx, inst.id);
      assert.equal(done.status, 'Completed', done.error ?? '');
      assert.deepEqual(seen, [
        { server: 'origin', authorization: `Basic ${Buffer.from('feed:s3cret').toString('base64')}` },
        { server: 'mirror', authorization: undefined },
      ]);
      assert.doesNotMatch(JSON.stringify(await getTask(ctx, task.id)), /s3cret/);
    } finally {
      await new Promise((r) => origin.close(r));
      await new Promise((r) => mirror.close(r));
    }
  });
});

const issuesOf = (params: unknown) => {
  try {
    parseTaskParameters('import', params);
  } catch (e) {
    if (e instanceof DomainError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
};

test('import parameters are validated precisely', () => {
  const table: [unknown, string[]][] = [
    [{ format: 'osv', path: '/srv/osv.json' }, []],
    [{ format: 'csaf', url: 'https://example.org/a.json', fileName: 'a.json' }, []],
    [
      {
        format: 'csaf',
        url: 'https://x/a',
        excludeProducts: [{ vendor: 'Microsoft', product: 'Microsoft' }],
      },
      [],
    ],
    [
      { format: 'csaf', url: 'https://x/a', excludeProducts: [{ vendor: 'Microsoft' }] },
      ['/parameters/excludeProducts: must list at most 1000 {vendor, product} pairs of non-empty names'],
    ],
    [
      { format: 'kev', url: 'https://x/a', excludeProducts: [] },
      ['/parameters/excludeProducts: applies to advisory formats only (osv, debian-tracker, csaf)'],
    ],
    [
      { format: 'rss', path: '/srv/osv.json' },
      ['/parameters/format: must be one of osv, debian-tracker, csaf, kev, epss, cve5; got "rss"'],
    ],
    [
      { format: 'osv' },
      ['/parameters: needs exactly one of path (a file on the server) and url; got neither'],
    ],
    [
      { format: 'osv', path: '/a', url: 'http://x/a' },
      ['/parameters: needs exactly one of path (a file on the server) and url; got both'],
    ],
    [
      { format: 'osv', path: 'osv.json' },
      ['/parameters/path: must be an absolute path on the server; got "osv.json"'],
    ],
    [{ format: 'osv', url: 'ftp://x/a' }, ['/parameters/url: must be an http or https URL; got ftp:']],
    [{ format: 'osv', url: 'not a url' }, ['/parameters/url: must be an absolute URL; got "not a url"']],
    [
      { format: 'osv', path: '/a', fileName: '' },
      ['/parameters/fileName: must be a non-empty string of at most 255 characters'],
    ],
    [
      { format: 'osv', path: '/a', target: { kind: 'organization' } },
      ['/parameters/target: import tasks do not target devices; remove target'],
    ],
    [
      { format: 'osv', path: '/a', bytes: 'x' },
      [
        '/parameters/bytes: unknown parameter for import tasks; allowed: format, path, url, fileName, excludeProducts, catchUp',
      ],
    ],
  ];
  for (const [params, want] of table) assert.deepEqual(issuesOf(params), want, JSON.stringify(params));
});

eachDriver('who may start an import', (h) => {
  test('an import needs import_catalog, and a file on the server needs administer', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const as = (privileges: Privilege[]) =>
      new Context(store, {
        ...SYSTEM_ACTOR,
        id: 'someone',
        name: 'someone',
        privileges: new Set(privileges),
      });
    const file = { format: 'osv', path: join(dir, 'x.json') };
    const url = { format: 'osv', url: 'http://127.0.0.1:9/x.json' };
    await assert.rejects(
      runNow(as(['manage_policies']), { organizationId: orgId, kind: 'import', parameters: url }),
      {
        kind: 'forbidden',
        message: /'import_catalog'/,
      },
    );
    await assert.rejects(
      runNow(as(['manage_policies', 'import_catalog']), {
        organizationId: orgId,
        kind: 'import',
        parameters: file,
      }),
      { kind: 'forbidden', message: /'administer'/ },
    );
    const ok = await runNow(as(['manage_policies', 'import_catalog']), {
      organizationId: orgId,
      kind: 'import',
      parameters: url,
    });
    assert.equal(ok.status, 'NotStarted');
  });
});
