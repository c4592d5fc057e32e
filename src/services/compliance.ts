import { descendantsOf } from '../core/access.ts';
import { invalid } from '../core/errors.ts';
import type { Severity } from '../core/severity.ts';
import { BUCKETS } from '../core/status.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import * as repo from '../store/repos/compliance-repo.ts';
import { listCustomSeverities } from './catalog.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';
import { visibleGroup } from './groups.ts';

// Compliance views: per organization, group (with its subgroups) or device, always within the caller's
// scope. Updates count in four buckets (COMPLIANCE_BUCKETS of core/status.ts: missing; pending =
// approved, queued or installing; failed; installed = installed or waiting for a reboot); ignored and
// not applicable updates count nowhere. A device is fully patched when it has been scanned and nothing is missing,
// pending or failed on it. Retired devices are left out.
// The organization's custom severities (catalog.ts) count too: an update counts under the custom severity
// its bulletin has in the organization, and under withoutCustomSeverity when it has none of them.

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
    totals: repo.BucketCounts;
    bySeverity: repo.SeverityCounts;
    /** the organization's custom severities in their order, each with its counts */
    byCustomSeverity: CustomSeverityCounts[];
    /** updates whose bulletin has none of the organization's custom severities */
    withoutCustomSeverity: repo.BucketCounts;
  };
  cves: { open: number; top: repo.OpenCve[] };
  notSeenSince: Date;
}

export interface CustomSeverityCounts {
  order: number;
  name: string;
  level: Severity;
  counts: repo.BucketCounts;
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
    set = { kind: 'device', organizationId: d.organization_id, deviceId: d.id };
    scope = { kind: 'device', id: d.id, organizationId: d.organization_id };
  } else if ('groupId' in target) {
    const g = await visibleGroup(ctx, target.groupId);
    const groupIds = descendantsOf(await groupTree(ctx.store.db, g.organization_id), g.id);
    set = { kind: 'groups', organizationId: g.organization_id, groupIds };
    scope = { kind: 'group', id: g.id, organizationId: g.organization_id };
  } else {
    ctx.seeOrganization(target.organizationId);
    set = { kind: 'organization', organizationId: target.organizationId };
    scope = { kind: 'organization', id: target.organizationId, organizationId: target.organizationId };
  }
  const wholeOrganization = set.kind === 'organization' && ctx.ownsOrganization(set.organizationId);
  // three independent reads: on PostgreSQL they run side by side on the pool's connections
  const [{ counts, bySeverity }, cves, custom] = await Promise.all([
    repo.summarize(ctx.store.db, ctx.access, set, seenSince),
    repo.openCves(ctx.store.db, ctx.access, set, topCves, wholeOrganization),
    countsByCustomSeverity(ctx, scope.organizationId, set),
  ]);
  const totals = Object.fromEntries(
    BUCKETS.map((b) => [b, Object.values(bySeverity).reduce((n, s) => n + s[b], 0)]),
  ) as repo.BucketCounts;
  // (the reads are separate statements: a scan landing between them must not make a count negative)
  const withoutCustomSeverity = Object.fromEntries(
    BUCKETS.map((b) => [b, Math.max(0, totals[b] - custom.reduce((n, c) => n + c.counts[b], 0))]),
  ) as repo.BucketCounts;
  return {
    scope,
    devices: counts,
    updates: { totals, bySeverity, byCustomSeverity: custom, withoutCustomSeverity },
    cves: { open: cves.count, top: cves.top },
    notSeenSince: seenSince,
  };
}

/** the organization's custom severities in their order, each with the set's counts (none: no query) */
async function countsByCustomSeverity(
  ctx: Context,
  organizationId: number,
  set: repo.DeviceSet,
): Promise<CustomSeverityCounts[]> {
  const custom = await listCustomSeverities(ctx, organizationId);
  if (!custom.length) return [];
  const byName = await repo.summarizeByCustomSeverity(ctx.store.db, ctx.access, set);
  const zero = () => Object.fromEntries(BUCKETS.map((b) => [b, 0])) as repo.BucketCounts;
  return custom.map((c) => ({ ...c, counts: byName.get(c.name) ?? zero() }));
}
