import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engine/engine.ts';
import { listPolicies } from '../../src/services/policies.ts';
import { systemContext } from '../../src/services/context.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { buildDemo } from '../../src/services/demo.ts';
import { freshStore } from '../support/store.ts';

// The demo's policies are scheduled from the moment they are made: made half an hour after a policy's
// weekly time (Monday 20:30 in Berlin, the weeknight round runs at 20:00), that round is next week's
// (Tuesday), never one already past that the engine would start the moment the server comes up.
test('demo policies made just after their weekly time run next time, not in the past', async () => {
  const { store, cleanup } = await freshStore('pglite');
  const engine = createEngine({ store, owner: 'demo-schedule-test' });
  try {
    await bootstrap(store, 'admin-password');
    const now = new Date('2026-11-30T19:30:00Z'); // a Monday, 20:30 in Europe/Berlin
    await buildDemo(store, {
      devices: 9,
      now,
      operatorPassword: 'olivia-password',
      runEngine: () => engine.tick(),
    });
    const ctx = systemContext(store, 'test');
    const policies = await listPolicies(ctx);
    assert.equal(policies.length, 5);
    for (const p of policies) {
      assert.ok(p.nextRunAt, `${p.name} has a next run`);
      assert.ok(p.nextRunAt > now, `${p.name} runs after the demo's now: ${p.nextRunAt.toISOString()}`);
    }
  } finally {
    await engine.stop();
    await cleanup();
  }
});
