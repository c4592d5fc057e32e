// Pieces the benchmarks share (run.ts skips files starting with "_"): a scratch PostgreSQL database, a
// real server in a child process, and what /proc says about a process (memory, CPU).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';

export const PG_URL =
  process.env.PATCHLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};

export async function adminSql(url: string, q: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(q, params);
  } finally {
    await c.end();
  }
}

/** a new empty database on the PostgreSQL server; drop() removes it */
export async function scratchDatabase(prefix: string) {
  const name = `patchline_bench_${prefix}_${randomBytes(4).toString('hex')}`;
  await adminSql(PG_URL, `create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminSql(PG_URL, `drop database if exists ${name} with (force)`),
  };
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** one field of /proc/PID/status, in MB (VmRSS: resident now, VmHWM: peak resident) */
export function procMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
}

/** CPU time a process has used so far (user + system), in microseconds */
export function cpuMicros(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // clock ticks are 1/100 s on Linux
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `patchline serve` on a free port of 127.0.0.1 against a database, as `npm start` runs it (under tsx) */
export async function startServer(o: {
  /** a PostgreSQL database, or (with dataDir) the embedded store of a data folder */
  databaseUrl?: string;
  dataDir?: string;
  adminPassword: string;
  nodeOptions?: string[];
}): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      ...(o.nodeOptions ?? []),
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      ...(o.databaseUrl ? ['--database-url', o.databaseUrl] : ['--data-dir', o.dataDir ?? 'data']),
      '--log-level',
      'warn',
    ],
    {
      env: { ...process.env, PATCHLINE_ADMIN_PASSWORD: o.adminPassword },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 300) {
      await stop();
      throw new Error('the server did not start in 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child, stop };
}

/** signs in as admin and returns a bearer token */
export async function adminToken(server: string, password: string): Promise<string> {
  const r = await fetch(`${server}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  if (!r.ok) throw new Error(`sign-in failed: ${r.status}`);
  return ((await r.json()) as { token: string }).token;
}

export async function apiPost<T>(server: string, token: string, path: string, body: unknown): Promise<T> {
  const r = await fetch(`${server}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`POST ${path} answered ${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
    : NaN;
};
