// `patchline agent …` as a person runs it (through the agent's own entry, src/agent/main.ts, which the
// systemd unit uses; the same commands are registered under `patchline agent`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
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
let cleanup: () => Promise<void>;
let server: string;
let token: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pl-agent-cli-'));
  const s = await freshStore('pglite');
  cleanup = s.cleanup;
  app = await startApp(s.store);
  await app.listen({ port: 0, host: '127.0.0.1' });
  server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const org = (await admin.post('/api/v1/organizations', { name: 'CLI' })).body;
  token = (await admin.post(`/api/v1/organizations/${org.id}/install-tokens`, {})).body.token;
});
after(async () => {
  await app?.close();
  await cleanup?.();
  await rm(dir, { recursive: true, force: true });
});

test('every agent command has --help', async () => {
  for (const c of ['enroll', 'run', 'scan', 'status', 'install-service']) {
    const r = await run([c, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Usage: patchline-agent ${c}`));
  }
});

test('enroll, status, one round, scan, and a systemd unit', async () => {
  const config = join(dir, 'agent.json');
  const e = await run([
    'enroll',
    '--server',
    server,
    '--token',
    token,
    '--name',
    'cli-1',
    '--backend',
    'simulated',
    '--os',
    'ubuntu:24.04',
    '--state-dir',
    join(dir, 'state'),
    '--config',
    config,
  ]);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /enrolled as device \d+ of organization \d+/);
  const written = JSON.parse(await readFile(config, 'utf8'));
  assert.deepEqual(
    [written.server, written.backend.kind, written.backend.os],
    [server, 'simulated', { family: 'ubuntu', version: '24.04' }],
  );

  const once = await run(['run', '--once', '--config', config]);
  assert.equal(once.code, 0, once.stderr);
  assert.match(once.stdout, /ran 0 job\(s\); delivered 1 message\(s\); 0 waiting/);
  const st = await run(['status', '--config', config]);
  assert.match(st.stdout, /scan sequence: +1\n/);
  assert.match(st.stdout, /unsent messages: 0/);
  const dev = await (
    await signIn(app, 'admin', ADMIN_PASSWORD)
  ).get(`/api/v1/devices/${written.deviceId}/updates?limit=1`);
  assert.ok(dev.body.total > 0, 'the scan reached the server');

  const scan = await run(['scan', '--config', config]);
  assert.equal(scan.code, 0, scan.stderr);
  assert.match(scan.stdout, /^NAME +INSTALLED +AVAILABLE/m);

  const unit = join(dir, 'patchline-agent.service');
  const s = await run(['install-service', '--path', unit, '--config', config]);
  assert.equal(s.code, 0, s.stderr);
  const text = await readFile(unit, 'utf8');
  // install-service builds the one-file agent bundle and the unit runs it with plain node
  assert.match(
    text,
    /^ExecStart=\S*node --max-semi-space-size=1 --max-old-space-size=32 \S*dist\/agent\/main\.js run --config .*agent\.json$/m,
  );
  assert.match(text, /^WantedBy=multi-user.target$/m);

  const bad = await run(['status', '--config', join(dir, 'missing.json')]);
  assert.equal(bad.code, 1);
  // one line saying what is wrong and what to do, no stack
  assert.match(bad.stderr, /^patchline-agent: no agent config at .*missing\.json: enroll this machine first/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});
