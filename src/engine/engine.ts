import { systemContext } from '../services/context.ts';
import { record } from '../services/events.ts';
import { advanceRollouts } from '../services/rollouts.ts';
import { approveSelectionIntoPlan } from '../services/policy-runs.ts';
import type { Store } from '../store/db.ts';
import {
  claimInstances,
  finishInstance,
  getInstance,
  releaseLeases,
  type InstanceRow,
} from '../store/repos/tasks-repo.ts';
import { distributePolicy } from './distribute.ts';
import { dispatchDeviceJobs, JOB_KINDS } from './dispatch.ts';
import { importCatalog } from './import.ts';
import { Abandoned, LeaseLost, type Handler, type RunContext } from './handlers.ts';
import { materializeDue } from './materialize.ts';

// The task engine: every replica runs one. Each tick it turns due schedule occurrences into instances,
// claims instances (never started, or whose owner's lease expired) and runs each with the handler of its
// kind. Everything it owns is in the database, so a replica may die at any point: its instances are
// claimed by another once their leases expire.

export interface EngineOptions {
  store: Store;
  /** this replica's name, written as lease owner */
  owner: string;
  pollMs?: number;
  leaseMs?: number;
  /** devices per job batch */
  batchSize?: number;
  /** instances claimed per tick */
  claimLimit?: number;
  /** how late an occurrence may be and still count as on time (not missed) */
  graceMs?: number;
  serverZone?: string;
  /** the clock that decides which occurrences are due (leases use the database's) */
  now?: () => Date;
  /** handlers by task kind, in addition to (or replacing) the built-in device-job handlers */
  handlers?: Record<string, Handler>;
  afterBatch?: (instanceId: number, progress: { dispatched: number; total: number }) => Promise<void> | void;
  onError?: (e: unknown) => void;
}

export interface Engine {
  readonly owner: string;
  /** one pass: materialize, claim, run; returns the number of instances it ran */
  tick(): Promise<number>;
  /** stops after the current batch and releases its leases so another replica continues at once */
  stop(): Promise<void>;
  /** stops after the current batch and releases nothing, as if the process died */
  kill(): Promise<void>;
}

/**
 * An install instance of a policy that targets a rollout plan first approves what the policy selects
 * into the plan (its rings then queue the installs, services/rollouts.ts); then it dispatches as any.
 */
const installHandler: Handler = async (run) => {
  const p = run.instance.parameters;
  if (typeof p.policyId === 'number' && typeof p.rolloutPlanId === 'number')
    await approveSelectionIntoPlan(systemContext(run.store, 'engine:policy'), p.policyId);
  return dispatchDeviceJobs(run);
};

export const DEFAULT_HANDLERS: Record<string, Handler> = {
  ...Object.fromEntries(Object.keys(JOB_KINDS).map((k) => [k, dispatchDeviceJobs])),
  install: installHandler,
  import: importCatalog,
  distribute: distributePolicy,
};

export function createEngine(o: EngineOptions): Engine {
  const leaseMs = o.leaseMs ?? 30_000;
  const handlers = { ...DEFAULT_HANDLERS, ...o.handlers };
  const ctx = systemContext(o.store, `engine:${o.owner}`);
  const serverZone = o.serverZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  let leaving = false;

  async function finish(inst: InstanceRow, end: Parameters<typeof finishInstance>[3]) {
    await o.store.transaction(async (tx) => {
      if (!(await finishInstance(tx, inst.id, o.owner, end))) return;
      await record(ctx, tx, {
        kind: end.status === 'Completed' ? 'task_instance.completed' : 'task_instance.failed',
        organizationId: inst.organization_id,
        subjectType: 'task_instance',
        subjectId: inst.id,
        data: { error: end.error ?? null, attempts: inst.attempts },
      });
    });
  }

  async function run(inst: InstanceRow) {
    if (inst.status === 'StopRequested')
      return finish(inst, { status: 'Failed', error: 'stopped on request' });
    const handler = handlers[inst.kind];
    if (!handler) return finish(inst, { status: 'Failed', error: `no handler for task kind '${inst.kind}'` });
    const rc: RunContext = {
      store: o.store,
      owner: o.owner,
      leaseMs,
      batchSize: o.batchSize ?? 1000,
      instance: inst,
      checkpoint: () => {
        if (leaving) throw new Abandoned(inst.id);
      },
      afterBatch: (p) => o.afterBatch?.(inst.id, p),
    };
    try {
      const { outputs } = await handler(rc);
      await finish(inst, { status: 'Completed', outputs, progress: 1 });
    } catch (e) {
      if (e instanceof Abandoned) return;
      if (e instanceof LeaseLost) {
        // stopped on request (still ours) ends here; taken over or cancelled is someone else's now
        const now = await getInstance(o.store.db, inst.id);
        if (now?.status === 'StopRequested' && now.lease_owner === o.owner)
          await finish(inst, { status: 'Failed', error: 'stopped on request' });
        return;
      }
      await finish(inst, { status: 'Failed', error: (e as Error).message ?? String(e) });
    }
  }

  return {
    owner: o.owner,
    async tick() {
      if (leaving) return 0;
      await materializeDue(o.store, o.owner, {
        now: (o.now ?? (() => new Date()))(),
        graceMs: o.graceMs ?? 60_000,
        serverZone,
      });
      if (leaving) return 0;
      // rollouts move ring by ring on the same clock (services/rollouts.ts)
      await advanceRollouts(ctx, (o.now ?? (() => new Date()))());
      if (leaving) return 0;
      const claimed = await claimInstances(o.store.db, o.owner, leaseMs, o.claimLimit ?? 4);
      await Promise.all(claimed.map(run));
      return claimed.length;
    },
    stop: async () => {
      leaving = true;
      await releaseLeases(o.store.db, o.owner);
    },
    kill: async () => {
      leaving = true;
    },
  };
}

/** starts the engine's loop; stop() or kill() ends it */
export function startEngine(o: EngineOptions): Engine {
  const engine = createEngine(o);
  const pollMs = o.pollMs ?? 1000;
  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      let ran = 0;
      try {
        ran = await engine.tick();
      } catch (e) {
        (o.onError ?? ((err) => console.error(`task engine ${o.owner}:`, err)))(e);
      }
      if (!running) break;
      if (ran > 0) continue; // more may be waiting
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  })();
  async function end(release: boolean) {
    running = false;
    await engine.kill(); // only marks the engine as leaving; the leases are released below, after the loop
    wake?.();
    await loop;
    if (release) await releaseLeases(o.store.db, o.owner);
  }
  return { owner: o.owner, tick: engine.tick, stop: () => end(true), kill: () => end(false) };
}
