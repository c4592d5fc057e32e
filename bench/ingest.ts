// npm run bench -- ingest [--devices N] [--updates U] [--release R] [--concurrency C]
// Scan ingest at scale (issue 17, item 3). The server on PostgreSQL (its own database, dropped after) in a
// child process, run as `npm start` runs it; the load from this one, through the agent protocol
// (POST /agent/v1/scans). N devices (default 10,000; provisioned in bulk by SQL, as the check-in bench
// does: this measures scans, not enrollment) each send a full scan of U updates (default 300) of one
// shared catalog, then a "release day" delta of R new missing updates (default 20), C reports in flight
// (default 16). Figures: device-update rows stored per second in each phase (rows / wall time of the
// phase), p50 and p99 of a report, and the rate of COPY FROM STDIN of the same rows (same values) into a
// bare table of the same columns and primary key (no triggers, foreign keys or other indexes) on the same
// server in the same run: the ceiling of writing those rows. Then every row, event and compliance count
// is checked against what was sent. Target: ingest at least half the COPY rate, nothing lost. The
// machine may be shared: the load average before and after is printed. The last line is one JSON object.
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { naturalKey } from '../src/core/updates.ts';
import { closedLoop, type LoadResult } from '../src/agent/fleet/load.ts';
import type { ReportedUpdate } from '../src/wire/agent.ts';
import { adminSql, adminToken, apiPost, arg, cpuMicros, scratchDatabase, startServer } from './_support.ts';
import { fullScan, releaseDay } from './_scan-reports.ts';

const DEVICES = Number(arg('devices', '10000'));
const UPDATES = Number(arg('updates', '300'));
const RELEASE = Number(arg('release', '20'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const PASSWORD = 'bench-password-1';

/**
 * COPY … FROM STDIN on a pg client, without pg-copy-streams: a submittable query that answers the
 * server's CopyInResponse with the chunks `next` gives (waiting for the socket to drain), then ends the
 * copy. Resolves with the number of rows copied.
 */
function copyIn(client: pg.Client, text: string, next: () => string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    let error: Error | undefined;
    let rows = 0;
    const submittable = {
      submit: (c: { query(text: string): void }) => c.query(text),
      handleCopyInResponse: async (c: {
        sendCopyFromChunk(b: Buffer): void;
        endCopyFrom(): void;
        stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
      }) => {
        for (let chunk = next(); chunk !== undefined; chunk = next()) {
          c.sendCopyFromChunk(Buffer.from(chunk));
          if (c.stream.writableNeedDrain) await new Promise((r) => c.stream.once('drain', r));
        }
        c.endCopyFrom();
      },
      handleCommandComplete: (msg: { text: string }) => void (rows = Number(msg.text.split(' ')[1])),
      handleError: (e: Error) => void (error = e),
      handleReadyForQuery: () => (error ? reject(error) : resolve(rows)),
      handleRowDescription: () => {},
      handleDataRow: () => {},
      handleEmptyQuery: () => {},
      handleCopyData: () => {},
      handlePortalSuspended: () => {},
    };
    (client as unknown as { query(s: unknown): void }).query(submittable);
  });
}

const db = await scratchDatabase('ingest');
const load0 = loadavg()[0]!;
// --cpu-prof DIR: the server writes a V8 CPU profile there when it stops (open it in Chrome's devtools)
const PROFILE = arg('cpu-prof', '');
// --db-profile: the database times its functions (the compliance triggers) for the figures printed at the end
const DB_PROFILE = process.argv.includes('--db-profile');
if (DB_PROFILE) await adminSql(db.url, `alter database ${db.name} set track_functions = 'all'`);
// a loaded machine may take more than startServer's minute to start it: a few tries
async function startWithRetries() {
  for (let i = 0; ; i++) {
    try {
      return await startServer({
        databaseUrl: db.url,
        adminPassword: PASSWORD,
        nodeOptions: PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [],
      });
    } catch (e) {
      if (i >= 4) throw e;
      console.log(`${(e as Error).message}: trying again`);
    }
  }
}
const server = await startWithRetries();
console.log(`server up on PostgreSQL (${db.name}); load average ${load0.toFixed(2)}`);
const pgc = new pg.Client({ connectionString: db.url });
await pgc.connect();
/** CPU time used so far by the server process and by the database's backends (µs) */
async function cpu() {
  const r = await pgc.query(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [db.name],
  );
  let database = 0;
  for (const { pid } of r.rows as { pid: number }[]) {
    try {
      database += cpuMicros(pid);
    } catch {
      /* ended meanwhile */
    }
  }
  return { server: cpuMicros(server.child.pid!), database };
}
const count = async (q: string, params: unknown[] = []) =>
  Number((await pgc.query(q, params)).rows[0]!.n as string);

let result: Record<string, unknown> = {};
let pass = false;
try {
  // the server listens before it has made the admin (serve bootstraps after listening): retry a while
  let token = '';
  for (let i = 0; !token; i++)
    token = await adminToken(server.url, PASSWORD).catch(async (e: Error) => {
      if (i > 120) throw e;
      await new Promise((r) => setTimeout(r, 500));
      return '';
    });
  const org = await apiPost<{ id: number; rootGroupId: number }>(server.url, token, '/organizations', {
    name: 'ingest bench',
  });
  const tag = Math.random().toString(36).slice(2, 8);
  const t0 = performance.now();
  const provisioned = await adminSql(
    db.url,
    `insert into devices (organization_id, group_id, name, hostname, os_family, credential_hash, credential_generation, enrolled_at, last_seen_at)
     select $1, $2, 'ingest-' || $3 || '-' || g, 'ingest-' || g, 'linux',
            encode(sha256(convert_to('pld_ingest_' || $3 || '_' || g, 'UTF8')), 'hex'), 1, now(), now()
     from generate_series(0, $4::int - 1) g
     returning id, substring(name from length('ingest-' || $3 || '-') + 1)::int as g`,
    [org.id, org.rootGroupId, tag, DEVICES],
  );
  const deviceIds: number[] = new Array(DEVICES);
  for (const r of provisioned.rows as { id: string; g: number }[]) deviceIds[r.g] = Number(r.id);
  console.log(`${DEVICES} devices provisioned in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  /** one phase: every device sends one report; its figures and the answers that were not accepted */
  const phase = async (name: string, body: (g: number) => object, rowsPerReport: number) => {
    let refused = 0;
    const c0 = await cpu();
    const t = performance.now();
    let answered = 0;
    const ticker = setInterval(
      () =>
        console.log(
          `  ${name}: ${answered} of ${DEVICES} reports, ${((performance.now() - t) / 1000).toFixed(0)} s`,
        ),
      30_000,
    );
    const r: LoadResult = await closedLoop({
      url: `${server.url}/agent/v1/scans`,
      method: 'POST',
      concurrency: CONCURRENCY,
      durationSeconds: 86_400,
      maxRequests: DEVICES,
      request: (g) => ({
        headers: { authorization: `Bearer pld_ingest_${tag}_${g}` },
        body: JSON.stringify(body(g)),
      }),
      onAnswer: (_g, status, b) => {
        answered++;
        if (status !== 200 || (JSON.parse(b.toString()) as { accepted: boolean }).accepted !== true)
          refused++;
      },
    }).finally(() => clearInterval(ticker));
    const seconds = (performance.now() - t) / 1000;
    const c1 = await cpu();
    // CPU per stored row, whatever else the machine does (the backends' CPU counts only those still open)
    const serverUsPerRow = Math.round(((c1.server - c0.server) / (DEVICES * rowsPerReport)) * 10) / 10;
    const databaseUsPerRow = Math.round(((c1.database - c0.database) / (DEVICES * rowsPerReport)) * 10) / 10;
    const rowsPerSecond = Math.round((DEVICES * rowsPerReport) / seconds);
    console.log(
      `${name}: ${DEVICES} reports of ${rowsPerReport} updates in ${seconds.toFixed(1)} s: ${r.perSecond} reports/s, ` +
        `${rowsPerSecond} device-update rows/s; report p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms; ` +
        `${r.errors} errors, ${refused} not accepted ${r.topErrors.map((e) => e.message).join('; ')}; ` +
        `CPU per row: server ${serverUsPerRow} µs, database ${databaseUsPerRow} µs`,
    );
    return {
      seconds: Math.round(seconds * 10) / 10,
      reportsPerSecond: r.perSecond,
      rowsPerSecond,
      p50Ms: r.latencyMs.p50,
      p99Ms: r.latencyMs.p99,
      errors: r.errors + refused,
      serverCpuUsPerRow: serverUsPerRow,
      databaseCpuUsPerRow: databaseUsPerRow,
    };
  };

  const scan = await phase(
    'full scans',
    (g) => ({ sequence: 1, full: true, updates: fullScan(g, UPDATES) }),
    UPDATES,
  );
  const release = await phase(
    'release day',
    (g) => ({ sequence: 2, full: false, updates: releaseDay(g, RELEASE) }),
    RELEASE,
  );

  if (DB_PROFILE) {
    // backends report their function times when idle, at most every 10 s
    await new Promise((r) => setTimeout(r, 11_000));
    const fns = await pgc.query(
      `select funcname, calls, round(total_time) as total_ms, round(self_time) as self_ms
       from pg_stat_user_functions order by total_time desc`,
    );
    for (const f of fns.rows as { funcname: string; calls: string; total_ms: string; self_ms: string }[])
      console.log(
        `  database function ${f.funcname}: ${f.calls} calls, ${f.total_ms} ms (self ${f.self_ms} ms)`,
      );
    const x = await pgc.query(
      'select xact_commit, xact_rollback from pg_stat_database where datname = current_database()',
    );
    console.log(`  database transactions: ${JSON.stringify(x.rows[0])}`);
  }

  // COPY of the same rows (the values the server stored) into a bare table of the same shape
  const ids = new Map<string, number>(
    (
      (await pgc.query('select id, natural_key from updates')).rows as { id: string; natural_key: string }[]
    ).map((r) => [r.natural_key, Number(r.id)]),
  );
  await pgc.query(`create table bare_device_updates (
    device_id bigint not null, update_id bigint not null, organization_id bigint not null,
    detection text not null, status text not null, installed_version text, available_version text,
    first_detected_at timestamptz not null default now(), last_detected_at timestamptz not null default now(),
    status_changed_at timestamptz not null default now(), installed_at timestamptz,
    attempts integer not null default 0, last_error text, job_id bigint,
    primary key (device_id, update_id))`);
  const stamp = new Date().toISOString();
  const line = (g: number, u: ReportedUpdate) => {
    const installed = u.detection === 'installed';
    return `${deviceIds[g]}\t${ids.get(naturalKey(u)) ?? 0}\t${org.id}\t${u.detection}\t${installed ? 'installed' : 'missing'}\t${u.installedVersion}\t${u.version}\t${stamp}\t${stamp}\t${stamp}\t${installed ? stamp : '\\N'}\t0\t\\N\t\\N\n`;
  };
  let g = 0;
  const copyBackend = Number((await pgc.query('select pg_backend_pid() as p')).rows[0]!.p);
  const cc0 = cpuMicros(copyBackend);
  const tc = performance.now();
  const copied = await copyIn(
    pgc,
    `copy bare_device_updates (device_id, update_id, organization_id, detection, status, installed_version, available_version, first_detected_at, last_detected_at, status_changed_at, installed_at, attempts, last_error, job_id) from stdin`,
    () => {
      if (g >= DEVICES) return undefined;
      let s = '';
      for (const u of fullScan(g, UPDATES)) s += line(g, u);
      for (const u of releaseDay(g, RELEASE)) s += line(g, u);
      g++;
      return s;
    },
  );
  const copySeconds = (performance.now() - tc) / 1000;
  const copyRate = Math.round(copied / copySeconds);
  const copyUsPerRow = Math.round(((cpuMicros(copyBackend) - cc0) / copied) * 10) / 10;
  console.log(
    `COPY of the same ${copied} rows into a bare table: ${copySeconds.toFixed(1)} s, ${copyRate} rows/s; database CPU per row ${copyUsPerRow} µs`,
  );

  // The floor of any per-report store of these facts: the same rows, one transaction per report as an
  // acknowledgement needs, written by INSERT … SELECT FROM unnest (the statement the server uses) into bare
  // copies of device_updates and events with their indexes and nothing else (no triggers, foreign keys,
  // other statements or server), by this process on one connection. Its database CPU per row against
  // COPY's says what the schema itself costs, whatever the code around it does.
  await pgc.query(`create table floor_device_updates (like device_updates including all)`);
  await pgc.query(`create table floor_events (like events including all)`);
  const floorDevices = Math.min(DEVICES, 200);
  const f0 = cpuMicros(copyBackend);
  const tf = performance.now();
  const DU = `device_id, update_id, organization_id, detection, status, installed_version, available_version, last_detected_at, status_changed_at, installed_at`;
  for (let g = 0; g < floorDevices; g++) {
    const us = [...fullScan(g, UPDATES), ...releaseDay(g, RELEASE)];
    const col = <T>(f: (u: ReportedUpdate) => T) => us.map(f);
    const installed = (u: ReportedUpdate) => u.detection === 'installed';
    const now = new Date();
    await pgc.query('begin');
    await pgc.query(
      `insert into floor_device_updates (${DU}) select * from unnest($1::bigint[], $2::bigint[], $3::bigint[],
         $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[])
       on conflict (device_id, update_id) do nothing`,
      [
        col(() => deviceIds[g]),
        col((u) => ids.get(naturalKey(u)) ?? 0),
        col(() => org.id),
        col((u) => u.detection),
        col((u) => (installed(u) ? 'installed' : 'missing')),
        col((u) => u.installedVersion),
        col((u) => u.version),
        col(() => now),
        col(() => now),
        col((u) => (installed(u) ? now : null)),
      ],
    );
    await pgc.query(
      `insert into floor_events (at, organization_id, actor_type, actor_id, actor_name, kind, subject_type, subject_id, device_id, update_id, data)
       select * from unnest($1::timestamptz[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::bigint[], $10::bigint[], $11::jsonb[])`,
      [
        col(() => now),
        col(() => org.id),
        col(() => 'device'),
        col(() => String(deviceIds[g])),
        col(() => `ingest-${g}`),
        col(() => 'device_update.detected'),
        col(() => 'device_update'),
        col((u) => `${deviceIds[g]}:${ids.get(naturalKey(u))}`),
        col(() => deviceIds[g]),
        col((u) => ids.get(naturalKey(u)) ?? 0),
        col((u) =>
          JSON.stringify({ from: null, to: installed(u) ? 'installed' : 'missing', reason: 'scan' }),
        ),
      ],
    );
    await pgc.query('commit');
  }
  const floorRows = floorDevices * (UPDATES + RELEASE);
  const floorUsPerRow = Math.round(((cpuMicros(copyBackend) - f0) / floorRows) * 10) / 10;
  const floorRate = Math.round(floorRows / ((performance.now() - tf) / 1000));
  console.log(
    `floor (the same rows and their events, a transaction per report, bare tables with the same indexes, one connection): ` +
      `${floorRate} rows/s, database CPU per row ${floorUsPerRow} µs (COPY: ${copyUsPerRow} µs)`,
  );

  // nothing lost: every row, every event, every compliance count
  const expectRows = DEVICES * (UPDATES + RELEASE);
  const rows = await count('select count(*) as n from device_updates where organization_id = $1', [org.id]);
  const short = await count(
    `select count(*) as n from (select d.id from devices d left join device_updates du on du.device_id = d.id
      where d.organization_id = $1 group by d.id having count(du.update_id) <> $2) x`,
    [org.id, UPDATES + RELEASE],
  );
  const events = await count(
    `select count(*) as n from events where organization_id = $1 and kind = 'device_update.detected'`,
    [org.id],
  );
  const missingRows = await count(
    `select count(*) as n from device_updates where organization_id = $1 and status = 'missing'`,
    [org.id],
  );
  const compliance = await count(
    `select coalesce(sum(missing_unknown + missing_none + missing_low + missing_medium + missing_high + missing_critical), 0) as n
     from device_compliance where organization_id = $1`,
    [org.id],
  );
  const sequences = await count(
    'select count(*) as n from devices where organization_id = $1 and scan_sequence = 2',
    [org.id],
  );
  const catalog = await count('select count(*) as n from updates');
  const checks = {
    rows: rows === expectRows,
    everyDeviceComplete: short === 0,
    events: events === expectRows,
    compliance: compliance === missingRows,
    sequences: sequences === DEVICES,
    catalog: catalog === UPDATES + RELEASE,
    noErrors: scan.errors === 0 && release.errors === 0,
    copy: copied === expectRows,
  };
  console.log(
    `stored ${rows} of ${expectRows} rows (${short} devices incomplete), ${events} detection events, ` +
      `compliance missing ${compliance} = ${missingRows} missing rows, ${sequences} sequences at 2, ${catalog} catalog updates`,
  );
  const ingestRate = Math.round(expectRows / (scan.seconds + release.seconds));
  const share = Math.round((ingestRate / copyRate) * 100) / 100;
  const load1 = loadavg()[0]!;
  console.log(
    `ingest ${ingestRate} rows/s over both phases = ${share} of COPY (${copyRate} rows/s); load average ${load0.toFixed(1)} → ${load1.toFixed(1)}`,
  );
  const rows2 = DEVICES * UPDATES + DEVICES * RELEASE;
  const perRow = (k: 'serverCpuUsPerRow' | 'databaseCpuUsPerRow') =>
    Math.round(((scan[k] * DEVICES * UPDATES + release[k] * DEVICES * RELEASE) / rows2) * 10) / 10;
  pass = Object.values(checks).every(Boolean) && share >= 0.5;
  result = {
    conditions: {
      devices: DEVICES,
      updates: UPDATES,
      release: RELEASE,
      concurrency: CONCURRENCY,
      cpus: cpus().length,
      load_average: [Math.round(load0 * 10) / 10, Math.round(load1 * 10) / 10],
    },
    full_scans: scan,
    release_day: release,
    ingest_rows_per_second: ingestRate,
    copy_rows_per_second: copyRate,
    share_of_copy: share,
    report_p99_ms: Math.max(scan.p99Ms, release.p99Ms),
    // CPU per stored row, whatever else the machine does: what moves when the code changes
    cpu_us_per_row: {
      server: perRow('serverCpuUsPerRow'),
      database: perRow('databaseCpuUsPerRow'),
      copy_database: copyUsPerRow,
      floor_database: floorUsPerRow,
    },
    floor_rows_per_second: floorRate,
    checks,
    targets: { share_of_copy: 0.5, nothing_lost: 'every row, event, compliance count and sequence as sent' },
  };
} catch (e) {
  // the last line stays the JSON object, with what failed
  console.error(e);
  result.error = (e as Error).message;
} finally {
  await pgc.end();
  await server.stop();
  await db.drop();
}
console.log(JSON.stringify({ name: 'ingest', ...result, pass }));
