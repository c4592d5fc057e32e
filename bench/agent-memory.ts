// npm run bench -- agent-memory [--seconds S] [--interval S] [--variants bundle,tsx] [--trace]
// The agent's memory while it idles: builds the bundle (scripts/build-agent.mjs → dist/agent/main.js),
// starts a server on PostgreSQL (its own database, dropped after), enrolls agents with the simulated
// backend, makes their devices check in every few seconds, and lets each run its service loop for a
// while, sampling its resident memory (/proc/PID/status: VmRSS every 250 ms, VmHWM the peak). Measured:
// - bundle: `node --max-semi-space-size=1 --max-old-space-size=32 dist/agent/main.js run`, the bundle
//   with the small heap the systemd unit asks for (the target applies to this one);
// - bundle-default-heap: the same bundle with node's default heap settings;
// - tsx: the same flags but the TypeScript sources through tsx (`--import tsx src/agent/main.ts`), as the
//   unit ran the agent before the bundle.
// Target (issue 4): the agent idles under 60 MB. The last line is one JSON object.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adminSql,
  adminToken,
  apiPost,
  arg,
  median,
  procMb,
  scratchDatabase,
  startServer,
} from './_support.ts';

const SECONDS = Number(arg('seconds', '25'));
const INTERVAL = Number(arg('interval', '2'));
const PASSWORD = 'bench-password-1';
const TARGET_MB = 60;
const SMALL_HEAP = ['--max-semi-space-size=1', '--max-old-space-size=32'];

const built = spawnSync(process.execPath, ['scripts/build-agent.mjs'], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(`the agent build failed:\n${built.stdout}${built.stderr}`);
console.log(built.stdout.trim());

const ALL: { name: string; args: string[] }[] = [
  { name: 'bundle', args: [...SMALL_HEAP, 'dist/agent/main.js'] },
  { name: 'bundle-default-heap', args: ['dist/agent/main.js'] },
  { name: 'tsx', args: [...SMALL_HEAP, '--import', 'tsx', 'src/agent/main.ts'] },
];
// --variants bundle,tsx: only some of them (a long run of one)
const only = arg('variants', '').split(',').filter(Boolean);
const variants = only.length ? ALL.filter((v) => only.includes(v.name)) : ALL;

const db = await scratchDatabase('agentmem');
const server = await startServer({ databaseUrl: db.url, adminPassword: PASSWORD });
const work = mkdtempSync(join(tmpdir(), 'patchline-agent-memory-'));
const figures: Record<
  string,
  { peakMb: number; steadyMb: number; startMb: number; checkins: number; exitCode: number | null }
> = {};

/** check-ins the server has answered so far (its Prometheus counter) */
async function checkinsServed(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('patchline_http_requests_total{') && line.includes('route="/agent/v1/checkin"'))
      n += Number(line.split(' ').pop());
  return n;
}

try {
  const token = await adminToken(server.url, PASSWORD);
  const org = await apiPost<{ id: number }>(server.url, token, '/organizations', { name: 'agent memory' });
  const install = await apiPost<{ token: string }>(
    server.url,
    token,
    `/organizations/${org.id}/install-tokens`,
    { name: 'agent memory bench' },
  );
  for (const v of variants) {
    const dir = join(work, v.name);
    const config = join(dir, 'agent.json');
    const enroll = spawnSync(
      process.execPath,
      [
        ...v.args,
        'enroll',
        '--server',
        server.url,
        '--token',
        install.token,
        '--name',
        `memory-${v.name}`,
        '--backend',
        'simulated',
        '--os',
        'debian:12',
        '--state-dir',
        join(dir, 'state'),
        '--config',
        config,
      ],
      { encoding: 'utf8' },
    );
    if (enroll.status !== 0) throw new Error(`${v.name}: enroll failed:\n${enroll.stdout}${enroll.stderr}`);
    const { deviceId } = JSON.parse(readFileSync(config, 'utf8')) as { deviceId: number };
    // the server tells the agent its interval in each check-in's settings
    await adminSql(db.url, 'update devices set checkin_interval_seconds = $1 where id = $2', [
      INTERVAL,
      deviceId,
    ]);

    const before = await checkinsServed();
    const child = spawn(process.execPath, [...v.args, 'run', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const samples: { t: number; mb: number }[] = [];
    const t0 = performance.now();
    let peak = NaN;
    while (performance.now() - t0 < SECONDS * 1000 && child.exitCode === null) {
      // fine-grained at first, when the agent starts, scans and reports
      await new Promise((r) => setTimeout(r, performance.now() - t0 < 3000 ? 20 : 250));
      try {
        samples.push({ t: (performance.now() - t0) / 1000, mb: procMb(child.pid!, 'VmRSS') });
        peak = procMb(child.pid!, 'VmHWM');
      } catch {
        /* it exited */
      }
    }
    const exitCode = child.exitCode;
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    if (exitCode !== null) throw new Error(`${v.name}: the agent exited with ${exitCode}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
    const checkins = (await checkinsServed()) - before;
    // steady: the median of the second half of the run, when the first scan and report are long done
    const steady = median(samples.filter((s) => s.t >= SECONDS / 2).map((s) => s.mb));
    const start = samples.find((s) => s.t >= 1)?.mb ?? NaN;
    const top = samples.reduce((a, s) => (s.mb > a.mb ? s : a), { t: NaN, mb: 0 });
    if (process.argv.includes('--trace'))
      console.log(
        samples
          .filter((s) => s.t < 3)
          .map((s) => `${s.t.toFixed(2)}s ${s.mb}`)
          .join(', '),
      );
    figures[v.name] = { peakMb: peak, steadyMb: steady, startMb: start, checkins, exitCode };
    console.log(
      `${v.name.padEnd(20)} peak ${peak} MB, steady ${steady} MB (after 1 s: ${start} MB, highest sample ${top.mb} MB at ${top.t.toFixed(2)} s); ` +
        `${checkins} check-ins in ${SECONDS} s  [node ${v.args.join(' ')} run]`,
    );
  }
} finally {
  await server.stop();
  await db.drop();
  rmSync(work, { recursive: true, force: true });
  const b = figures.bundle;
  const pass = !!b && b.peakMb < TARGET_MB && b.checkins >= Math.floor(SECONDS / INTERVAL / 2);
  console.log(
    JSON.stringify({
      name: 'agent-memory',
      figures,
      targets: { idleRssMb: TARGET_MB, applies: 'bundle (peak resident memory over the run)' },
      seconds: SECONDS,
      intervalSeconds: INTERVAL,
      pass,
    }),
  );
}
