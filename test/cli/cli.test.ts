import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/net.ts';
import { login } from '../../src/services/auth.ts';
import { openStore } from '../../src/store/db.ts';

// The server and the CLI as a person runs them, on the embedded default store in a fresh folder.
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [...CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
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
    ['user', 'reset-password'],
  ]) {
    const r = run([...args, '--help']);
    assert.equal(r.status, 0, `${args.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage: patchline/);
  }
});

/**
 * Waits until the server answers /healthz: a generous budget (a fresh data folder runs initdb and every
 * migration first, slow on a loaded machine), cut short when the process exits; fails with what it printed.
 */
async function waitForHealth(port: number, server: ChildProcess, output: () => string) {
  let exited: number | null | undefined;
  server.once('exit', (code) => (exited = code));
  const deadline = Date.now() + 300_000;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exited !== undefined) assert.fail(`serve exited (code ${exited}) before answering:\n${output()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      const body = (await r.json()) as { status?: string };
      if (r.status === 200 && body.status === 'ok') return;
      last = `${r.status} ${JSON.stringify(body)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`serve did not answer /healthz within 300 s (last: ${last}); it printed:\n${output()}`);
}

test('serve answers /healthz on the embedded default and shows the kept admin password; the CLI waits its turn, then manages the store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchline-cli-'));
  const port = await freePort();
  // no PATCHLINE_ADMIN_PASSWORD: the first password is generated
  const env = {
    PATCHLINE_DATA_DIR: join(dir, 'data'),
    PATCHLINE_LOG_LEVEL: 'warn',
    PATCHLINE_ADMIN_PASSWORD: '',
  };
  const passwordFile = join(dir, 'data', 'admin-password');
  try {
    // a command that opens the empty store makes the admin but prints no password: it keeps it, for serve
    const org = run(['org', 'create', 'Acme Corp'], env);
    assert.equal(org.status, 0, org.stderr);
    assert.match(org.stdout, /created organization Acme Corp \(id \d+, ref acme-corp, root group \d+\)/);
    assert.doesNotMatch(org.stdout + org.stderr, /password/i);
    assert.equal(statSync(passwordFile).mode & 0o777, 0o600, 'only its owner reads the kept password');
    const kept = readFileSync(passwordFile, 'utf8').trim();

    const server = spawn(process.execPath, [...CLI, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
      env: { ...process.env, ...env },
      stdio: 'pipe',
    });
    let output = '';
    server.stdout.on('data', (d) => (output += d));
    server.stderr.on('data', (d) => (output += d));
    try {
      await waitForHealth(port, server, () => output);
      // printed just after it listens (a server that cannot listen prints no password)
      const banner = new RegExp(`Sign in as 'admin' with the password: ${kept}\n`);
      for (let i = 0; i < 600 && !banner.test(output); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(output, banner, output);
      const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: kept }),
      });
      assert.equal(login.status, 200);
      assert.equal(existsSync(passwordFile), false, 'the first sign-in as admin deletes the kept password');

      const busy = run(['status'], env);
      assert.equal(busy.status, 1);
      assert.match(busy.stderr, /in use by process \d+ \(a running Patchline server\?\)/);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }

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

    // a forgotten password: reset from the shell, generated and printed, or given
    const reset = run(['user', 'reset-password', 'admin'], env);
    assert.equal(reset.status, 0, reset.stderr);
    const fresh = /^new password of admin: (\S{12,})$/m.exec(reset.stdout)?.[1];
    assert.ok(fresh, reset.stdout);
    const given = run(['user', 'reset-password', 'ops', '--password', 'another-ops-pw'], env);
    assert.equal(given.status, 0, given.stderr);
    assert.match(given.stdout, /^password of ops set$/m);
    const nobody = run(['user', 'reset-password', 'nobody'], env);
    assert.equal(nobody.status, 1);
    assert.match(nobody.stderr, /^patchline: no user named 'nobody'/);
    const weak = run(['user', 'reset-password', 'ops', '--password', 'short'], env);
    assert.equal(weak.status, 1);
    assert.match(weak.stderr, /password too weak/);
    const store = await openStore({ dataDir: join(dir, 'data') });
    try {
      assert.ok(await login(store, 'admin', fresh), 'the printed password signs in');
      assert.ok(await login(store, 'ops', 'another-ops-pw'));
      await assert.rejects(login(store, 'ops', 'ops-password'), /wrong user name or password/);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
