// A copied agent (same credential, another machine id) is refused by the server with 409: it stops checking
// in for good, says what to do, and `patchline agent status` shows it. The machine id is read from the
// machine's files (a path of the config in tests).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent, AgentStoppedError } from '../../src/agent/agent.ts';
import { SimulatedBackend } from '../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../src/agent/client.ts';
import { readMachineId } from '../../src/agent/machine-id.ts';
import { MemoryStorage } from '../../src/agent/storage.ts';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../support/api.ts';
import { freshStore } from '../support/store.ts';

const run = async (args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/agent/main.ts', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

let dir: string;
let app: FastifyInstance;
let store: Store;
let cleanup: () => Promise<void>;
let server: string;
let token: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pl-agent-clone-'));
  const s = await freshStore('pglite');
  ({ store, cleanup } = s);
  app = await startApp(store);
  await app.listen({ port: 0, host: '127.0.0.1' });
  server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const org = (await admin.post('/api/v1/organizations', { name: 'Clones' })).body;
  token = (await admin.post(`/api/v1/organizations/${org.id}/install-tokens`, {})).body.token;
});
after(async () => {
  await app?.close();
  await cleanup?.();
  await rm(dir, { recursive: true, force: true });
});

const cloneEvents = async () =>
  (await store.db.selectFrom('events').select('id').where('kind', '=', 'device.clone_suspected').execute())
    .length;

test('the machine id comes from the first readable file', async () => {
  const a = join(dir, 'id-a');
  await writeFile(a, 'f00dfeed0123456789abcdef01234567\n');
  assert.equal(await readMachineId([join(dir, 'missing'), a]), 'f00dfeed0123456789abcdef01234567');
  assert.equal(await readMachineId([join(dir, 'missing')]), undefined);
});

test('a copied agent is refused, stops for good with a clear message, and status shows it', async () => {
  const config = join(dir, 'agent.json');
  const e = await run([
    'enroll',
    '--server',
    server,
    '--token',
    token,
    '--name',
    'imaged-vm',
    '--backend',
    'simulated',
    '--state-dir',
    join(dir, 'state'),
    '--config',
    config,
  ]);
  assert.equal(e.code, 0, e.stderr);
  const written = JSON.parse(await readFile(config, 'utf8'));
  await writeFile(join(dir, 'machine-a'), 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n');
  await writeFile(config, JSON.stringify({ ...written, machineIdPath: join(dir, 'machine-a') }));
  const first = await run(['run', '--once', '--config', config]);
  assert.equal(first.code, 0, first.stderr);

  // the whole machine is copied: config and state, onto a machine with another id
  const copy = join(dir, 'copy.json');
  await cp(join(dir, 'state'), join(dir, 'state-copy'), { recursive: true });
  await writeFile(join(dir, 'machine-b'), 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n');
  await writeFile(
    copy,
    JSON.stringify({ ...written, stateDir: join(dir, 'state-copy'), machineIdPath: join(dir, 'machine-b') }),
  );
  const refused = await run(['run', '--once', '--config', copy]);
  assert.equal(refused.code, 78, `${refused.stdout}\n${refused.stderr}`);
  assert.match(
    refused.stderr,
    /stopped: .*409.*another machine.*delete its state folder.*enroll this machine again/s,
  );
  assert.equal(await cloneEvents(), 1);

  const status = await run(['status', '--config', copy]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^STOPPED: +since \d{4}-.*enroll this machine again/m);
  const again = await run(['run', '--once', '--config', copy]);
  assert.equal(again.code, 78);
  assert.equal(await cloneEvents(), 1, 'the stopped copy did not check in again');
  assert.doesNotMatch((await run(['status', '--config', config])).stdout, /STOPPED/, 'the original runs on');
  assert.equal((await run(['run', '--once', '--config', config])).code, 0);

  const unit = await run(['install-service', '--path', join(dir, 'unit.service'), '--config', config]);
  assert.equal(unit.code, 0, unit.stderr);
  assert.match(await readFile(join(dir, 'unit.service'), 'utf8'), /^RestartPreventExitStatus=78$/m);
});

test('the service loop ends after a refusal instead of checking in again', async () => {
  let requests = 0;
  const client = new ProtocolClient({
    server,
    fetch: async (input, init) => {
      requests++;
      return fetch(input, init);
    },
  });
  const e = await client.enroll({ token, name: 'loop', osFamily: 'linux' });
  client.credential = e.credential;
  const backend = new SimulatedBackend({ seed: 3, os: { family: 'debian', version: '12' } });
  const original = new Agent({ client, backend, storage: new MemoryStorage(), machineId: 'machine-1' });
  await original.cycle();
  const lines: string[] = [];
  const copy = new Agent({
    client,
    backend,
    storage: new MemoryStorage(),
    machineId: 'machine-2',
    log: (l) => lines.push(l),
  });
  requests = 0;
  // the loop must end on its own; the abort is only a hang guard, and a generous one (a loaded machine is slow)
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 120_000);
  await copy.run(stop.signal);
  clearTimeout(timer);
  assert.ok(!stop.signal.aborted, 'run returned by itself');
  assert.ok(requests <= 2, `one round (a scan report and the refused check-in), got ${requests} requests`);
  assert.ok(
    lines.some((l) => /enroll this machine again/.test(l)),
    lines.join('\n'),
  );
  await assert.rejects(copy.cycle(), AgentStoppedError);
  assert.ok(requests <= 2, 'no request after the refusal');
  assert.ok(await copy.stopped());
});
