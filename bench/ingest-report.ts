// npm run bench -- ingest-report [--updates N] [--runs R] [--driver pglite|postgres|both]
// The profile of one scan report through the agent protocol, in process (app.inject): how many
// statements it sends to the store (counted at the query executor: BEGIN/COMMIT and what triggers run
// on the server are not counted) and how long it takes, on each store. Reports: a device's first full
// scan of N updates (default 300) into an empty catalog, another device's first full scan of the same
// updates, the same scan again (nothing changed), and a release-day delta of 20 new missing updates;
// and a first full scan of N/10 updates, to compare. R devices (default 5) per kind: the time is their
// median. Passes when a report of N updates costs as many statements as one of N/10 (no statement per
// update) and at most 25. The last line is one JSON object.
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { DriverName } from '../src/store/db.ts';
import type { ReportedUpdate } from '../src/wire/agent.ts';
import { ADMIN_PASSWORD, client, signIn, startApp } from '../test/support/api.ts';
import { countingStore } from '../test/support/counting-store.ts';
import { freshStore } from '../test/support/store.ts';
import { arg, median } from './_support.ts';
import { fullScan, releaseDay } from './_scan-reports.ts';

const N = Number(arg('updates', '300'));
const RUNS = Number(arg('runs', '5'));
const which = arg('driver', 'both');
const drivers: DriverName[] = which === 'both' ? ['pglite', 'postgres'] : [which as DriverName];

interface Step {
  statements: number;
  kinds: string[];
  ms: number[];
}

async function profile(driver: DriverName) {
  const { store: base, cleanup } = await freshStore(driver);
  const store = countingStore(base);
  let app: FastifyInstance | undefined;
  const steps: Record<string, Step> = {};
  try {
    app = await startApp(store);
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const org = (await admin.post('/api/v1/organizations', { name: 'Ingest' })).body as { id: number };
    const token = (await admin.post(`/api/v1/organizations/${org.id}/install-tokens`, { name: 'b' })).body
      .token as string;
    let serial = 0;
    const enroll = async () => {
      const e = await client(app!).post('/agent/v1/enroll', {
        token,
        name: `h${++serial}`,
        osFamily: 'linux',
      });
      assert.equal(e.status, 201, JSON.stringify(e.body));
      return client(app!, e.body.credential as string);
    };
    const report = async (
      step: string,
      agent: ReturnType<typeof client>,
      body: { sequence: number; full: boolean; updates: ReportedUpdate[] },
    ) => {
      store.reset();
      const t = performance.now();
      const r = await agent.post('/agent/v1/scans', body);
      const ms = performance.now() - t;
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.accepted, true);
      const s = (steps[step] ??= {
        statements: store.statements.length,
        kinds: store.statements.map(
          (k, i) =>
            `${k} ${store.ms[i]!.toFixed(1)} ms: ${store.texts[i]!.replace(/\s+/g, ' ').slice(0, 90)}`,
        ),
        ms: [],
      });
      s.ms.push(ms);
    };
    await report('first scan, new catalog', await enroll(), {
      sequence: 1,
      full: true,
      updates: fullScan(0, N),
    });
    for (let d = 1; d <= RUNS; d++) {
      const agent = await enroll();
      await report('first scan of a device', agent, { sequence: 1, full: true, updates: fullScan(d, N) });
      await report('same scan again', agent, { sequence: 2, full: true, updates: fullScan(d, N) });
      await report('release day (20 new)', agent, { sequence: 3, full: false, updates: releaseDay(d, 20) });
      const small = await enroll();
      await report(`first scan of ${N / 10}`, small, {
        sequence: 1,
        full: true,
        updates: fullScan(d, N / 10),
      });
    }
  } finally {
    await app?.close();
    await cleanup();
  }
  return steps;
}

const out: Record<string, Record<string, { statements: number; median_ms: number }>> = {};
let pass = true;
for (const driver of drivers) {
  const steps = await profile(driver);
  out[driver] = {};
  for (const [step, s] of Object.entries(steps)) {
    out[driver][step] = { statements: s.statements, median_ms: Math.round(median(s.ms) * 10) / 10 };
    console.log(`${driver}: ${step}: ${s.statements} statements, median ${median(s.ms).toFixed(1)} ms`);
    if (process.env.PROFILE_VERBOSE) {
      for (const k of s.kinds) console.log(`  ${k}`);
    }
  }
  const big = steps['first scan of a device']!.statements;
  const small = steps[`first scan of ${N / 10}`]!.statements;
  pass &&= big === small && big <= 25;
}
console.log(
  JSON.stringify({
    name: 'ingest-report',
    updates: N,
    runs: RUNS,
    figures: out,
    target: 'statements of a report independent of its size, at most 25',
    pass,
  }),
);
