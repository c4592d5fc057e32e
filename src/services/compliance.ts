import { descendantsOf } from '../core/access.ts';
import { invalid } from '../core/errors.ts';
import { groupTree } from '../store/repos/groups.ts';
import * as repo from '../store/repos/compliance.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';
import { visibleGroup } from './groups.ts';

// Compliance views: per organization, group (with its subgroups) or device, always within the caller's
// scope. Updates count in four buckets (store/repos/compliance.ts: missing; pending = approved, queued
// or installing; failed; installed = installed or waiting for a reboot); ignored and not applicable
// updates count nowhere. A device is fully patched when it has been scanned and nothing is missing,
// pending or failed on it. Retired devices are left out.

export type ComplianceTarget = { organizationId: number } | { groupId: number } | { deviceId: number };

export interface ComplianceOptions {
  /** a device not seen for this many days counts as not seen recently (default 7) */
  notSeenDays?: number;
  /** how many open CVEs to list (default 10) */
  topCves?: number;
}

export interface ComplianceSummary {
  scope: { kind: 'organization' | 'group' | 'device'; id: number; organizationId: number };
  devices: repo.DeviceCounts;
  updates: {
    totals: Record<repo.ComplianceBucket, number>;
    bySeverity: repo.SeverityCounts;
  };
  cves: { open: number; top: repo.OpenCve[] };
  notSeenSince: Date;
}

export async function complianceSummary(
  ctx: Context,
  target: ComplianceTarget,
  options: ComplianceOptions = {},
): Promise<ComplianceSummary> {
  ctx.authorize('read');
  const notSeenDays = options.notSeenDays ?? 7;
  const topCves = options.topCves ?? 10;
  if (!(notSeenDays > 0))
    throw invalid('invalid compliance options', [{ path: 'notSeenDays', message: 'must be above 0' }]);
  const seenSince = new Date(ctx.now().getTime() - notSeenDays * 86_400_000);

  let set: repo.DeviceSet;
  let scope: ComplianceSummary['scope'];
  if ('deviceId' in target) {
    const d = await visibleDevice(ctx, target.deviceId);
    set = { kind: 'device', deviceId: d.id };
    scope = { kind: 'device', id: d.id, organizationId: d.organization_id };
  } else if ('groupId' in target) {
    const g = await visibleGroup(ctx, target.groupId);
    const groupIds = descendantsOf(await groupTree(ctx.db, g.organization_id), g.id);
    set = { kind: 'groups', organizationId: g.organization_id, groupIds };
    scope = { kind: 'group', id: g.id, organizationId: g.organization_id };
  } else {
    ctx.seeOrganization(target.organizationId);
    set = { kind: 'organization', organizationId: target.organizationId };
    scope = { kind: 'organization', id: target.organizationId, organizationId: target.organizationId };
  }
  const { counts, bySeverity } = await repo.summarize(ctx.db, ctx.access, set, seenSince);
  const wholeOrganization = set.kind === 'organization' && ctx.ownsOrganization(set.organizationId);
  const cves = await repo.openCves(ctx.db, ctx.access, set, topCves, wholeOrganization);
  const totals = Object.fromEntries(
    repo.BUCKETS.map((b) => [b, Object.values(bySeverity).reduce((n, s) => n + s[b], 0)]),
  ) as Record<repo.ComplianceBucket, number>;
  return {
    scope,
    devices: counts,
    updates: { totals, bySeverity },
    cves: { open: cves.count, top: cves.top },
    notSeenSince: seenSince,
  };
}
