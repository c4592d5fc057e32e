// npm run bench -- first-hour [--devices 300] [--previews 20]
// The two waits of a new user's first hour (issue "The first hour"), measured as the README tells them:
// `patchline demo` on a fresh embedded store in an empty folder (the README promises about a minute for
// the default 300 devices), then `patchline serve` on that folder and the policy page's preview
// (`GET /api/v1/policies/:id/preview`, called when a policy is opened) for each of the demo's policies.
// Targets: the demo in under 60 s; the preview's p99 under 300 ms (it took 0.9-1.3 s before it was fixed).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Latencies } from '../src/agent/fleet/stats.ts';
import { adminToken, arg, startServer } from './_support.ts';

const devices = Number(arg('devices', '300'));
const previews = Number(arg('previews', '20'));
const PASSWORD = 'bench-first-hour-password';
const TARGET = { demoSeconds: 60, previewP99Ms: 300 };

const dir = mkdtempSync(join(tmpdir(), 'patchline-bench-first-hour-'));
const dataDir = join(dir, 'data');
try {
  console.log(`patchline demo --devices ${devices} in ${dataDir} (a fresh embedded store)…`);
  const started = performance.now();
  let filling = NaN;
  const demo = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--data-dir', dataDir, '--devices', String(devices)],
    { env: { ...process.env, PATCHLINE_ADMIN_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  demo.stdout.setEncoding('utf8');
  demo.stdout.on('data', (chunk: string) => {
    // the store is created (initdb, every migration) before the demo says it is filling it
    if (Number.isNaN(filling) && chunk.includes('filling ')) filling = performance.now() - started;
    for (const line of chunk.split('\n')) if (line.trim()) console.log(`  demo: ${line}`);
  });
  const code = await new Promise<number | null>((r) => demo.once('exit', r));
  if (code !== 0) throw new Error(`patchline demo exited with ${code}`);
  const demoSeconds = Math.round((performance.now() - started) / 100) / 10;
  const storeSeconds = Math.round(filling / 100) / 10;

  console.log('patchline serve on the demo folder; the preview of every demo policy…');
  const server = await startServer({ dataDir, adminPassword: PASSWORD });
  const cold = new Latencies();
  const warm = new Latencies();
  let policies = 0;
  try {
    const token = await adminToken(server.url, PASSWORD);
    const get = async (path: string) => {
      const t = performance.now();
      const r = await fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await r.json();
      if (!r.ok) throw new Error(`GET ${path} answered ${r.status}: ${JSON.stringify(body)}`);
      return { ms: performance.now() - t, body };
    };
    const list = (await get('/policies?limit=100')).body as { items: { id: number; name: string }[] };
    policies = list.items.length;
    for (const p of list.items) {
      cold.add((await get(`/policies/${p.id}/preview`)).ms);
      for (let i = 1; i < previews; i++) warm.add((await get(`/policies/${p.id}/preview`)).ms);
      console.log(`  ${p.name}: ${previews} previews`);
    }
  } finally {
    await server.stop();
  }
  const c = cold.summary();
  const w = warm.summary();
  // a user opens a policy once: first calls count as much as repeated ones, so both p99s must meet the target
  const pass =
    demoSeconds < TARGET.demoSeconds && Math.max(c.p99, w.p99) < TARGET.previewP99Ms && policies > 0;
  console.log(
    JSON.stringify({
      name: 'first-hour',
      devices,
      demoSeconds,
      storeCreationSeconds: storeSeconds,
      fillSeconds: Math.round((demoSeconds - storeSeconds) * 10) / 10,
      preview: { policies, firstCall: c, repeated: w },
      targets: TARGET,
      pass,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
