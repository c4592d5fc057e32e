import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The server and the CLI as a person runs them, on the embedded default store in a fresh folder.
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [...CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

test('every command has --help', () => {
  for (const args of [
    [],
    ['serve'],
    ['migrate'],
    ['user', 'create'],
    ['apikey', 'create'],
    ['org', 'create'],
    ['status'],
  ]) {
    const r = run([...args, '--help']);
    assert.equal(r.status, 0, `${args.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage: patchline/);
  }
});

test('serve answers /healthz on the embedded default; the CLI waits its turn, then manages the store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchline-cli-'));
  const port = await freePort();
  const env = {
    PATCHLINE_DATA_DIR: join(dir, 'data'),
    PATCHLINE_ADMIN_PASSWORD: 'cli-admin-pw',
    PATCHLINE_LOG_LEVEL: 'warn',
  };
  const server = spawn(process.execPath, [...CLI, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  let output = '';
  server.stdout.on('data', (d) => (output += d));
  server.stderr.on('data', (d) => (output += d));
  try {
    let health: unknown;
    // a hang guard, not a budget: a fresh data folder runs initdb and every migration first (slow on a busy machine)
    for (let i = 0; i < 480 && !health; i++) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.json(),
        () => undefined,
      );
      if (!health) await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual((health as { status: string }).status, 'ok', output);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'cli-admin-pw' }),
    });
    assert.equal(login.status, 200);

    const busy = run(['status'], env);
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /in use by process \d+ \(a running Patchline server\?\)/);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  try {
    const org = run(['org', 'create', 'Acme Corp'], env);
    assert.equal(org.status, 0, org.stderr);
    assert.match(org.stdout, /created organization Acme Corp \(id \d+, ref acme-corp, root group \d+\)/);
    const user = run(['user', 'create', 'ops', '--password', 'ops-password', '--role', 'Operator'], env);
    assert.match(user.stdout, /created user ops .*role Operator/);
    const key = run(['apikey', 'create', 'automation', '--user', 'ops'], env);
    assert.match(key.stdout.trim(), /^plk_[A-Za-z0-9_-]+$/);
    const dupe = run(['org', 'create', 'Acme Corp'], env);
    assert.equal(dupe.status, 1);
    assert.match(dupe.stderr, /already exists/);
    const fixture = join(process.cwd(), 'test/core/advisories/fixtures/osv/DSA-3029-1.json');
    const imported = run(['catalog', 'import', fixture, '--format', 'osv'], env);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /imported 1, unchanged 0, errors 0/);
    assert.match(imported.stderr, /read 1, imported 1/, 'progress is shown');
    const again = run(['catalog', 'import', fixture, '--format', 'osv'], env);
    assert.match(again.stdout, /imported 0, unchanged 1, errors 0/);
    const status = run(['status'], env);
    assert.match(status.stdout, /organizations: 1\ndevices: 0\nmissing updates: 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
