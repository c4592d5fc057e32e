import { invalid } from '../../core/errors.ts';
import type { Context } from '../../services/context.ts';
import { visibleGroup } from '../../services/groups.ts';
import { visibleDevice } from '../../services/devices.ts';
import { listOrganizations } from '../../services/organizations.ts';
import { KIND_NAMES, parseGuidList } from './guids.ts';

// Altiris has one Notification Server and no tenants; Patchline has organizations. A method that creates
// something works in the organization of the resource targets it is given; without targets, in the one
// organization the caller sees. A caller who sees several must name a target.

/** the one organization the caller sees, or a fault that says to name a target */
export async function homeOrganization(ctx: Context, method: string): Promise<number> {
  const page = await listOrganizations(ctx, {}, { limit: 2, offset: 0, sort: ['id'] });
  const [only] = page.items;
  if (page.total === 1 && only) return only.id;
  throw invalid(
    page.total === 0
      ? `${method}: the caller sees no organization`
      : `${method}: the caller sees ${page.total} organizations; give resource target GUIDs (groups or computers) so the organization is known`,
  );
}

export interface TargetList {
  organizationId: number;
  groups: number[];
  devices: number[];
}

/**
 * Resource targets of a comma-separated GUID list (groups and computers, each visible to the caller), all
 * in one organization; an empty list is the caller's one organization with no targets.
 */
export async function resourceTargets(
  ctx: Context,
  text: string,
  param: string,
  method: string,
): Promise<TargetList> {
  const groups: number[] = [];
  const devices: number[] = [];
  const orgs = new Set<number>();
  for (const g of parseGuidList(text, param)) {
    if (g.kind === 'group') {
      const row = await visibleGroup(ctx, g.id);
      orgs.add(row.organization_id);
      if (!groups.includes(g.id)) groups.push(g.id);
    } else if (g.kind === 'device') {
      const row = await visibleDevice(ctx, g.id);
      orgs.add(row.organization_id);
      if (!devices.includes(g.id)) devices.push(g.id);
    } else
      throw invalid(
        `${method}: ${param} must list resource targets (groups or computers), not a ${g.kind === 'wellKnown' ? 'well-known item' : KIND_NAMES[g.kind]}`,
        [{ path: param, message: 'must list groups or computers' }],
      );
  }
  if (orgs.size > 1)
    throw invalid(`${method}: the resource targets in ${param} belong to different organizations`, [
      { path: param, message: 'must all be in one organization' },
    ]);
  const [org] = orgs;
  return { organizationId: org ?? (await homeOrganization(ctx, method)), groups, devices };
}
