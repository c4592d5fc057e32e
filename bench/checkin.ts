// npm run bench -- checkin [--devices 10000,100000] [--duration S]: the server on PostgreSQL (its own
// database, dropped after) in a child process, the fleet simulator in this one. For each fleet size:
// the devices' natural load (every device checks in every 5 minutes, with jitter) with its latency, and
// the sustained rate (check-ins with as many in flight as the server takes); in the same run the rate of
// a bare endpoint (/healthz) on the same server as the ceiling; and the server's peak memory.
// Targets (issue 4): idle check-ins at 50% or more of the ceiling, p99 under 100 ms at 100,000 devices
// checking in every 5 minutes, server memory under 1 GB. The last line is one JSON object.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { Fleet } from '../src/agent/fleet/fleet.ts';
import { closedLoop, openLoop } from '../src/agent/fleet/load.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const SIZES = arg('devices', '10000,100000').split(',').map(Number);
const NOMINAL_SECONDS = Number(arg('duration', '30'));
const LOAD_SECONDS = 10;
const CONCURRENCY = 32;
const INTERVAL = 300;
const PASSWORD = 'bench-password-1';
const PG_URL = process.env.PATCHLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function adminSql(url: string, q: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(q, params);
  } finally {
    await c.end();
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** peak resident memory of a process (Linux: VmHWM), in MB */
const peakMb = (pid: number) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

const dbName = `patchline_bench_checkin_${randomBytes(4).toString('hex')}`;
await adminSql(PG_URL, `create database ${dbName}`);
const dbUrl = new URL(PG_URL);
dbUrl.pathname = `/${dbName}`;
const port = await freePort();
const server = `http://127.0.0.1:${port}`;
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--database-url',
    dbUrl.toString(),
    '--log-level',
    'warn',
  ],
  {
    env: { ...process.env, PATCHLINE_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
const results: Record<string, unknown>[] = [];
let ceiling = 0;
try {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${server}/healthz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 300) throw new Error('the server did not start in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`server up on PostgreSQL (${dbName}), pid ${child.pid}`);

  for (const size of SIZES) {
    // devices are provisioned in bulk (this measures check-ins, not enrollment): real organizations through
    // the API, devices with credentials by SQL
    const fleet = new Fleet({
      server,
      devices: size,
      orgs: 4,
      intervalSeconds: INTERVAL,
      durationSeconds: NOMINAL_SECONDS,
      username: 'admin',
      password: PASSWORD,
    });
    const login = await fetch(`${server}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const token = ((await login.json()) as { token: string }).token;
    const orgs: { id: number; root: number }[] = [];
    for (let k = 0; k < 4; k++) {
      const r = await fetch(`${server}/api/v1/organizations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: `bench ${size} #${k + 1}` }),
      });
      const o = (await r.json()) as { id: number; rootGroupId: number };
      orgs.push({ id: o.id, root: o.rootGroupId });
    }
    const t0 = performance.now();
    const tag = randomBytes(3).toString('hex');
    const rows = await adminSql(
      dbUrl.toString(),
      `with o as (select * from unnest($1::bigint[], $2::bigint[]) with ordinality as t(org, root, k))
       insert into devices (organization_id, group_id, name, hostname, os_family, credential_hash, credential_generation, enrolled_at, last_seen_at)
       select o.org, o.root, 'bench-' || $3 || '-' || g, 'bench-' || g, 'linux',
              encode(sha256(convert_to('pld_bench_' || $3 || '_' || g, 'UTF8')), 'hex'), 1, now(), now()
       from generate_series(1, $4::int) g join o on o.k = (g % 4) + 1
       returning id, organization_id, substring(name from length('bench-' || $3 || '-') + 1)::int as g`,
      [orgs.map((o) => o.id), orgs.map((o) => o.root), tag, size],
    );
    const devices = rows.rows.map((r: { id: string; organization_id: string; g: number }) => ({
      deviceId: Number(r.id),
      organizationId: Number(r.organization_id),
      credential: `pld_bench_${tag}_${r.g}`,
    }));
    console.log(`${size} devices provisioned in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    fleet.adopt(devices);

    // the natural load: every device every 5 minutes (±10%), for NOMINAL_SECONDS
    let last = 0;
    fleet.o.onProgress = (p) => {
      if (p.elapsedSeconds - last >= 10) {
        last = p.elapsedSeconds;
        console.log(
          `  ${size}: ${p.checkins} check-ins, ${p.errors} errors, ${p.elapsedSeconds.toFixed(0)} s`,
        );
      }
    };
    const nominal = await fleet.run();

    // the same rate from a light client (node:http, open loop), so the latency is the server's and not
    // the simulator's own event loop, busy with its agents
    const light = await openLoop({
      url: `${server}/agent/v1/checkin`,
      method: 'POST',
      ratePerSecond: size / INTERVAL,
      durationSeconds: NOMINAL_SECONDS,
      request: (i) => ({
        headers: { authorization: `Bearer ${devices[(i * 7919) % devices.length]!.credential}` },
        body: '{}',
      }),
    });

    // the sustained rate: check-ins of these devices, CONCURRENCY in flight, as fast as the server answers
    const sustained = await closedLoop({
      url: `${server}/agent/v1/checkin`,
      method: 'POST',
      concurrency: CONCURRENCY,
      durationSeconds: LOAD_SECONDS,
      request: (i) => ({
        headers: { authorization: `Bearer ${devices[(i * 7919) % devices.length]!.credential}` },
        body: '{}',
      }),
    });
    // the ceiling: a bare endpoint of the same server, same client, same concurrency
    const bare = await closedLoop({
      url: `${server}/healthz`,
      method: 'GET',
      concurrency: CONCURRENCY,
      durationSeconds: LOAD_SECONDS,
    });
    ceiling = Math.max(ceiling, bare.perSecond);
    const r = {
      devices: size,
      nominalPerSecond: nominal.checkinsPerSecond,
      nominalP50Ms: nominal.checkinLatencyMs.p50,
      nominalP99Ms: nominal.checkinLatencyMs.p99,
      nominalErrors: nominal.errors.total,
      lightPerSecond: light.perSecond,
      lightP50Ms: light.latencyMs.p50,
      lightP99Ms: light.latencyMs.p99,
      lightErrors: light.errors,
      sustainedPerSecond: sustained.perSecond,
      sustainedP50Ms: sustained.latencyMs.p50,
      sustainedP99Ms: sustained.latencyMs.p99,
      sustainedErrors: sustained.errors,
      healthzPerSecond: bare.perSecond,
      shareOfCeiling: Math.round((sustained.perSecond / bare.perSecond) * 100) / 100,
    };
    results.push(r);
    console.log(
      `${size} devices: natural load ${r.nominalPerSecond}/s p50 ${r.nominalP50Ms} ms p99 ${r.nominalP99Ms} ms (${r.nominalErrors} errors); ` +
        `same rate from a light client ${r.lightPerSecond}/s p50 ${r.lightP50Ms} ms p99 ${r.lightP99Ms} ms; ` +
        `sustained ${r.sustainedPerSecond}/s p50 ${r.sustainedP50Ms} ms p99 ${r.sustainedP99Ms} ms (${r.sustainedErrors} errors); ` +
        `/healthz ${r.healthzPerSecond}/s; check-ins at ${Math.round(r.shareOfCeiling * 100)}% of it`,
    );
  }
} finally {
  const mem = child.exitCode === null ? peakMb(child.pid!) : NaN;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await adminSql(PG_URL, `drop database if exists ${dbName} with (force)`);
  const largest = results.at(-1) as
    { devices: number; lightP99Ms: number; shareOfCeiling: number } | undefined;
  const pass =
    results.length === SIZES.length &&
    results.every(
      (r) =>
        (r as { shareOfCeiling: number }).shareOfCeiling >= 0.5 &&
        (r as { nominalErrors: number }).nominalErrors === 0,
    ) &&
    (largest?.lightP99Ms ?? Infinity) < 100 &&
    mem < 1024;
  console.log(`server peak memory: ${mem} MB`);
  console.log(
    JSON.stringify({
      name: 'checkin',
      sizes: results,
      ceilingPerSecond: ceiling,
      serverPeakMemoryMb: mem,
      intervalSeconds: INTERVAL,
      pass,
    }),
  );
}
