import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../src/engine/engine.ts';
import { createStageHandler } from '../../src/engine/stage.ts';
import { getInstance, runNow } from '../../src/services/tasks.ts';
import { eachDriver } from '../support/store.ts';
import { at, orgWithDevices } from './support.ts';

const BODY = Buffer.from('the vendor package\n'.repeat(100));
const sha256 = createHash('sha256').update(BODY).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'patchline-stage-task-'));
const server = createServer((req, res) => {
  if (req.url === '/pkg.deb') res.end(BODY);
  else res.writeHead(404).end();
});
const listening = new Promise<number>((resolve) =>
  server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
);
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

// A staging task with updates downloads them into the server's cache and verifies their hashes.
eachDriver('stage task on the server', (h) => {
  test('stages an update’s package, and a second run finds it already staged', async () => {
    const store = h.store();
    const port = await listening;
    const { orgId } = await orgWithDevices(store, 2);
    const u = await store.db
      .insertInto('updates')
      .values({
        natural_key: `deb:pkg:${store.driver}:1.0`,
        kind: 'deb',
        name: 'pkg',
        version: '1.0',
        sha256,
        size_bytes: BODY.length,
        source_url: `http://127.0.0.1:${port}/pkg.deb`,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ctx = at(store, new Date());
    const handlers = { stage: createStageHandler({ dir: join(dir, store.driver) }) };
    const run = async () => {
      const inst = await runNow(ctx, {
        organizationId: orgId,
        kind: 'stage',
        parameters: { updateIds: [u.id] },
      });
      const engine = createEngine({ store, owner: `stage-${store.driver}`, handlers });
      while ((await engine.tick()) > 0);
      return getInstance(ctx, inst.id);
    };
    const first = await run();
    assert.equal(first.status, 'Completed', first.error ?? '');
    assert.deepEqual([first.outputs.staged, first.outputs.alreadyStaged, first.outputs.errors], [1, 0, 0]);
    assert.equal(first.devices.length, 0, 'no device jobs: the server stages');
    assert.ok(existsSync(join(dir, store.driver, sha256.slice(0, 2), sha256)));
    const second = await run();
    assert.deepEqual([second.outputs.staged, second.outputs.alreadyStaged], [0, 1]);
    await assert.rejects(
      runNow(ctx, { organizationId: orgId, kind: 'stage', parameters: { updateIds: [] } }),
      {
        kind: 'invalid',
        message: /updateIds must be a non-empty list/,
      },
    );
  });
});
