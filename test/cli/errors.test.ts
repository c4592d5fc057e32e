import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { pgliteTemplate } from '../support/store.ts';

// The mistakes a new user makes at the command line (issue 20): each prints one line that says what is
// wrong and what to do, exits 1, and shows a stack trace only with --log-level debug.
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** runs the CLI (asynchronously: the test's own server must keep answering meanwhile) */
const run = (args: string[], env: Record<string, string> = {}) =>
  new Promise<Run>((resolve, reject) => {
    const p = spawn(process.execPath, [...CLI, ...args], {
      env: { ...process.env, PATCHLINE_LOG_LEVEL: 'warn', ...env },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => p.kill('SIGKILL'), 180_000);
    p.on('error', reject);
    p.on('exit', (status) => {
      clearTimeout(guard);
      resolve({ status, stdout, stderr });
    });
  });

let dir: string;
let env: Record<string, string>;
let blocker: Server;
let busyPort: number;
let store: Store;
let app: FastifyInstance;
let server: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchline-cli-errors-'));
  env = { PATCHLINE_DATA_DIR: join(dir, 'data') };
  blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  busyPort = (blocker.address() as { port: number }).port;
  // a server for the agent to enroll with (an in-memory store, in this process)
  store = await openStore({ memory: true, loadDataDir: await pgliteTemplate() });
  app = await buildServer({ config: { logLevel: 'silent', bodyLimit: 1 << 20 }, store, logger: false });
  server = await app.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await app.close();
  await store.close();
  await new Promise((r) => blocker.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** the failure is one line on stderr, matching `message`, with exit code 1 and no stack */
function oneLine(r: Run, message: RegExp, what: string) {
  assert.equal(r.status, 1, `${what}: exit code (${r.stderr}${r.stdout})`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^patchline: /, what);
  assert.match(lines[0]!, message, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

test('serve: a port that is not a number, a TLS certificate without its key (and the reverse), a missing TLS file', async () => {
  oneLine(
    await run(['serve', '--port', 'abc'], env),
    /--port must be a number from 1 to 65535, got 'abc'/,
    'port abc',
  );
  oneLine(
    await run(['serve', '--tls-cert', join(dir, 'cert.pem')], env),
    /--tls-cert needs --tls-key: give both .* or neither/,
    'cert without key',
  );
  oneLine(
    await run(['serve'], { ...env, PATCHLINE_TLS_KEY: join(dir, 'key.pem') }),
    /--tls-key needs --tls-cert/,
    'key without cert (from the environment)',
  );
  writeFileSync(join(dir, 'key.pem'), 'not really a key');
  oneLine(
    await run(['serve', '--tls-cert', join(dir, 'missing.pem'), '--tls-key', join(dir, 'key.pem')], env),
    /--tls-cert: no file .*missing\.pem: give the path of a PEM file/,
    'missing certificate file',
  );
  assert.equal(existsSync(join(dir, 'data')), false, 'none of them touched the data folder');
});

test('serve on a port in use: one line, no admin made, no password printed', async () => {
  const r = await run(['serve', '--port', String(busyPort), '--host', '127.0.0.1'], env);
  oneLine(r, new RegExp(`port ${busyPort} is already in use.*choose another port with --port`), 'busy port');
  assert.doesNotMatch(r.stdout, /password/i);
  assert.equal(existsSync(join(dir, 'data', 'admin-password')), false, 'no admin was created');
});

test('DATABASE_URL: another database, not a URL, a host that does not exist', async () => {
  oneLine(
    await run(['status'], { ...env, DATABASE_URL: 'mysql://root@localhost/patchline' }),
    /starts with 'mysql:' but Patchline speaks only PostgreSQL: give a PostgreSQL URL such as postgres:\/\//,
    'mysql URL',
  );
  oneLine(
    await run(['migrate', '--database-url', 'notaurl'], env),
    /the database URL 'notaurl' is not a URL: give a PostgreSQL URL/,
    'notaurl',
  );
  oneLine(
    await run(['status'], { ...env, DATABASE_URL: 'postgres://postgres@no-such-host.invalid:5432/x' }),
    /cannot find the host no-such-host\.invalid.*check the address in DATABASE_URL/,
    'unknown host',
  );
});

test('catalog import: a missing file; a file with errors exits non-zero', async () => {
  oneLine(
    await run(['catalog', 'import', join(dir, 'nope.json'), '--format', 'osv'], env),
    /no file .*nope\.json: give the path of an advisory file to import/,
    'missing file',
  );
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"this is": "not an OSV record"}');
  const r = await run(['catalog', 'import', bad, '--format', 'osv'], env);
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stdout, /errors [1-9]/);
  assert.match(r.stderr, /could not be imported/);
});

test('agent: enroll with a bad token, status without a config', async () => {
  oneLine(
    await run([
      'agent',
      'enroll',
      '--server',
      server,
      '--token',
      'plt_not-a-token',
      '--config',
      join(dir, 'a.json'),
    ]),
    /the server refused the install token \(unknown, revoked or expired\): ask an administrator for a new one/,
    'bad token',
  );
  oneLine(
    await run(['agent', 'status', '--config', join(dir, 'none.json')]),
    /no agent config at .*none\.json: enroll this machine first \(agent enroll --server URL --token TOKEN\)/,
    'no config',
  );
});

test('--log-level debug adds the stack trace; enroll --help names no internal function', async () => {
  const r = await run(['--log-level', 'debug', 'serve', '--port', 'abc'], env);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^patchline: --port must be a number/);
  assert.match(r.stderr, /\n\s+at /, 'the stack follows');
  const afterCommand = await run([
    'agent',
    'status',
    '--config',
    join(dir, 'none.json'),
    '--log-level',
    'debug',
  ]);
  assert.equal(afterCommand.status, 1);
  assert.match(afterCommand.stderr, /\n\s+at /, 'the option also works after the command');
  const help = await run(['agent', 'enroll', '--help']);
  assert.equal(help.status, 0);
  assert.doesNotMatch(help.stdout, /\b[a-z]+[A-Z][A-Za-z]*\b(?!-)/, `a camelCase name in:\n${help.stdout}`);
});
