import {
  countTargets,
  dispatchBatch,
  renewLease,
  setProgress,
  type TargetSpec,
} from '../store/repos/tasks-repo.ts';
import { LeaseLost, type Handler } from './handlers.ts';

// Turns an instance's target devices into one job per device, in batches of device ids. Each batch is one
// transaction that first renews the lease (and locks the instance row), then inserts the jobs with
// ON CONFLICT DO NOTHING and moves the cursor: after a crash or a takeover the next owner resumes at the
// cursor, and a batch replayed anyway creates no second job.

/** which job kind each task kind creates */
export const JOB_KINDS: Readonly<Record<string, string>> = {
  scan: 'scan',
  install: 'install',
  reboot: 'reboot',
  stage: 'download',
  /** a worklet or required-software policy's schedule (services/scripts.ts fills the steps at hand-out) */
  script: 'script',
};

interface Cursor {
  total: number;
  dispatched: number;
  jobsCreated: number;
  cursor: number;
}

/** what of the parameters goes into each job's payload */
function payloadOf(parameters: Record<string, unknown>): Record<string, unknown> {
  const { target: _target, catchUp: _catchUp, ...rest } = parameters;
  return rest;
}

export const dispatchDeviceJobs: Handler = async (run) => {
  const inst = run.instance;
  const jobKind = JOB_KINDS[inst.kind];
  if (!jobKind) throw new Error(`task kind '${inst.kind}' does not create device jobs`);
  if (inst.organization_id === null) throw new Error('a device task needs an organization');
  const orgId = inst.organization_id;
  const target = (inst.parameters.target ?? { kind: 'organization' }) as TargetSpec;
  const payload = { ...payloadOf(inst.parameters), taskInstanceId: inst.id };
  const o = inst.outputs as Partial<Cursor>;
  const state: Cursor = {
    total: o.total ?? (await countTargets(run.store.db, orgId, target)),
    dispatched: o.dispatched ?? 0,
    jobsCreated: o.jobsCreated ?? 0,
    cursor: o.cursor ?? 0,
  };
  for (;;) {
    run.checkpoint();
    const done = await run.store.transaction(async (tx) => {
      if (!(await renewLease(tx, inst.id, run.owner, run.leaseMs))) throw new LeaseLost(inst.id);
      const b = await dispatchBatch(tx, {
        instanceId: inst.id,
        orgId,
        target,
        jobKind,
        payload,
        afterDeviceId: state.cursor,
        limit: run.batchSize,
      });
      if (b.devices === 0) return true;
      state.dispatched += b.devices;
      state.jobsCreated += b.created;
      state.cursor = b.lastDeviceId;
      const progress = state.total ? Math.min(1, state.dispatched / state.total) : 1;
      await setProgress(tx, inst.id, run.owner, progress, { ...state });
      return false;
    });
    if (done) break;
    await run.afterBatch({ dispatched: state.dispatched, total: state.total });
  }
  // the devices that got a job; total was counted when the instance started
  return { outputs: { ...state, devices: state.dispatched } };
};
