import { Context, SYSTEM_ACTOR } from '../services/context.ts';
import type { Store } from '../store/db.ts';
import type { InstanceRow } from '../store/repos/tasks-repo.ts';

/** what a handler gets to run one claimed instance */
export interface RunContext {
  readonly store: Store;
  readonly owner: string;
  readonly leaseMs: number;
  readonly batchSize: number;
  readonly instance: InstanceRow;
  /** throws Abandoned when this engine is stopping or was killed; call before each unit of work */
  checkpoint(): void;
  /** called after each committed batch (observation, tests) */
  afterBatch(progress: { dispatched: number; total: number }): Promise<void> | void;
}

/** runs an instance to its end and returns its outputs; throws LeaseLost or Abandoned to let go */
export type Handler = (run: RunContext) => Promise<{ outputs: Record<string, unknown> }>;

/** the instance is no longer this engine's: taken over after the lease expired, stopped or cancelled */
export class LeaseLost extends Error {
  constructor(id: number) {
    super(`task instance ${id}: lease lost`);
    this.name = 'LeaseLost';
  }
}

/** this engine is going away: leave the instance as it is (its lease will expire or was released) */
export class Abandoned extends Error {
  constructor(id: number) {
    super(`task instance ${id}: abandoned by a stopping engine`);
    this.name = 'Abandoned';
  }
}

/**
 * The context a handler acts in: the system's privileges (access was checked when the task was created),
 * named after the instance so the event log shows which task made each change.
 */
export function instanceContext(store: Store, inst: InstanceRow): Context {
  const name = `task instance ${inst.id}` + (inst.task_id === null ? '' : ` (task ${inst.task_id})`);
  return new Context(store, { ...SYSTEM_ACTOR, id: `task_instance:${inst.id}`, name });
}
