import { descendantsOf, seesOrganization } from '../core/access.ts';
import { conflict, invalid, isDomainError, notFound } from '../core/errors.ts';
import {
  formatBehaviour,
  formatRule,
  isPolicyKind,
  parseAnyPolicy,
  POLICY_KINDS,
  type AnyPolicy,
  type BehaviourBody,
  type PatchPolicy,
  type PolicyKind,
  type RuleBody,
} from '../core/policies/index.ts';
import type { RequiredSoftwarePolicy, WorkletPolicy } from '../core/scripts/index.ts';
import { parseSchedule, type Schedule } from '../core/schedule/model.ts';
import { firstDue, nextOccurrences } from '../core/schedule/occurrences.ts';
import { effectiveZone } from '../core/schedule/zones.ts';
import type { Db } from '../store/db.ts';
import { isUniqueViolation } from '../store/paging.ts';
import { deviceIdsInGroups } from '../store/repos/devices-repo.ts';
import {
  bulletinsOfUpdates,
  supersedingBulletins,
  updateIdsForBulletins,
} from '../store/repos/catalog-repo.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import { getPlan as getPlanRow } from '../store/repos/rollouts-repo.ts';
import { organizationZone } from '../store/repos/organizations-repo.ts';
import {
  deletePolicyRow,
  deletePolicyTask,
  getPolicy as getPolicyRow,
  insertPolicy,
  listPolicies as listPolicyRows,
  missingFilters,
  policyTargets,
  policyTask,
  replacePolicyTargets,
  setPolicyTaskEnabled,
  updatePolicyRow,
  type PolicyRow,
  type PolicyTargetIds,
} from '../store/repos/policies-repo.ts';
import {
  insertSchedule,
  insertTask,
  missingDevices,
  missingGroups,
  setTaskSchedule,
  type TargetSpec,
} from '../store/repos/tasks-repo.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';
import { authorizeTargets, inTargetScope, policyTargetsOf } from './targets.ts';

// Patch policies: a selection rule, targets, a schedule and behaviour per organization. The body is the
// native policy shape validated by core `parsePolicy`; the schedule is the canonical model validated by
// `parseSchedule`. A scheduled policy owns one `install` task (parameters.policyId) with a schedule row
// that the task engine fires; the task is enabled while the policy is enabled and installs automatically.
// Each device's job installs what the policy selects on the device when the job is handed out (the
// selection of its preview and "run now": services/preview.ts policySelections, services/agent-checkin.ts).

export interface PolicyView {
  id: number;
  organizationId: number;
  /** patch, worklet or required-software (core/policies/kinds.ts) */
  kind: PolicyKind;
  name: string;
  notes: string;
  enabled: boolean;
  /** the rule and behaviour in the shape of a body (core/policies/format.ts): GET's answer can be PUT back; null unless patch */
  rule: RuleBody | null;
  /** a worklet's scripts per OS family (core/scripts); null unless worklet */
  worklet: WorkletPolicy | null;
  /** a required-software policy's package and installation script; null unless required-software */
  requiredSoftware: RequiredSoftwarePolicy | null;
  /** groups, devices and a device filter, or a rollout plan (and none of the others) */
  targets: { groups: number[]; devices: number[]; deviceFilter: number | null; rolloutPlan: number | null };
  schedule: Schedule | null;
  behaviour: BehaviourBody;
  /** the install task the schedule fires; null without a schedule */
  taskId: number | null;
  /** the next time the engine fires the policy's task; null when unscheduled, disabled or over */
  nextRunAt: Date | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** the native body: the policy shape of core/policies plus its organization */
export interface PolicyInput {
  organizationId: number;
  [field: string]: unknown;
}

export const serverZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** the stored row of a patch policy as the domain model (rule and behaviour are stored parsed) */
export function policyModel(row: PolicyRow, targets: PolicyTargetIds): PatchPolicy {
  return {
    name: row.name,
    notes: row.notes,
    enabled: row.enabled,
    rule: row.rule as unknown as PatchPolicy['rule'],
    targets: {
      groups: targets.groups as unknown as PatchPolicy['targets']['groups'],
      devices: targets.devices as unknown as PatchPolicy['targets']['devices'],
      deviceFilter: (targets.filters[0] ?? null) as PatchPolicy['targets']['deviceFilter'],
      rolloutPlan: row.rollout_plan_id ?? null,
    },
    schedule: row.schedule,
    behaviour: row.behaviour as unknown as PatchPolicy['behaviour'],
  };
}

async function view(db: Db, row: PolicyRow, targets?: PolicyTargetIds): Promise<PolicyView> {
  const t = targets ?? (await policyTargets(db, [row.id])).get(row.id)!;
  const task = await policyTask(db, row.id);
  return {
    id: row.id,
    organizationId: row.organization_id,
    kind: row.kind as PolicyKind,
    name: row.name,
    notes: row.notes,
    enabled: row.enabled,
    rule: row.kind === 'patch' ? formatRule(row.rule as unknown as PatchPolicy['rule']) : null,
    worklet: row.kind === 'worklet' ? (row.payload as unknown as WorkletPolicy) : null,
    requiredSoftware:
      row.kind === 'required-software' ? (row.payload as unknown as RequiredSoftwarePolicy) : null,
    targets: {
      groups: t.groups,
      devices: t.devices,
      deviceFilter: t.filters[0] ?? null,
      rolloutPlan: row.rollout_plan_id ?? null,
    },
    schedule: (row.schedule ?? null) as Schedule | null,
    behaviour: formatBehaviour(row.behaviour as unknown as PatchPolicy['behaviour']),
    taskId: task?.id ?? null,
    nextRunAt: task?.enabled ? (task.next_due_at ?? null) : null,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** a policy the actor can see (its organization is in scope, and everything it targets), or not found */
export async function visiblePolicy(ctx: Context, id: number): Promise<PolicyRow> {
  const db = ctx.store.db;
  const row = await getPolicyRow(db, id);
  if (!row || !isPolicyKind(row.kind) || !seesOrganization(ctx.access, row.organization_id))
    throw notFound('policy', id);
  // a plan (and so a policy targeting one) is seen only by those who own its organization
  if (row.rollout_plan_id !== null && !ctx.ownsOrganization(row.organization_id))
    throw notFound('policy', id);
  if (!ctx.ownsOrganization(row.organization_id)) {
    const targets = (await policyTargets(db, [id])).get(id)!;
    await authorizeTargets(ctx, db, row.organization_id, policyTargetsOf(targets), {
      existing: 'policy',
      id,
    });
  }
  return row;
}

/** validates the body with the core parsers; schedule issues are reported under `schedule.…` */
export function parsePolicyBody(body: Record<string, unknown>): {
  policy: AnyPolicy;
  schedule: Schedule | null;
} {
  const { organizationId: _org, ...rest } = body;
  let policy: AnyPolicy | undefined;
  let issues: { path: string; message: string }[] = [];
  try {
    policy = parseAnyPolicy(rest);
  } catch (e) {
    if (!isDomainError(e)) throw e;
    issues = [...e.issues];
  }
  let schedule: Schedule | null = null;
  if (rest.schedule !== undefined && rest.schedule !== null) {
    try {
      schedule = parseSchedule(rest.schedule);
    } catch (e) {
      if (!isDomainError(e)) throw e;
      issues.push(
        ...e.issues.map((i) => ({ path: `schedule${i.path.replace(/\//g, '.')}`, message: i.message })),
      );
    }
  }
  if (issues.length || !policy)
    throw invalid(`invalid policy: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  return { policy: { ...policy, schedule }, schedule };
}

async function checkTargets(ctx: Context, db: Db, orgId: number, p: AnyPolicy) {
  const planId = p.targets.rolloutPlan ?? null;
  if (planId !== null) {
    const plan = await getPlanRow(db, planId);
    // a plan is only its organization's owners' (services/rollouts.ts); any other answers as missing
    if (p.kind !== 'patch' || !plan || plan.organization_id !== orgId || !ctx.ownsOrganization(orgId))
      throw invalid(
        p.kind !== 'patch'
          ? 'only a patch policy can target a rollout plan'
          : `no rollout plan ${planId} in organization ${orgId}: name a plan of the policy's organization (GET /api/v1/rollout-plans?organizationId=${orgId})`,
        [
          {
            path: 'targets.rolloutPlan',
            message:
              p.kind !== 'patch'
                ? `a ${p.kind} policy targets groups and devices`
                : `no rollout plan ${planId} in organization ${orgId}`,
          },
        ],
      );
    return;
  }
  const groups = p.targets.groups as readonly number[];
  const devices = p.targets.devices as readonly number[];
  const filters = p.targets.deviceFilter === null ? [] : [p.targets.deviceFilter as number];
  const issues = [];
  const mg = await missingGroups(db, orgId, groups);
  if (mg.length)
    issues.push({ path: 'targets.groups', message: `not in organization ${orgId}: ${mg.join(', ')}` });
  const md = await missingDevices(db, orgId, devices);
  if (md.length)
    issues.push({ path: 'targets.devices', message: `not in organization ${orgId}: ${md.join(', ')}` });
  const mf = await missingFilters(db, orgId, filters);
  if (mf.length)
    issues.push({
      path: 'targets.deviceFilter',
      message: `no saved device filter ${mf[0]} in organization ${orgId}`,
    });
  if (issues.length)
    throw invalid(
      `invalid policy targets: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    );
  // an actor scoped to some groups may target only devices and groups inside them
  await authorizeTargets(ctx, db, orgId, policyTargetsOf(targetIds(p)), 'new');
}

/**
 * The engine's target for the policy's install task. A task targets one kind of thing: groups or devices.
 * A policy naming both becomes the listed devices plus the devices in the groups' subtrees at save time.
 * A saved device filter cannot be expressed (no filter evaluation exists yet): such devices are not targeted.
 */
async function taskTarget(db: Db, orgId: number, p: AnyPolicy): Promise<TargetSpec> {
  // a plan's policy installs through its rollouts' rings (services/rollouts.ts): its own task only
  // approves what it selects into the plan when it fires (policy-runs.ts approveSelectionIntoPlan)
  if ((p.targets.rolloutPlan ?? null) !== null) return { kind: 'devices', ids: [] };
  const groups = p.targets.groups as readonly number[];
  const devices = p.targets.devices as readonly number[];
  if (!devices.length && groups.length) return { kind: 'groups', ids: [...groups] };
  if (!groups.length) return { kind: 'devices', ids: [...devices] };
  const tree = await groupTree(db, orgId);
  const all = [...new Set(groups.flatMap((g) => descendantsOf(tree, g)))];
  const inGroups = await deviceIdsInGroups(db, orgId, all);
  return {
    kind: 'devices',
    ids: [...new Set([...devices, ...inGroups])].sort((a, b) => a - b),
  };
}

/** the zone a policy's schedule runs in: its organization's, else the server's */
async function orgZone(db: Db, orgId: number): Promise<string> {
  return effectiveZone({ organization: await organizationZone(db, orgId), server: serverZone() });
}

/**
 * (re)creates the policy's task and its schedule row; none without a schedule. A patch policy's task
 * installs; a script policy's task runs its scripts (`script` jobs, services/scripts.ts).
 */
async function syncTask(ctx: Context, tx: Db, row: PolicyRow, p: AnyPolicy, schedule: Schedule | null) {
  await deletePolicyTask(tx, row.id);
  if (!schedule) return;
  const task = await insertTask(tx, {
    organization_id: row.organization_id,
    kind: p.kind === 'patch' ? 'install' : 'script',
    name: `policy ${row.id}: ${row.name}`,
    parameters: {
      target: await taskTarget(tx, row.organization_id, p),
      catchUp: p.behaviour.runMissedAsap,
      policyId: row.id,
      ...((p.targets.rolloutPlan ?? null) !== null ? { rolloutPlanId: p.targets.rolloutPlan } : {}),
    },
    // a plan's policy fires even when it only approves (its rings' installs follow autoInstall)
    enabled: p.enabled && (p.behaviour.autoInstall || (p.targets.rolloutPlan ?? null) !== null),
    created_by: ctx.actor.name,
  });
  const s = await insertSchedule(tx, {
    organization_id: row.organization_id,
    owner_type: 'task',
    owner_id: task.id,
    definition: schedule,
    next_due_at: firstDue(schedule, ctx.now(), await orgZone(tx, row.organization_id)),
  });
  await setTaskSchedule(tx, task.id, s.id);
}

/** the stored columns of a parsed policy: a patch policy's rule, a script policy's payload */
const kindColumns = (p: AnyPolicy) => ({
  kind: p.kind,
  rule: (p.kind === 'patch' ? p.rule : {}) as unknown as Record<string, unknown>,
  payload:
    p.kind === 'worklet'
      ? (p.worklet as unknown as Record<string, unknown>)
      : p.kind === 'required-software'
        ? (p.requiredSoftware as unknown as Record<string, unknown>)
        : null,
});

/** a script policy makes agents run code: it needs `run_scripts` besides `manage_policies` */
const authorizeKind = (ctx: Context, kind: PolicyKind) => {
  if (kind !== 'patch') ctx.authorize('run_scripts');
};

const nameTaken = (name: string) =>
  conflict(`a policy named '${name}' already exists in this organization; choose another name`);

const targetIds = (p: AnyPolicy): PolicyTargetIds => ({
  groups: [...(p.targets.groups as readonly number[])],
  devices: [...(p.targets.devices as readonly number[])],
  filters: p.targets.deviceFilter === null ? [] : [p.targets.deviceFilter as number],
});

export async function createPolicy(ctx: Context, input: PolicyInput): Promise<PolicyView> {
  ctx.authorize('manage_policies');
  ctx.seeOrganization(input.organizationId);
  const { policy, schedule } = parsePolicyBody(input);
  authorizeKind(ctx, policy.kind);
  try {
    return await ctx.store.transaction(async (tx) => {
      await checkTargets(ctx, tx, input.organizationId, policy);
      const row = await insertPolicy(tx, {
        organization_id: input.organizationId,
        name: policy.name,
        notes: policy.notes,
        enabled: policy.enabled,
        ...kindColumns(policy),
        rollout_plan_id: policy.targets.rolloutPlan ?? null,
        schedule,
        behaviour: policy.behaviour as unknown as Record<string, unknown>,
        created_by: ctx.actor.name,
      });
      await replacePolicyTargets(tx, row.id, targetIds(policy));
      await syncTask(ctx, tx, row, policy, schedule);
      await record(ctx, tx, {
        kind: 'policy.created',
        organizationId: row.organization_id,
        subjectType: 'policy',
        subjectId: row.id,
        data: { name: row.name, kind: row.kind, enabled: row.enabled, scheduled: schedule !== null },
      });
      return view(tx, row);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(policy.name);
    throw e;
  }
}

export async function listPolicies(
  ctx: Context,
  f: { organizationId?: number; q?: string; kind?: PolicyKind } = {},
) {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const all = await listPolicyRows(ctx.store.db, ctx.access, {
    ...f,
    kinds: f.kind ? [f.kind] : POLICY_KINDS,
  });
  const targets = await policyTargets(
    ctx.store.db,
    all.map((r) => r.id),
  );
  const owned = all.filter((r) => r.rollout_plan_id === null || ctx.ownsOrganization(r.organization_id));
  const rows = await inTargetScope(ctx, ctx.store.db, owned, (r) => ({
    orgId: r.organization_id,
    targets: policyTargetsOf(targets.get(r.id)!),
  }));
  const items = [];
  for (const r of rows) items.push(await view(ctx.store.db, r, targets.get(r.id)));
  return items;
}

export async function getPolicy(ctx: Context, id: number): Promise<PolicyView> {
  ctx.authorize('read');
  return view(ctx.store.db, await visiblePolicy(ctx, id));
}

/**
 * Revises a policy that lists bulletins or updates with the vendors' changes (Altiris
 * UpdateSoftwareUpdatePolicy): the bulletins that supersede its bulletins, and the updates of the
 * bulletins that supersede its updates' bulletins, are what the vendors added since. With `distributeNew`
 * they join the policy's lists (its installs take them from now on); without it they are only reported:
 * a listed item is always distributed here, so an item not to distribute stays off the list. Returns
 * what was added (or would have been).
 */
export async function revisePolicyWithVendorChanges(
  ctx: Context,
  id: number,
  distributeNew: boolean,
): Promise<{ bulletins: number[]; updates: number[] }> {
  ctx.authorize('manage_policies');
  const p = await getPolicy(ctx, id);
  if (p.rule?.kind !== 'list')
    throw invalid(`policy ${id} does not list bulletins or updates: there is nothing to revise`);
  const bulletins = [...(p.rule.bulletins ?? [])];
  const updates = [...(p.rule.updates ?? [])];
  const db = ctx.store.db;
  const newBulletins = await supersedingBulletins(db, bulletins);
  const laterOfUpdates = await supersedingBulletins(db, await bulletinsOfUpdates(db, updates));
  const newUpdates = (await updateIdsForBulletins(db, laterOfUpdates)).filter((u) => !updates.includes(u));
  if (distributeNew && newBulletins.length + newUpdates.length) {
    const { id: _id, organizationId: _o, kind: _k, taskId: _t, nextRunAt: _n, ...rest } = p;
    await updatePolicy(ctx, id, {
      name: rest.name,
      notes: rest.notes,
      enabled: rest.enabled,
      targets: rest.targets,
      schedule: rest.schedule,
      behaviour: rest.behaviour,
      rule: { ...p.rule, bulletins: [...bulletins, ...newBulletins], updates: [...updates, ...newUpdates] },
    });
  }
  return { bulletins: newBulletins, updates: newUpdates };
}

/** replaces a policy's settings as a whole (the body of create, without the organization) */
export async function updatePolicy(
  ctx: Context,
  id: number,
  body: Record<string, unknown>,
): Promise<PolicyView> {
  ctx.authorize('manage_policies');
  const before = await visiblePolicy(ctx, id);
  if (body.organizationId !== undefined && body.organizationId !== before.organization_id)
    throw invalid('a policy cannot move to another organization', [
      { path: 'organizationId', message: `must be ${before.organization_id} or absent` },
    ]);
  if (body.kind !== undefined && body.kind !== before.kind)
    throw invalid('a policy keeps its kind', [
      { path: 'kind', message: `must be ${before.kind} or absent (create another policy instead)` },
    ]);
  const { policy, schedule } = parsePolicyBody({ ...body, kind: before.kind });
  authorizeKind(ctx, before.kind as PolicyKind);
  authorizeKind(ctx, policy.kind);
  try {
    return await ctx.store.transaction(async (tx) => {
      await checkTargets(ctx, tx, before.organization_id, policy);
      const row = await updatePolicyRow(tx, id, {
        name: policy.name,
        notes: policy.notes,
        enabled: policy.enabled,
        ...kindColumns(policy),
        rollout_plan_id: policy.targets.rolloutPlan ?? null,
        schedule,
        behaviour: policy.behaviour as unknown as Record<string, unknown>,
      });
      await replacePolicyTargets(tx, id, targetIds(policy));
      await syncTask(ctx, tx, row, policy, schedule);
      await record(ctx, tx, {
        kind: 'policy.updated',
        organizationId: row.organization_id,
        subjectType: 'policy',
        subjectId: id,
        data: { name: row.name, kind: row.kind, enabled: row.enabled, scheduled: schedule !== null },
      });
      return view(tx, row);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(policy.name);
    throw e;
  }
}

/** turns a policy on or off; its task follows */
export async function setPolicyEnabled(ctx: Context, id: number, enabled: boolean): Promise<PolicyView> {
  ctx.authorize('manage_policies');
  const before = await visiblePolicy(ctx, id);
  return ctx.store.transaction(async (tx) => {
    const row = await updatePolicyRow(tx, id, { enabled });
    const autoInstall = (row.behaviour as { autoInstall?: unknown }).autoInstall !== false;
    await setPolicyTaskEnabled(tx, id, enabled && (autoInstall || row.rollout_plan_id !== null));
    if (before.enabled !== enabled)
      await record(ctx, tx, {
        kind: enabled ? 'policy.enabled' : 'policy.disabled',
        organizationId: row.organization_id,
        subjectType: 'policy',
        subjectId: id,
        data: { name: row.name },
      });
    return view(tx, row);
  });
}

export async function deletePolicy(ctx: Context, id: number): Promise<void> {
  ctx.authorize('manage_policies');
  const row = await visiblePolicy(ctx, id);
  await ctx.store.transaction(async (tx) => {
    await deletePolicyTask(tx, id);
    await deletePolicyRow(tx, id);
    await record(ctx, tx, {
      kind: 'policy.deleted',
      organizationId: row.organization_id,
      subjectType: 'policy',
      subjectId: id,
      data: { name: row.name },
    });
  });
}

/** the next `count` occurrences of a policy's schedule, in its organization's zone (or the server's) */
export async function policyOccurrences(ctx: Context, id: number, count: number): Promise<Date[]> {
  ctx.authorize('read');
  const row = await visiblePolicy(ctx, id);
  if (!row.schedule) return [];
  const zone = await orgZone(ctx.store.db, row.organization_id);
  return nextOccurrences(row.schedule as Schedule, ctx.now(), count, { zone, serverZone: serverZone() });
}

// ---- tasks listing (services/tasks.ts has no list; kept here until it does) ---------------------------
