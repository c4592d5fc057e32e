import { OUTSTANDING } from '../core/status.ts';
import { countVisibleDevices } from '../store/repos/devices-repo.ts';
import { countVisibleOrganizations } from '../store/repos/organizations-repo.ts';
import { countDeviceUpdates } from '../store/repos/updates-repo.ts';
import type { Context } from './context.ts';

/**
 * Counts for `patchline status` and the dashboard: organizations, devices, missing updates in scope;
 * with an organization, those of that organization only (not found outside the scope).
 */
export async function statusCounts(ctx: Context, filter: { organizationId?: number } = {}) {
  ctx.authorize('read');
  const org = filter.organizationId;
  if (org !== undefined) ctx.seeOrganization(org);
  const db = ctx.store.db;
  const [organizations, devices, missingUpdates] = await Promise.all([
    countVisibleOrganizations(db, ctx.access, org),
    countVisibleDevices(db, ctx.access, org),
    // "missing" as the dashboard means it: every update a device still needs (OUTSTANDING)
    countDeviceUpdates(db, ctx.access, OUTSTANDING, org),
  ]);
  return { organizations, devices, missingUpdates };
}
