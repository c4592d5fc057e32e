import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { systemContext, type Context } from '../../../src/services/context.ts';
import {
  ensureStaged,
  isStaged,
  listStagingUpdates,
  packageSources,
  servablePackage,
} from '../../../src/services/staging.ts';
import { eachDriver } from '../../support/store.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const GOOD = Buffer.from('a package the catalog describes correctly\n'.repeat(1000));
const GENUINE = Buffer.from('the file the vendor published\n');
const TAMPERED = Buffer.from('a package someone replaced on the mirror\n');

/** a local file server: /good.deb, /tampered.deb, /missing → 404 */
export async function fileServer(): Promise<{ base: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const body =
      req.url === '/pool/good_1.0_all.deb' ? GOOD : req.url === '/pool/tampered.deb' ? TAMPERED : null;
    if (!body) return void res.writeHead(404).end('no such file');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}

eachDriver('package staging', (h) => {
  let files: Awaited<ReturnType<typeof fileServer>>;
  let dir: string;
  let ctx: Context;
  const ids: Record<'good' | 'tampered' | 'wrongSize' | 'noHash' | 'gone', number> = {
    good: 0,
    tampered: 0,
    wrongSize: 0,
    noHash: 0,
    gone: 0,
  };
  before(async () => {
    files = await fileServer();
    dir = mkdtempSync(join(tmpdir(), 'patchline-packages-'));
    ctx = systemContext(h.store(), 'test');
    const rows = [
      ['good', `${files.base}/pool/good_1.0_all.deb`, sha(GOOD), GOOD.length],
      // the catalog gives the genuine file's hash, the mirror serves something else
      ['tampered', `${files.base}/pool/tampered.deb`, sha(GENUINE), null],
      ['wrongSize', `${files.base}/pool/good_1.0_all.deb`, sha(GOOD), GOOD.length + 1],
      ['noHash', `${files.base}/pool/good_1.0_all.deb`, null, null],
      ['gone', `${files.base}/pool/missing.deb`, sha('x'), null],
    ] as const;
    for (const [key, url, hash, size] of rows) {
      const r = await h
        .store()
        .db.insertInto('updates')
        .values({
          natural_key: `app:${key}:1.0`,
          kind: 'app',
          name: key,
          source_url: url,
          sha256: hash,
          size_bytes: size,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids[key] = r.id;
    }
  });
  after(async () => {
    files?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a package whose hash matches is downloaded, verified, stored by its hash and recorded', async () => {
    const r = await ensureStaged(ctx, { updateIds: [ids.good] }, { dir });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.staged, [
      { updateId: ids.good, sha256: sha(GOOD), sizeBytes: GOOD.length, fileName: 'good_1.0_all.deb' },
    ]);
    const path = join(dir, sha(GOOD).slice(0, 2), sha(GOOD));
    assert.equal(sha(readFileSync(path)), sha(GOOD));
    assert.equal(await isStaged(ctx, ids.good, { dir }), true);
    assert.equal((await servablePackage(h.store(), dir, sha(GOOD))).path, path);
    // a second call downloads nothing
    const before = files.hits.length;
    const again = await ensureStaged(ctx, { updateIds: [ids.good] }, { dir });
    assert.equal(again.staged.length, 0);
    assert.equal(again.alreadyStaged.length, 1);
    assert.equal(files.hits.length, before);
  });

  test('a package whose hash or size does not match is rejected, recorded as an error and never served', async () => {
    const r = await ensureStaged(
      ctx,
      { updateIds: [ids.tampered, ids.wrongSize, ids.noHash, ids.gone] },
      { dir },
    );
    assert.deepEqual(r.staged, []);
    const byId = new Map(r.errors.map((e) => [e.updateId, e.message]));
    assert.match(
      byId.get(ids.tampered)!,
      new RegExp(`SHA-256 ${sha(TAMPERED)}, the catalog says ${sha(GENUINE)}`),
    );
    assert.match(byId.get(ids.wrongSize)!, /has 42000 bytes, the catalog says 42001/);
    assert.match(byId.get(ids.noHash)!, /no SHA-256 in the catalog/);
    assert.match(byId.get(ids.gone)!, /HTTP 404/);
    for (const id of [ids.tampered, ids.wrongSize, ids.noHash, ids.gone])
      assert.equal(await isStaged(ctx, id, { dir }), false);
    // nothing of the tampered file is left: no temporary file, no file under its real hash
    assert.equal(existsSync(join(dir, sha(TAMPERED).slice(0, 2), sha(TAMPERED))), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('.download')),
      [],
    );
    await assert.rejects(servablePackage(h.store(), dir, sha(TAMPERED)), { kind: 'not_found' });
    await assert.rejects(servablePackage(h.store(), dir, sha(GENUINE)), { kind: 'not_found' });
    const events = await h
      .store()
      .db.selectFrom('events')
      .select(['update_id', 'data'])
      .where('kind', '=', 'package.rejected')
      .execute();
    const tampered = events.find((e) => e.update_id === ids.tampered);
    assert.equal((tampered?.data as { actualSha256?: string }).actualSha256, sha(TAMPERED));
  });

  test('staged and non-staged lists', async () => {
    const page = { limit: 100, offset: 0, sort: ['id'] };
    const staged = await listStagingUpdates(ctx, { staged: true }, page);
    assert.deepEqual(
      staged.items.map((u) => u.id),
      [ids.good],
    );
    const not = await listStagingUpdates(ctx, { staged: false, downloadable: true }, page);
    assert.deepEqual(
      not.items.map((u) => u.id),
      [ids.tampered, ids.wrongSize, ids.noHash, ids.gone],
    );
  });

  test('package sources: relays of the organization in order, then the server, then direct only when allowed', async () => {
    const db = h.store().db;
    const org = await db
      .insertInto('organizations')
      .values({ ref: 'relays', name: 'Relays' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const other = await db
      .insertInto('organizations')
      .values({ ref: 'other', name: 'Other' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const g = await db
      .insertInto('groups')
      .values({ organization_id: org.id, name: 'All', is_root: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const og = await db
      .insertInto('groups')
      .values({ organization_id: other.id, name: 'All', is_root: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const dev = (name: string, isRelay: boolean, orgId = org.id, groupId = g.id) =>
      db
        .insertInto('devices')
        .values({
          organization_id: orgId,
          group_id: groupId,
          name,
          is_relay: isRelay,
          hostname: `${name}.lan`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    const laptop = await dev('laptop', false);
    const relayB = await dev('relay-b', true);
    const relayA = await dev('relay-a', true);
    await dev('relay-elsewhere', true, other.id, og.id);
    const kinds = (s: Awaited<ReturnType<typeof packageSources>>) =>
      s.map((x) => (x.kind === 'relay' ? `relay:${x.name}` : x.kind));
    assert.deepEqual(
      kinds(await packageSources(ctx, laptop.id, { cachingServers: [], directDownloadFallback: true })),
      ['relay:relay-a', 'relay:relay-b', 'server', 'direct'],
    );
    assert.deepEqual(
      kinds(
        await packageSources(ctx, laptop.id, {
          cachingServers: ['relay-b', String(relayA.id)],
          directDownloadFallback: false,
        }),
      ),
      ['relay:relay-b', 'relay:relay-a', 'server'],
    );
    // a relay is not its own source
    assert.deepEqual(
      kinds(await packageSources(ctx, relayB.id, { cachingServers: [], directDownloadFallback: false })),
      ['relay:relay-a', 'server'],
    );
    await assert.rejects(
      packageSources(ctx, laptop.id, { cachingServers: ['relay-elsewhere'], directDownloadFallback: true }),
      (e: { kind: string; issues: { message: string }[] }) =>
        e.kind === 'invalid' && /'relay-elsewhere' is not a relay device/.test(e.issues[0]!.message),
    );
  });
});
