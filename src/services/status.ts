import { OUTSTANDING } from '../core/status.ts';
import { countVisibleDevices } from '../store/repos/devices-repo.ts';
import { countVisibleOrganizations } from '../store/repos/organizations-repo.ts';
import { countDeviceUpdates } from '../store/repos/updates-repo.ts';
import type { Context } from './context.ts';

/** Counts for `patchline status` and the dashboard: organizations, devices, missing updates in scope. */
export async function statusCounts(ctx: Context) {
  ctx.authorize('read');
  const db = ctx.store.db;
  const [organizations, devices, missingUpdates] = await Promise.all([
    countVisibleOrganizations(db, ctx.access),
    countVisibleDevices(db, ctx.access),
    // "missing" as the dashboard means it: every update a device still needs (OUTSTANDING)
    countDeviceUpdates(db, ctx.access, OUTSTANDING),
  ]);
  return { organizations, devices, missingUpdates };
}
