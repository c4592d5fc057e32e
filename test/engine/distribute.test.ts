import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../../src/core/errors.ts';
import { distributePolicy } from '../../src/engine/distribute.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { Abandoned, type Handler, type RunContext } from '../../src/engine/handlers.ts';
import { listPolicies } from '../../src/services/policies.ts';
import { getInstance, parseTaskParameters, runNow } from '../../src/services/tasks.ts';
import { claimInstances, getInstance as getInstanceRow } from '../../src/store/repos/tasks-repo.ts';
import { eachDriver } from '../support/store.ts';
import { at, orgWithDevices } from './support.ts';

const policyBody = (name: string) => ({ name, rule: { kind: 'all' } });

eachDriver('distribute task', (h) => {
  test('creates the policy in the instance organization and names it in the outputs', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, {
      organizationId: orgId,
      kind: 'distribute',
      parameters: { policy: policyBody('Weekly servers') },
    });
    const engine = createEngine({ store, owner: 'dist-1' });
    while ((await engine.tick()) > 0);
    const done = await getInstance(ctx, inst.id);
    assert.equal(done.status, 'Completed', done.error ?? '');
    const policies = await listPolicies(ctx, { organizationId: orgId });
    assert.deepEqual(
      policies.map((p) => p.name),
      ['Weekly servers'],
    );
    assert.equal(done.outputs.PolicyId, policies[0]!.id);
    assert.equal(done.outputs.policyId, policies[0]!.id);
    const ev = await store.db
      .selectFrom('events')
      .select('actor_id')
      .where('kind', '=', 'policy.created')
      .where('subject_id', '=', String(policies[0]!.id))
      .executeTakeFirstOrThrow();
    assert.equal(ev.actor_id, `task_instance:${inst.id}`);
  });

  test('a retried instance (its engine died after creating the policy) creates no second one', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, {
      organizationId: orgId,
      kind: 'distribute',
      parameters: { policy: policyBody('Retried') },
    });
    // the first engine does the work, then "dies" before finishing the instance
    const dies: Handler = async (run) => {
      await distributePolicy(run);
      throw new Abandoned(run.instance.id);
    };
    await createEngine({ store, owner: 'dist-dies', handlers: { distribute: dies } }).tick();
    const half = await getInstance(ctx, inst.id);
    assert.equal(half.status, 'Started');
    assert.equal((await listPolicies(ctx, { organizationId: orgId })).length, 1);
    await store.db
      .updateTable('task_instances')
      .set({ lease_expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', inst.id)
      .execute();
    const engine = createEngine({ store, owner: 'dist-takes-over' });
    while ((await engine.tick()) > 0);
    const done = await getInstance(ctx, inst.id);
    assert.equal(done.status, 'Completed', done.error ?? '');
    assert.equal(done.attempts, 2);
    const policies = await listPolicies(ctx, { organizationId: orgId });
    assert.equal(policies.length, 1);
    assert.equal(done.outputs.PolicyId, policies[0]!.id);
    assert.equal(half.outputs.policyId, policies[0]!.id);
  });

  test('the handler run twice at once for one instance creates one policy', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, {
      organizationId: orgId,
      kind: 'distribute',
      parameters: { policy: policyBody('Twice') },
    });
    const [claimed] = await claimInstances(store.db, 'dist-twice', 30_000, 1);
    assert.equal(claimed?.id, inst.id);
    const rc: RunContext = {
      store,
      owner: 'dist-twice',
      leaseMs: 30_000,
      batchSize: 10,
      instance: claimed!,
      checkpoint: () => {},
      afterBatch: () => {},
    };
    const [a, b] = await Promise.all([distributePolicy(rc), distributePolicy(rc)]);
    assert.deepEqual(a.outputs, b.outputs);
    const policies = await listPolicies(ctx, { organizationId: orgId });
    assert.equal(policies.length, 1);
    assert.equal(a.outputs.policyId, policies[0]!.id);
    const row = await getInstanceRow(store.db, inst.id);
    assert.equal(row?.outputs.PolicyId, policies[0]!.id);
  });

  test('a policy that cannot be created fails the instance with the reason', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ctx = at(store, new Date());
    const first = await runNow(ctx, {
      organizationId: orgId,
      kind: 'distribute',
      parameters: { policy: policyBody('Taken') },
    });
    const second = await runNow(ctx, {
      organizationId: orgId,
      kind: 'distribute',
      parameters: { policy: policyBody('Taken') },
    });
    const engine = createEngine({ store, owner: 'dist-taken', claimLimit: 1 });
    while ((await engine.tick()) > 0);
    assert.equal((await getInstance(ctx, first.id)).status, 'Completed');
    const r = await getInstance(ctx, second.id);
    assert.equal(r.status, 'Failed');
    assert.equal(r.error, "a policy named 'Taken' already exists in this organization; choose another name");
    assert.equal((await listPolicies(ctx, { organizationId: orgId })).length, 1);
  });
});

test('distribute parameters are validated precisely', () => {
  const issuesOf = (params: unknown) => {
    try {
      parseTaskParameters('distribute', params);
    } catch (e) {
      if (e instanceof DomainError) return e.issues.map((i) => i.path);
      throw e;
    }
    return [];
  };
  assert.deepEqual(issuesOf({ policy: policyBody('ok') }), []);
  assert.deepEqual(issuesOf({}), ['/parameters/policy']);
  assert.deepEqual(issuesOf({ policy: [1] }), ['/parameters/policy']);
  assert.deepEqual(issuesOf({ policy: { ...policyBody('x'), organizationId: 3 } }), [
    '/parameters/policy/organizationId',
  ]);
  assert.deepEqual(issuesOf({ policy: policyBody('ok'), target: { kind: 'organization' } }), [
    '/parameters/target',
  ]);
  const bad = issuesOf({ policy: { name: '', rule: { kind: 'nonsense' } } });
  assert.ok(bad.length >= 1 && bad.every((p) => p.startsWith('/parameters/policy/')), JSON.stringify(bad));
});
