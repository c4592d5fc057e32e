import { createPolicy } from '../services/policies.ts';
import type { Store } from '../store/db.ts';
import { getInstance, renewLease, setProgress } from '../store/repos/tasks-repo.ts';
import { instanceContext, LeaseLost, type Handler } from './handlers.ts';

// Policy distribution (Altiris): creates the policy in the instance's organization. The policy and the
// instance's outputs naming it are written in one transaction that holds the instance's row, so an instance
// retried after a crash, or run twice, finds the id it created instead of creating a second policy.

/** outputs of a distribution: the Altiris spelling and ours */
export interface DistributeOutputs {
  PolicyId: number;
  policyId: number;
  [key: string]: unknown;
}

export const distributePolicy: Handler = async (run) => {
  const inst = run.instance;
  if (inst.organization_id === null) throw new Error('a policy distribution needs an organization');
  const orgId = inst.organization_id;
  const body = inst.parameters.policy as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') throw new Error('parameters.policy is missing');
  run.checkpoint();
  const outputs = await run.store.transaction(async (tx) => {
    // renewing locks the row: a second run of this instance waits here and then sees the outputs below
    if (!(await renewLease(tx, inst.id, run.owner, run.leaseMs))) throw new LeaseLost(inst.id);
    const now = await getInstance(tx, inst.id);
    const done = now?.outputs.policyId;
    if (typeof done === 'number') return now!.outputs as DistributeOutputs;
    const txStore: Store = { ...run.store, db: tx, transaction: (fn) => fn(tx) };
    const policy = await createPolicy(instanceContext(txStore, inst), { ...body, organizationId: orgId });
    const out: DistributeOutputs = { PolicyId: policy.id, policyId: policy.id, name: policy.name };
    await setProgress(tx, inst.id, run.owner, 1, out);
    return out;
  });
  return { outputs: outputs };
};
