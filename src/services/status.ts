import { sql } from 'kysely';
import { groupVisible, orgVisible } from '../store/access.ts';
import type { Context } from './context.ts';

/** Counts for `patchline status` and the dashboard: organizations, devices, missing updates in scope. */
export async function statusCounts(ctx: Context) {
  ctx.authorize('read');
  const a = ctx.access;
  const [orgs, devices, missing] = await Promise.all([
    ctx.db
      .selectFrom('organizations')
      .select(sql<number>`count(*)::int`.as('n'))
      .where(orgVisible(a, 'id'))
      .executeTakeFirstOrThrow(),
    ctx.db
      .selectFrom('devices')
      .select(sql<number>`count(*)::int`.as('n'))
      .where(groupVisible(a, 'organization_id', 'group_id'))
      .executeTakeFirstOrThrow(),
    ctx.db
      .selectFrom('device_updates as du')
      .innerJoin('devices as d', 'd.id', 'du.device_id')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('du.status', 'in', ['missing', 'pending', 'queued', 'installing', 'failed'])
      .where(groupVisible(a, 'd.organization_id', 'd.group_id'))
      .executeTakeFirstOrThrow(),
  ]);
  return { organizations: orgs.n, devices: devices.n, missingUpdates: missing.n };
}
