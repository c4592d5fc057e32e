// The server stops while 100 simulated agents report job results and comes back on the same store and
// port: every result the agents sent is stored exactly once (job results are idempotent by job id,
// scan reports by sequence number), and nothing stays behind in the agents' outboxes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../src/agent/agent.ts';
import { SimulatedBackend } from '../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../src/agent/client.ts';
import { MemoryStorage } from '../../src/agent/storage.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { systemContext } from '../../src/services/context.ts';
import { runNow } from '../../src/services/tasks.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../support/api.ts';
import { eachDriver } from '../support/store.ts';

const AGENTS = 100;

eachDriver('agents report results across a server restart', (h) => {
  // a generous limit: on a loaded machine the waves are slow, and a test that waits forever would hold the
  // whole run; whatever happens, the servers close (t.after), so a failure ends the file instead of hanging it
  test(
    '100 agents, server stopped mid-report and restarted: every result stored exactly once',
    { timeout: 300_000 },
    async (t) => {
      const store = h.store();
      const closing = new Map<FastifyInstance, Promise<void>>();
      const close = (a: FastifyInstance) => {
        if (!closing.has(a)) {
          closing.set(a, a.close());
          a.server.closeAllConnections();
        }
        return closing.get(a)!;
      };
      let app: FastifyInstance = await startApp(store);
      t.after(async () => {
        await Promise.allSettled([close(app), ...closing.values()]);
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as { port: number }).port;
      const server = `http://127.0.0.1:${port}`;
      const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
      const orgId = (await admin.post('/api/v1/organizations', { name: 'Crashy' })).body.id as number;
      const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, {})).body
        .token as string;

      // what the agents sent: result POSTs per job id; some answers are lost on the way back
      const sent = new Map<number, number>();
      let resultPosts = 0;
      let stopping: Promise<void> | undefined;
      const lostAnswers = new Set<number>();
      const agentFetch =
        (i: number): typeof fetch =>
        async (input, init) => {
          const url = String(input);
          const m = /\/jobs\/(\d+)\/result$/.exec(url);
          if (m) {
            resultPosts++;
            if (resultPosts === 40) {
              // the server goes down in the middle of the wave, cutting its connections (answers in flight are lost)
              stopping = close(app);
            }
          }
          const res = await fetch(input, init);
          if (m && res.ok) sent.set(Number(m[1]), (sent.get(Number(m[1])) ?? 0) + 1);
          if (m && res.ok && i % 10 === 0 && !lostAnswers.has(i)) {
            lostAnswers.add(i); // stored by the server, but the agent never hears it
            await res.text();
            throw new TypeError('fetch failed: connection reset');
          }
          return res;
        };

      // a generous request timeout: on a loaded machine a hundred concurrent check-ins are slow, and one that
      // timed out would run no job, so the wave would not reach the 40 results that stop the server
      const agents: { agent: Agent; storage: MemoryStorage }[] = [];
      for (let i = 0; i < AGENTS; i++) {
        const client = new ProtocolClient({ server, fetch: agentFetch(i), timeoutMs: 60_000 });
        const e = await client.enroll({ token, name: `sim-${i}`, osFamily: 'linux' });
        client.credential = e.credential;
        const storage = new MemoryStorage();
        const backend = new SimulatedBackend({ seed: i + 1, os: { family: 'debian', version: '12' } });
        agents.push({ agent: new Agent({ client, backend, storage }), storage });
      }

      const t0 = Date.now();
      const mark = (what: string) => process.env.CRASH_DEBUG && console.log(what, Date.now() - t0);
      await runNow(systemContext(store, 'test'), { organizationId: orgId, kind: 'scan' });
      assert.equal(await createEngine({ store, owner: 'crash' }).tick(), 1);

      // the wave: every agent checks in, runs its scan job and reports; the server stops after 40 results
      const wave = await Promise.allSettled(agents.map((a) => a.agent.cycle()));
      mark('wave');
      await stopping;
      mark('stopped');
      assert.ok(stopping, 'the server was stopped during the wave');
      const failedRounds = wave.filter((w) => w.status === 'rejected').length;
      assert.ok(
        failedRounds >= 30,
        `many agents could not finish their round (failed rounds: ${failedRounds})`,
      );
      const waiting = agents.filter((a) => a.storage.size > 0).length;
      assert.ok(waiting >= 20, `agents hold undelivered results (${waiting})`);

      // while the server is down the agents keep trying, and keep their messages
      const down = await Promise.allSettled(
        agents.filter((a) => a.storage.size > 0).map((a) => a.agent.flush()),
      );
      assert.ok(down.every((d) => d.status === 'rejected'));

      // the server comes back on the same store and port
      app = await startApp(store);
      await app.listen({ port, host: '127.0.0.1' });
      mark('down');
      // (an agent whose answer is lost now sends again on its next round); rounds go on until every agent
      // finished one cleanly: on a loaded machine a round can time out and need another
      let again: PromiseSettledResult<unknown>[] = [];
      for (let round = 0; round < 10; round++) {
        again = await Promise.allSettled(agents.map((a) => a.agent.cycle()));
        if (again.every((r) => r.status === 'fulfilled')) break;
      }
      assert.deepEqual(
        again.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
        [],
      );
      mark('again');
      assert.deepEqual(
        agents.map((a) => a.storage.size).filter((n) => n > 0),
        [],
        'every outbox is empty',
      );

      // every job has exactly one stored result and one event, whatever the number of sends
      const jobs = await store.db
        .selectFrom('jobs')
        .select(['id', 'status', 'result'])
        .where('organization_id', '=', orgId)
        .execute();
      assert.equal(jobs.length, AGENTS);
      assert.deepEqual([...new Set(jobs.map((j) => j.status))], ['succeeded']);
      assert.deepEqual(
        jobs.map((j) => j.id).sort((a, b) => a - b),
        [...sent.keys()].sort((a, b) => a - b),
        'the stored results are those the agents sent',
      );
      assert.ok(
        [...sent.values()].some((n) => n > 1),
        'some results were sent twice (their answer was lost)',
      );
      const events = await store.db
        .selectFrom('events')
        .select(['subject_id'])
        .where('kind', '=', 'job.succeeded')
        .where('organization_id', '=', orgId)
        .execute();
      const perJob = new Map<string, number>();
      for (const e of events) perJob.set(e.subject_id!, (perJob.get(e.subject_id!) ?? 0) + 1);
      assert.equal(perJob.size, AGENTS);
      assert.deepEqual([...new Set(perJob.values())], [1]);

      // and every device's scan was applied exactly in sequence
      const devices = await store.db
        .selectFrom('devices')
        .select(['scan_sequence'])
        .where('organization_id', '=', orgId)
        .execute();
      assert.ok(devices.every((d) => d.scan_sequence >= 1));
    },
  );
});
