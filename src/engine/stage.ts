import { ensureStaged, type StagingOptions } from '../services/staging.ts';
import { dispatchDeviceJobs } from './dispatch.ts';
import { instanceContext, type Handler } from './handlers.ts';

/**
 * Staging tasks. With `updateIds` or `bulletinIds` the server downloads those packages into its cache
 * and verifies their hashes (Altiris' EnsureStaged, as a task); without them the task asks the target
 * devices to download what they will install (a `download` job each).
 */
export function createStageHandler(options: StagingOptions): Handler {
  return async (run) => {
    const p = run.instance.parameters as { updateIds?: number[]; bulletinIds?: number[] };
    if (!p.updateIds?.length && !p.bulletinIds?.length) return dispatchDeviceJobs(run);
    run.checkpoint();
    const ctx = instanceContext(run.store, run.instance);
    const r = await ensureStaged(ctx, { updateIds: p.updateIds, bulletinIds: p.bulletinIds }, options);
    return {
      outputs: {
        staged: r.staged.length,
        alreadyStaged: r.alreadyStaged.length,
        errors: r.errors.length,
        firstErrors: r.errors.slice(0, 20),
      },
    };
  };
}
