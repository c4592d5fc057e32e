import { DateTime } from 'luxon';
import { ancestorsOf, descendantsOf } from '../core/access.ts';
import { matchesDeviceFilters, type DeviceFilterLine } from '../core/device-targeting.ts';
import { invalid } from '../core/errors.ts';
import {
  selectUpdates,
  type CandidateUpdate,
  type DeviceFacts,
  type OsFamily,
  type PatchPolicy,
  type Selection,
} from '../core/policies/index.ts';
import { isSeverity } from '../core/severity.ts';
import { fromAltirisXml, toAltirisXml } from '../core/schedule/altiris.ts';
import { fromAutomox, toAutomox } from '../core/schedule/automox.ts';
import type { ConvertContext } from '../core/schedule/convert.ts';
import {
  fromGzOldScheduler,
  fromGzScheduler,
  toGzOldScheduler,
  toGzScheduler,
} from '../core/schedule/gravityzone.ts';
import { fromKaseya, toKaseya } from '../core/schedule/kaseya.ts';
import { parseSchedule, type Schedule } from '../core/schedule/model.ts';
import { nextOccurrences } from '../core/schedule/occurrences.ts';
import { fromRrule, toRrule } from '../core/schedule/rrule.ts';
import { effectiveZone, isValidZoneName } from '../core/schedule/zones.ts';
import { activeDevicesTargeted } from '../store/repos/devices-repo.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import type { Db } from '../store/db.ts';
import { getPolicy as getPolicyRow, policyTargets } from '../store/repos/policies-repo.ts';
import type { Row } from '../store/schema.ts';
import { installableUpdatesOf } from '../store/repos/updates-repo.ts';
import type { Context } from './context.ts';
import { effectiveApprovals } from './approvals.ts';
import { listDevices, type DeviceView } from './devices.ts';
import { visibleGroup } from './groups.ts';
import { policyModel, serverZone, visiblePolicy } from './policies.ts';
import { policyInstallGate } from './windows-gate.ts';
import { planDevices } from './rollouts.ts';

// Dry runs: what a policy would install where and when, and what a schedule in any product format means.

export interface PreviewUpdate {
  updateId: number;
  name: string;
  version: string | null;
  severity: string;
  isSecurity: boolean;
  approval: string | null;
}

export interface PreviewDevice {
  deviceId: number;
  name: string;
  timeZone: string;
  /** the next occurrence for this device (its distribution offset included); null when none is left */
  nextOccurrence: Date | null;
  /** the same instant as wall-clock time in the device's zone, with its offset */
  nextOccurrenceLocal: string | null;
  /** whether the device's maintenance windows let the install run at that instant */
  windowAllows: boolean | null;
  updates: PreviewUpdate[];
  excluded: { updateId: number; name: string; reason: string; detail: string }[];
}

export interface PolicyPreview {
  policyId: number;
  enabled: boolean;
  scheduled: boolean;
  devices: PreviewDevice[];
}

/**
 * The active devices of an organization (those the caller sees) that some groups and their subgroups
 * (every group when none is named) and device filter lines (core/device-targeting.ts) select: what a
 * policy targeting them would reach (Automox's device targeting preview).
 */
export async function previewDeviceTargeting(
  ctx: Context,
  organizationId: number,
  t: { groupIds: readonly number[]; filters: readonly DeviceFilterLine[] },
): Promise<DeviceView[]> {
  ctx.authorize('read');
  ctx.seeOrganization(organizationId);
  for (const [i, g] of t.groupIds.entries()) {
    const row = await visibleGroup(ctx, g);
    if (row.organization_id !== organizationId)
      throw invalid(`group ${g} belongs to another organization`, [
        { path: `targets.groups[${i}]`, message: `must be a group of organization ${organizationId}` },
      ]);
  }
  const tree = await groupTree(ctx.store.db, organizationId);
  const groupIds = [...new Set(t.groupIds.flatMap((g) => descendantsOf(tree, g)))];
  const devices = await listDevices(
    ctx,
    { organizationId, status: 'active', ...(groupIds.length ? { groupIds } : {}) },
    { limit: 100_000, offset: 0, sort: [] },
  );
  return devices.items.filter((d) => matchesDeviceFilters(d, t.filters));
}

/** a device as the policy selection needs it */
export type SelectionDevice = Pick<Row<'devices'>, 'id' | 'group_id' | 'os_family'>;

/**
 * What a patch policy selects on each of some devices (and why it leaves out the rest): the one selection
 * behind the policy's preview, its "run now" / remediate and compliance (services/policy-runs.ts), and its
 * scheduled installs (handed out by services/agent-checkin.ts through `policySelectionOn`). The candidates
 * are each device's installable missing updates (ignored ones included, so a preview can say why they are
 * left out) with the device's effective approvals; core `selectUpdates` decides.
 * `inRolloutPlan`: whether the devices are in the policy's rollout plan (the caller knows).
 */
export async function policySelections(
  db: Db,
  policy: PatchPolicy,
  devices: readonly SelectionDevice[],
  o: {
    organizationId: number;
    tree: readonly { id: number; parentId: number | null }[];
    inRolloutPlan: boolean;
  },
): Promise<Map<number, Selection>> {
  const states = await installableUpdatesOf(
    db,
    devices.map((d) => d.id),
  );
  const approvals = await effectiveApprovals(db, o.organizationId, states);
  // each device's update states, grouped once
  const statesOf = new Map<number, typeof states>();
  for (const s of states) {
    const list = statesOf.get(s.device_id);
    if (list) list.push(s);
    else statesOf.set(s.device_id, [s]);
  }
  const out = new Map<number, Selection>();
  for (const d of devices) {
    const facts: DeviceFacts = {
      id: d.id as DeviceFacts['id'],
      groupIds: [d.group_id, ...ancestorsOf(o.tree, d.group_id)] as unknown as DeviceFacts['groupIds'],
      osFamily: (['windows', 'linux', 'macos'].includes(d.os_family) ? d.os_family : null) as OsFamily | null,
      inRolloutPlan: o.inRolloutPlan,
    };
    const candidates: CandidateUpdate[] = (statesOf.get(d.id) ?? []).map((s) => ({
      updateId: s.update_id as CandidateUpdate['updateId'],
      bulletinId: s.bulletin_id as CandidateUpdate['bulletinId'],
      name: s.name,
      kb: s.kb,
      package: s.package_name,
      version: s.version,
      vendor: s.vendor,
      product: s.product,
      severity: isSeverity(s.severity) ? s.severity : 'unknown',
      classification: s.classification,
      security: s.is_security,
      optional: s.is_optional,
      patchSource: s.patch_source,
      approval: approvals.get(`${d.id}:${s.update_id}`)?.action,
    }));
    out.set(d.id, selectUpdates(policy, facts, candidates));
  }
  return out;
}

/**
 * The updates a patch policy selects on one device now, for its scheduled install job (the same selection
 * as its preview shows for the device); none when the policy is gone or is not a patch policy.
 */
export async function policySelectionOn(
  db: Db,
  policyId: number,
  device: SelectionDevice & { organization_id: number },
): Promise<number[]> {
  const row = await getPolicyRow(db, policyId);
  if (!row || row.kind !== 'patch' || row.organization_id !== device.organization_id) return [];
  const targets = (await policyTargets(db, [policyId])).get(policyId)!;
  const inRolloutPlan =
    row.rollout_plan_id !== null && (await planDevices(db, row.rollout_plan_id)).includes(device.id);
  const sel = await policySelections(db, policyModel(row, targets), [device], {
    organizationId: row.organization_id,
    tree: await groupTree(db, row.organization_id),
    inRolloutPlan,
  });
  return sel.get(device.id)!.selected.map((u) => u.updateId as number);
}

export async function previewPolicy(ctx: Context, id: number): Promise<PolicyPreview> {
  ctx.authorize('read');
  const row = await visiblePolicy(ctx, id);
  // a preview shows which updates a policy installs: a worklet or required-software policy installs none
  if (row.kind !== 'patch')
    throw invalid(`policy ${id} is a ${row.kind} policy: a preview shows what a patch policy installs`);
  const db = ctx.store.db;
  const targets = (await policyTargets(db, [id])).get(id)!;
  const policy = policyModel(row, targets);
  const tree = await groupTree(db, row.organization_id);
  const groupIds = [...new Set(targets.groups.flatMap((g) => descendantsOf(tree, g)))];
  // a group-scoped actor previews only the devices it sees
  // a policy targeting a rollout plan reaches the devices of the plan's rings
  const reach =
    row.rollout_plan_id !== null
      ? { deviceIds: await planDevices(db, row.rollout_plan_id), groupIds: [] }
      : { deviceIds: targets.devices, groupIds };
  const devices = (await activeDevicesTargeted(db, row.organization_id, reach)).filter((d) =>
    ctx.seesGroup(row.organization_id, d.group_id),
  );
  const selections = await policySelections(db, policy, devices, {
    organizationId: row.organization_id,
    tree,
    inRolloutPlan: row.rollout_plan_id !== null, // the devices read above are the plan's
  });
  const schedule = (row.schedule ?? null) as Schedule | null;
  const now = ctx.now();
  const out: PreviewDevice[] = [];
  // the windows of each group read once (installAllowedAt per device took four queries each)
  const gate = policyInstallGate(db, tree, id);
  for (const d of devices) {
    const server = serverZone();
    const zone = effectiveZone({ device: d.time_zone, organization: d.org_zone, server });
    const sel = selections.get(d.id)!;
    const next = schedule
      ? (nextOccurrences(schedule, now, 1, {
          zone: effectiveZone({ organization: d.org_zone, server }),
          serverZone: server,
          deviceZone: zone,
          deviceKey: String(d.id),
        })[0] ?? null)
      : null;
    const view = (u: CandidateUpdate): PreviewUpdate => ({
      updateId: u.updateId as number,
      name: u.name,
      version: u.version ?? null,
      severity: u.severity,
      isSecurity: u.security,
      approval: u.approval ?? null,
    });
    out.push({
      deviceId: d.id,
      name: d.name,
      timeZone: zone,
      nextOccurrence: next,
      nextOccurrenceLocal: next
        ? DateTime.fromJSDate(next, { zone }).toISO({ suppressMilliseconds: true })
        : null,
      windowAllows:
        next && !policy.behaviour.overrideMaintenanceWindows ? await gate(d, next) : next ? true : null,
      updates: sel.selected.map(view),
      excluded: sel.excluded.map((e) => ({
        updateId: e.update.updateId as number,
        name: e.update.name,
        reason: e.reason,
        detail: e.detail,
      })),
    });
  }
  return { policyId: id, enabled: row.enabled, scheduled: schedule !== null, devices: out };
}

// ---- schedule conversion ---------------------------------------------------------------------------------

export const SCHEDULE_FORMATS = [
  'canonical',
  'automox',
  'gravityzone',
  'gravityzone-old',
  'kaseya',
  'altiris',
  'rrule',
] as const;
export type ScheduleFormat = (typeof SCHEDULE_FORMATS)[number];

const readers: Record<ScheduleFormat, (v: unknown, c: ConvertContext) => Schedule> = {
  canonical: (v) => parseSchedule(v),
  automox: (v, c) => fromAutomox(v, c),
  gravityzone: (v, c) => fromGzScheduler(v, c),
  'gravityzone-old': (v, c) => fromGzOldScheduler(v, c),
  kaseya: (v) => fromKaseya(v),
  altiris: (v) => {
    if (typeof v !== 'string')
      throw invalid('altiris: value must be the schedule XML as a string', [
        { path: '/value', message: 'must be a string' },
      ]);
    return fromAltirisXml(v);
  },
  rrule: (v) => {
    if (typeof v !== 'string')
      throw invalid('rrule: value must be RRULE text as a string', [
        { path: '/value', message: 'must be a string' },
      ]);
    return fromRrule(v);
  },
};
const writers: Record<ScheduleFormat, (s: Schedule, c: ConvertContext) => unknown> = {
  canonical: (s) => s,
  automox: (s, c) => toAutomox(s, c),
  gravityzone: (s, c) => toGzScheduler(s, c),
  'gravityzone-old': (s, c) => toGzOldScheduler(s, c),
  kaseya: (s) => toKaseya(s),
  altiris: (s) => toAltirisXml(s),
  rrule: (s) => toRrule(s),
};

export interface ConvertRequest {
  from: ScheduleFormat;
  to: ScheduleFormat;
  value: unknown;
  count?: number;
  /** the start date for formats that carry none (Automox, GravityZone oldScheduler) */
  startDate?: string;
  /** the zone in which server- and device-zoned schedules are evaluated (default: the server's) */
  timeZone?: string;
}

/** converts a schedule between formats and lists its next occurrences; a converter's error passes through */
export function convertSchedule(ctx: Context, r: ConvertRequest) {
  ctx.authorize('read');
  const c: ConvertContext = r.startDate ? { startDate: r.startDate } : {};
  const canonical = readers[r.from](r.value, c);
  const value = writers[r.to](canonical, c);
  const zone = r.timeZone ?? serverZone();
  if (!isValidZoneName(zone))
    throw invalid(`timeZone ${JSON.stringify(zone)} is not an IANA time zone`, [
      { path: '/timeZone', message: 'must be an IANA time zone such as Europe/Berlin' },
    ]);
  const occurrences = nextOccurrences(canonical, ctx.now(), r.count ?? 5, {
    zone,
    serverZone: zone,
    deviceZone: zone,
  });
  return { from: r.from, to: r.to, canonical, value, occurrences };
}
