// npm run bench -- console-timing [--runs N]
// The target: no console page takes more than a second to show its first data on the demo data
// set. Builds the whole demo (300 devices) on in-memory PGlite, serves the console with the real server,
// and measures in Debian's chromium (PATCHLINE_CHROMIUM) each page's own clock (performance.now(): from the
// navigation's start, or from the click) to the moment its first data is on screen. Each page is measured
// N times (default 3); the median must stay under the budget (PATCHLINE_FIRST_DATA_BUDGET_MS, default
// 1000). The dashboard's charts come after its first data: their time is printed, not held to the budget.
// The last line is one JSON object.
import { chromium } from 'playwright-core';
import { createEngine } from '../src/engine/engine.ts';
import { buildDemo, DEMO_DEVICES } from '../src/services/demo.ts';
import { ADMIN_PASSWORD, signIn } from '../test/support/api.ts';
import { freshStore } from '../test/support/store.ts';
import { firstDataRound } from '../test/console/first-data.ts';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  ensureConsoleBuilt,
  HAVE_CHROMIUM,
  signInPage,
  startConsoleServer,
} from '../test/console/helpers.ts';
import { arg, median } from './_support.ts';

const BUDGET_MS = Number(process.env.PATCHLINE_FIRST_DATA_BUDGET_MS ?? 1000);
const RUNS = Number(arg('runs', '3'));

if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} is missing: set PATCHLINE_CHROMIUM to a chromium binary`);
ensureConsoleBuilt();
const { store, cleanup } = await freshStore('pglite');
const { app, url } = await startConsoleServer(store);
const figures: Record<string, number[]> = {};
const note = (what: string, ms: number) => (figures[what] ??= []).push(Math.round(ms));
let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
try {
  const engine = createEngine({ store, owner: 'console-timing-bench' });
  const started = Date.now();
  try {
    await buildDemo(store, { operatorPassword: 'olivia-password', runEngine: () => engine.tick() });
  } finally {
    await engine.stop();
  }
  console.log(`the demo data set took ${((Date.now() - started) / 1000).toFixed(1)} s on in-memory PGlite`);
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const status = (await admin.get('/api/v1/status')).body as { devices: number };
  if (status.devices !== DEMO_DEVICES) throw new Error(`the demo has ${status.devices} devices`);
  const worst = (await admin.get('/api/v1/devices?limit=1&sort=name')).body.items[0] as { id: number };
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  await signInPage(page, url, 'admin', ADMIN_PASSWORD);
  for (let i = 0; i < RUNS; i++) {
    await firstDataRound(page, { url, deviceId: worst.id, timeout: 60_000, note });
  }
  await context.close();
} finally {
  await browser?.close();
  await app.close();
  await cleanup();
}

const medians = Object.fromEntries(Object.entries(figures).map(([what, xs]) => [what, median(xs)]));
for (const [what, xs] of Object.entries(figures))
  console.log(`first data, ${what}: ${xs.join(', ')} ms (median ${medians[what]} ms)`);
const held = Object.keys(medians).filter((w) => !w.startsWith('dashboard charts'));
console.log(
  JSON.stringify({
    name: 'console-timing',
    runs: RUNS,
    medians_ms: medians,
    budget_ms: BUDGET_MS,
    pass: held.length === 5 && held.every((w) => medians[w]! < BUDGET_MS),
  }),
);
