import fc from 'fast-check';
import type { DriverName } from '../../src/store/db.ts';
import { freshStore } from '../support/store.ts';
import type { FuzzRequest } from './generators.ts';
import { describeFailure, Fuzzer, requestArbitrary, startFuzzApp, type Stats } from './harness.ts';

// `npm run fuzz -- [--requests N] [--seed S] [--driver pglite|postgres]`: N requests over every route of
// every face (default 10000, seed from the clock), progress on stderr, the failures found, and as the
// last line of stdout one JSON object: {"name":"fuzz","requests":…,"status5xx":…,"slow":…,"seed":…,"pass":…}.
// `--replay '<request JSON>'` sends one request of a failure report to a fresh world instead.
// It fails (exit 1) on any 5xx, any answer slower than a second, or a valid request failing after one.

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};

export async function main() {
  // a success answered without an authorization check is a 500 here, as under tests
  process.env.PATCHLINE_AUTHZ_BACKSTOP ??= 'fail';
  const requests = Number(arg('requests', '10000'));
  const seed = Number(arg('seed', String(Date.now() % 2 ** 31)));
  const driver = arg('driver', 'pglite') as DriverName;
  if (!Number.isSafeInteger(requests) || requests < 1 || !Number.isSafeInteger(seed)) {
    console.error('usage: npm run fuzz -- [--requests N] [--seed S] [--driver pglite|postgres]');
    process.exit(2);
  }
  const started = performance.now();
  const { store, cleanup } = await freshStore(driver);
  const app = await startFuzzApp(store);
  const fuzzer = new Fuzzer(app, store, 200);
  const stats: Stats = fuzzer.stats;
  try {
    await fuzzer.setup();
    const replay = arg('replay', '');
    if (replay) {
      // one request as a failure report prints it: {"method":…,"url":…,"auth":…,"headers":…,"payload":…}
      const req = JSON.parse(replay) as FuzzRequest;
      console.log((await fuzzer.run({ ...req, route: req.route ?? 'replay' })) ?? 'the property held');
      for (const f of stats.failures) console.error(describeFailure(f));
      return;
    }
    console.error(`fuzz: ${requests} requests, seed ${seed}, ${driver}`);
    const arb = requestArbitrary(app, fuzzer.protectedIds);
    let last = performance.now();
    await fc.assert(
      fc.asyncProperty(arb, async (req) => {
        await fuzzer.run(req);
        const n = fuzzer.stats.requests;
        if (n % 1000 === 0 || performance.now() - last > 30_000) {
          last = performance.now();
          const s = fuzzer.stats;
          console.error(
            `fuzz: ${n}/${requests} requests, ${s.status5xx} 5xx, ${s.slow} slow, ${s.checkFailures} failed checks, max ${s.maxMs.toFixed(0)} ms, ${((performance.now() - started) / 1000).toFixed(0)} s`,
          );
        }
        return true;
      }),
      { seed, numRuns: requests, endOnFailure: true },
    );
  } finally {
    await app.close();
    await cleanup();
  }
  for (const f of stats.failures) console.error(describeFailure(f));
  console.error(
    `status classes: ${JSON.stringify(stats.byStatus)}; routes hit: ${Object.keys(stats.byRoute).length}`,
  );
  const pass = stats.status5xx === 0 && stats.slow === 0 && stats.checkFailures === 0;
  console.log(
    JSON.stringify({
      name: 'fuzz',
      requests: stats.requests,
      status5xx: stats.status5xx,
      slow: stats.slow,
      seed,
      pass,
      checkFailures: stats.checkFailures,
      answers: stats.answers,
      maxMs: Math.round(stats.maxMs),
      reprovisioned: stats.reprovisioned,
      consoleUnbuilt: stats.consoleUnbuilt,
      driver,
      seconds: Math.round((performance.now() - started) / 1000),
    }),
  );
  process.exitCode = pass ? 0 : 1;
}
