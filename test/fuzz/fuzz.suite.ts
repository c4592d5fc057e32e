import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { routeTable } from '../../src/faces/shared/route-table.ts';
import { eachDriver } from '../support/store.ts';
import { FACES, faceOf } from './faces.ts';
import { routeName } from './generators.ts';
import { describeFailure, Fuzzer, requestArbitrary, routeArbitraries, startFuzzApp } from './harness.ts';

// The fuzz suite (issue "Hardening"): requests generated from every route of every face (the route
// table, the routes' schemas, the dialects' grammars), with a fixed seed. The property per request: no
// 5xx, and the next valid request (a native read, an agent check-in) still succeeds. Answers slower
// than a second are counted and reported, not asserted (no wall-clock assertions in tests);
// `npm run fuzz -- --requests N` runs longer and fails on them. PATCHLINE_FUZZ_REQUESTS sets the count.

const SEED = 20_260_517;
const REQUESTS = { pglite: 2000, postgres: 600 };

eachDriver('fuzz', (h) => {
  let app: FastifyInstance;
  let fuzzer: Fuzzer;
  const requests = Number(process.env.PATCHLINE_FUZZ_REQUESTS ?? REQUESTS[h.driver]);

  before(async () => {
    app = await startFuzzApp(h.store());
    fuzzer = new Fuzzer(app, h.store());
    await fuzzer.setup();
  });
  after(async () => app?.close());

  test('every route of the route table belongs to exactly one registered face', () => {
    const routes = routeTable(app);
    assert.ok(routes.length > 100, `only ${routes.length} routes in the table`);
    const orphans = routes.filter((r) => !faceOf(r)).map(routeName);
    assert.deepEqual(orphans, [], 'routes no face in test/fuzz/faces.ts owns: register their face');
    const shared = routes.filter((r) => FACES.filter((f) => f.owns(r)).length > 1).map(routeName);
    assert.deepEqual(shared, [], 'routes two faces claim');
    // each route's generator builds and yields requests for that route
    for (const [i, arb] of routeArbitraries(app, fuzzer.protectedIds).entries()) {
      const [req] = fc.sample(arb, { seed: SEED, numRuns: 1 });
      assert.equal(req?.route, routeName(routes[i]!));
    }
  });

  test(`a request for every route, then ${requests} generated requests: no 5xx, and the next valid request still succeeds`, async (t) => {
    // a sweep first: one generated request for each route, so that every route is reached whatever the
    // random draw (with hundreds of routes, a draw of a few thousand misses some)
    for (const arb of routeArbitraries(app, fuzzer.protectedIds)) {
      const [req] = fc.sample(arb, { seed: SEED, numRuns: 1 });
      const failed = await fuzzer.run(req!);
      assert.equal(failed, undefined, failed);
    }
    await fc.assert(
      fc.asyncProperty(requestArbitrary(app, fuzzer.protectedIds), async (req) => {
        const failed = await fuzzer.run(req);
        if (failed) throw new Error(failed);
      }),
      { seed: SEED, numRuns: requests, endOnFailure: true, includeErrorInReport: true },
    );
    const s = fuzzer.stats;
    t.diagnostic(
      `${s.requests} requests, ${s.answers} answers: ${JSON.stringify(s.byStatus)}; ${s.slow} slower than a second (max ${s.maxMs.toFixed(0)} ms); credentials made again ${s.reprovisioned} times`,
    );
    for (const f of s.failures.filter((f) => f.kind === 'slow')) t.diagnostic(describeFailure(f));
    assert.equal(
      s.status5xx,
      0,
      s.failures
        .filter((f) => f.kind === '5xx')
        .map(describeFailure)
        .join('\n'),
    );
    assert.equal(
      s.checkFailures,
      0,
      s.failures
        .filter((f) => f.kind === 'check')
        .map(describeFailure)
        .join('\n'),
    );
    {
      const notHit = routeTable(app)
        .map(routeName)
        .filter((r) => !s.byRoute[r]);
      assert.deepEqual(notHit, [], 'routes the fuzz never reached');
    }
    assert.ok(
      (s.byStatus['2xx'] ?? 0) > s.requests / 20,
      `too few requests succeed to reach deep code: ${JSON.stringify(s.byStatus)}`,
    );
  });
});
