import { descendantsOf } from '../core/access.ts';
import { conflict, invalid, notFound } from '../core/errors.ts';
import {
  assignRings,
  parseRolloutPlan,
  planReferences,
  type Ring,
  type RolloutPlanBody,
} from '../core/rollout/model.ts';
import {
  currentRing,
  gateDueAt,
  judgeGate,
  newRingProgress,
  nextStep,
  ringStartsAt,
  type RingProgress,
  type RolloutProgress,
  type RolloutState,
} from '../core/rollout/progress.ts';
import { INSTALLED, inGroup } from '../core/status.ts';
import type { Db } from '../store/db.ts';
import { isUniqueViolation } from '../store/paging.ts';
import { activeDevicesTargeted, devicePlacements } from '../store/repos/devices-repo.ts';
import { groupOrganizations, groupTree } from '../store/repos/groups-repo.ts';
import { getPolicy as getPolicyRow } from '../store/repos/policies-repo.ts';
import { insertInstance } from '../store/repos/tasks-repo.ts';
import * as repo from '../store/repos/rollouts-repo.ts';
import { existingUpdateIds } from '../store/repos/updates-repo.ts';
import { applyRuleDecisions } from './approvals.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';
import { getOrganization } from './organizations.ts';
import { ROLLOUT_ACTIONS, type RolloutAction } from '../core/rollout/actions.ts';

export { ROLLOUT_ACTIONS, type RolloutAction };

// Rollout plans (deployment rings) and the rollouts of updates approved into them. The engine calls
// advanceRollouts on every tick: a ring starts after its delay by approving the update (source 'rule')
// on the ring's devices only, so installs still go through policies and maintenance windows; the ring's
// gate is judged after its hours, and a failing gate halts the rollout with its reason. Every step is an
// event `rollout.*` (the alerts of h-al read them). Plans belong to one organization and are seen and
// changed only by actors that own that organization.

export interface PlanView {
  id: number;
  /** null: a plan across organizations (a provider's), over `organizations` */
  organizationId: number | null;
  /** every organization the plan's rings name */
  organizations: number[];
  name: string;
  rings: Ring[];
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RingView extends RingProgress {
  index: number;
  name: string;
  minPercent: number;
  afterHours: number;
  /** when the ring may start (null until the previous ring finished) */
  startsAt: Date | null;
  /** when its gate is judged (null until it started) */
  gateDueAt: Date | null;
}

export interface RolloutView {
  id: number;
  planId: number;
  organizationId: number | null;
  updateId: number;
  updateName: string;
  state: RolloutState;
  reason: string | null;
  approvedBy: string;
  approvedAt: Date;
  /** index of the ring under way (rings.length when all finished) */
  currentRing: number;
  rings: RingView[];
}

const planView = (r: repo.RolloutPlanRow): PlanView => ({
  id: r.id,
  organizationId: r.organization_id,
  organizations: (r.organizations ?? []).map(Number),
  name: r.name,
  rings: r.rings as unknown as Ring[],
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toDate = (v: unknown): Date | null => (v ? new Date(v as string) : null);

function progressOf(row: repo.RolloutRow, releasedAt: Date | null = null): RolloutProgress {
  return {
    state: row.state as RolloutState,
    approvedAt: row.approved_at,
    releasedAt,
    rings: (row.progress as Record<string, unknown>[]).map((p) => ({
      startedAt: toDate(p.startedAt),
      finishedAt: toDate(p.finishedAt),
      gate: p.gate as RingProgress['gate'],
      percent: (p.percent as number | null) ?? null,
      devices: (p.devices as number) ?? 0,
      reason: (p.reason as string | null) ?? null,
    })),
  };
}

function rolloutView(
  row: repo.RolloutRow & { update_name: string },
  plan: PlanView,
  released: Date | null,
): RolloutView {
  const p = progressOf(row, released);
  return {
    id: row.id,
    planId: row.plan_id,
    organizationId: row.organization_id,
    updateId: row.update_id,
    updateName: row.update_name,
    state: p.state,
    reason: row.reason,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    currentRing: currentRing(p),
    rings: p.rings.map((r, i) => {
      const ring = plan.rings[i];
      return {
        ...r,
        index: i,
        name: ring?.name ?? `ring ${i + 1}`,
        minPercent: ring?.gate.minPercent ?? 0,
        afterHours: ring?.gate.afterHours ?? 0,
        startsAt: ring && !r.startedAt ? ringStartsAt(plan.rings, p, i) : r.startedAt,
        gateDueAt: ring ? gateDueAt(ring.gate, r) : null,
      };
    }),
  };
}

/** whether the actor owns every organization the plan spans (a plan across organizations: a provider's) */
const ownsPlan = (ctx: Context, row: repo.RolloutPlanRow) =>
  (row.organization_id === null || ctx.ownsOrganization(row.organization_id)) &&
  (row.organizations ?? []).every((o) => ctx.ownsOrganization(Number(o)));

/** the plan, if the actor owns every organization it spans (else not found) */
async function ownedPlan(ctx: Context, db: Db, id: number): Promise<repo.RolloutPlanRow> {
  const row = await repo.getPlan(db, id);
  if (!row || !ownsPlan(ctx, row)) throw notFound('rollout plan', id);
  return row;
}

function ownOrganization(ctx: Context, organizationId: number) {
  ctx.seeOrganization(organizationId);
  if (!ctx.ownsOrganization(organizationId)) throw notFound('organization', organizationId);
}

/**
 * The organizations a plan across organizations spans: those of the groups and devices its rings name,
 * every one of which the actor must own (one it does not own answers as a missing group or device).
 */
async function spannedOrganizations(ctx: Context, body: RolloutPlanBody): Promise<number[]> {
  const refs = planReferences(body);
  const groups = new Map((await groupOrganizations(ctx.store.db, refs.groups)).map((g) => [g.id, g]));
  const devices = new Map((await devicePlacements(ctx.store.db, refs.devices)).map((d) => [d.id, d]));
  const issues = [
    ...refs.groups
      .filter((g) => !groups.has(g) || !ctx.ownsOrganization(groups.get(g)!.organization_id))
      .map((g) => ({ path: '/rings', message: `no group ${g} in an organization you administer` })),
    ...refs.devices
      .filter((d) => !devices.has(d) || !ctx.ownsOrganization(devices.get(d)!.organization_id))
      .map((d) => ({ path: '/rings', message: `no device ${d} in an organization you administer` })),
  ];
  if (issues.length)
    throw invalid('a ring names groups or devices outside the organizations you administer', issues);
  const orgs = new Set([
    ...[...groups.values()].map((g) => g.organization_id),
    ...[...devices.values()].map((d) => d.organization_id),
  ]);
  return [...orgs].sort((a, b) => a - b);
}

/** every group and device a plan names belongs to its organization */
async function checkReferences(ctx: Context, organizationId: number, body: RolloutPlanBody) {
  const refs = planReferences(body);
  const tree = await groupTree(ctx.store.db, organizationId);
  const known = new Set(tree.map((g) => g.id));
  const badGroups = refs.groups.filter((g) => !known.has(g));
  const placed = new Map((await devicePlacements(ctx.store.db, refs.devices)).map((d) => [d.id, d]));
  const badDevices = refs.devices.filter((d) => placed.get(d)?.organization_id !== organizationId);
  if (badGroups.length || badDevices.length)
    throw invalid('a ring names groups or devices outside the organization', [
      ...badGroups.map((g) => ({
        path: '/rings',
        message: `group ${g} is not in organization ${organizationId}`,
      })),
      ...badDevices.map((d) => ({
        path: '/rings',
        message: `device ${d} is not in organization ${organizationId}`,
      })),
    ]);
}

export async function listPlans(ctx: Context, organizationId?: number): Promise<PlanView[]> {
  ctx.authorize('read');
  if (organizationId !== undefined) ctx.seeOrganization(organizationId);
  const mine = await repo.listPlans(ctx.store.db, ctx.access, organizationId);
  // plans across organizations: only to an actor owning every one of them (a provider, a global admin)
  const across =
    organizationId === undefined
      ? (await repo.listCrossOrganizationPlans(ctx.store.db)).filter((p) => ownsPlan(ctx, p))
      : [];
  return [...mine, ...across].sort((a, b) => a.id - b.id).map(planView);
}

export async function getPlan(ctx: Context, id: number): Promise<PlanView> {
  ctx.authorize('read');
  return planView(await ownedPlan(ctx, ctx.store.db, id));
}

/**
 * Creates a plan of one organization, or (organizationId null) a plan across the organizations its rings
 * name, which only an actor owning every one of them may make, see or act on (a provider's plan).
 */
export async function createPlan(
  ctx: Context,
  organizationId: number | null,
  input: unknown,
): Promise<PlanView> {
  ctx.authorize('manage_policies');
  let organizations: number[];
  const body = parseRolloutPlan(input);
  if (organizationId === null) organizations = await spannedOrganizations(ctx, body);
  else {
    ownOrganization(ctx, organizationId);
    await getOrganization(ctx, organizationId); // and it exists
    await checkReferences(ctx, organizationId, body);
    organizations = [organizationId];
  }
  try {
    return await ctx.store.transaction(async (tx) => {
      const row = await repo.insertPlan(tx, {
        organization_id: organizationId,
        organizations,
        name: body.name,
        rings: JSON.stringify(body.rings),
        created_by: ctx.actor.name,
      });
      await record(ctx, tx, {
        kind: 'rollout_plan.created',
        organizationId,
        subjectType: 'rollout_plan',
        subjectId: row.id,
        data: { organizationId, planId: row.id, planName: body.name, rings: body.rings.length },
      });
      return planView(row);
    });
  } catch (e) {
    if (isUniqueViolation(e))
      throw conflict(`a rollout plan named '${body.name}' exists in this organization`);
    throw e;
  }
}

export async function updatePlan(ctx: Context, id: number, input: unknown): Promise<PlanView> {
  ctx.authorize('manage_policies');
  const row = await ownedPlan(ctx, ctx.store.db, id);
  const body = parseRolloutPlan(input);
  let organizations = [row.organization_id as number];
  if (row.organization_id === null) organizations = await spannedOrganizations(ctx, body);
  else await checkReferences(ctx, row.organization_id, body);
  try {
    await ctx.store.transaction(async (tx) => {
      await repo.updatePlan(tx, id, { name: body.name, rings: [...body.rings], organizations });
      await record(ctx, tx, {
        kind: 'rollout_plan.updated',
        organizationId: row.organization_id,
        subjectType: 'rollout_plan',
        subjectId: id,
        data: {
          organizationId: row.organization_id,
          planId: id,
          planName: body.name,
          rings: body.rings.length,
        },
      });
    });
  } catch (e) {
    if (isUniqueViolation(e))
      throw conflict(`a rollout plan named '${body.name}' exists in this organization`);
    throw e;
  }
  return getPlan(ctx, id);
}

export async function deletePlan(ctx: Context, id: number): Promise<void> {
  ctx.authorize('manage_policies');
  const row = await ownedPlan(ctx, ctx.store.db, id);
  // a rule approving into the plan would otherwise approve everywhere at once (its plan_id set null)
  const naming = await repo.rulesNamingPlan(ctx.store.db, id);
  if (naming.length)
    throw conflict(
      `auto-approval rules approve into this plan (${naming.map((r) => `'${r.name}'`).join(', ')}): change them first`,
    );
  const policies = await repo.policiesTargetingPlan(ctx.store.db, id);
  if (policies.length)
    throw conflict(
      `policies target this plan (${policies.map((p) => `'${p.name}'`).join(', ')}): give them other targets first`,
    );
  await ctx.store.transaction(async (tx) => {
    await repo.deletePlan(tx, id);
    await record(ctx, tx, {
      kind: 'rollout_plan.deleted',
      organizationId: row.organization_id,
      subjectType: 'rollout_plan',
      subjectId: id,
      data: { organizationId: row.organization_id, planId: id, planName: row.name },
    });
  });
}

/** the plan with every rollout of an update into it, ring by ring */
export async function planRollouts(
  ctx: Context,
  id: number,
): Promise<{ plan: PlanView; rollouts: RolloutView[] }> {
  ctx.authorize('read');
  const plan = planView(await ownedPlan(ctx, ctx.store.db, id));
  const rows = await repo.rolloutsOfPlan(ctx.store.db, id);
  const rollouts: RolloutView[] = [];
  for (const r of rows)
    rollouts.push(rolloutView(r, plan, await repo.releaseDate(ctx.store.db, r.update_id)));
  return { plan, rollouts };
}

// ---- the rings' devices ----

/**
 * The devices of each ring of a plan, now: groups include their subgroups; a device is in its first ring
 * only. A plan across organizations looks in each of its organizations. `owner` maps each device to its
 * organization.
 */
async function ringDevices(db: Db, plan: PlanView): Promise<number[][] & { owner: Map<number, number> }> {
  const owner = new Map<number, number>();
  const orgs = plan.organizationId === null ? plan.organizations : [plan.organizationId];
  const trees = new Map<number, Awaited<ReturnType<typeof groupTree>>>();
  for (const o of orgs) trees.set(o, await groupTree(db, o));
  const targeted = async (deviceIds: readonly number[], groups: readonly number[]) => {
    const out: number[] = [];
    for (const o of orgs) {
      const tree = trees.get(o)!;
      const groupIds = [...new Set(groups.flatMap((g) => descendantsOf(tree, g)))];
      for (const d of await activeDevicesTargeted(db, o, { deviceIds, groupIds })) {
        owner.set(d.id, o);
        out.push(d.id);
      }
    }
    return out;
  };
  const candidates = [];
  for (const r of plan.rings)
    candidates.push({
      named: await targeted(r.devices, r.groups),
      sampleFrom: r.sample ? await targeted([], [r.sample.groupId]) : [],
      percent: r.sample?.percent ?? 0,
    });
  return Object.assign(assignRings(plan.id, candidates), { owner });
}

/** every device of a plan's rings now (what a policy targeting the plan reaches) */
export async function planDevices(db: Db, planId: number): Promise<number[]> {
  const pr = await repo.getPlan(db, planId);
  if (!pr) return [];
  return (await ringDevices(db, planView(pr))).flat().sort((a, b) => a - b);
}

// ---- moving a rollout ----

const eventData = (
  plan: PlanView,
  row: repo.RolloutRow,
  ring: number | null,
  extra: Record<string, unknown>,
) => ({
  organizationId: plan.organizationId,
  planId: plan.id,
  planName: plan.name,
  ring,
  ringName: ring === null ? null : (plan.rings[ring]?.name ?? null),
  updateId: row.update_id,
  updates: [row.update_id],
  ...extra,
});

type Step = { kind: string; ring: number | null; data: Record<string, unknown> };

/** starts ring i: approves the update on its devices (weaker than anyone's own decision) */
async function startRing(
  ctx: Context,
  tx: Db,
  plan: PlanView,
  row: repo.RolloutRow,
  p: RolloutProgress,
  i: number,
  now: Date,
) {
  const rings = await ringDevices(tx, plan);
  const devices = rings[i] ?? [];
  let changed = 0;
  for (const org of new Set(devices.map((d) => rings.owner.get(d)!)))
    changed += await applyRuleDecisions(
      ctx,
      tx,
      org,
      devices
        .filter((d) => rings.owner.get(d) === org)
        .map((deviceId) => ({ deviceId, updateId: row.update_id })),
      'approve',
      `rollout plan '${plan.name}', ring '${plan.rings[i]!.name}'`,
    );
  // a rollout a policy started: the ring's devices install the update as the policy's install (held until
  // their maintenance windows allow it, unless the policy overrides windows: services/agent-checkin.ts)
  if (row.policy_id !== null && devices.length)
    await queuePolicyInstall(ctx, tx, row, devices, plan.rings[i]!.name);
  const applicable = (await repo.ringOutcomes(tx, row.update_id, devices, now)).length;
  p.rings[i] = { ...p.rings[i]!, startedAt: now, devices: applicable };
  return {
    kind: 'rollout.ring_started',
    ring: i,
    data: { devices: applicable, ringDevices: devices.length, approved: changed },
  };
}

/** an install instance of the policy's update on a ring's devices (none when the policy is off or only approves) */
async function queuePolicyInstall(
  ctx: Context,
  tx: Db,
  row: repo.RolloutRow,
  devices: readonly number[],
  ringName: string,
) {
  const policy = await getPolicyRow(tx, row.policy_id!);
  if (!policy || !policy.enabled) return;
  if ((policy.behaviour as { autoInstall?: unknown }).autoInstall === false) return;
  const inst = await insertInstance(tx, {
    task_id: null,
    organization_id: policy.organization_id,
    kind: 'install',
    parameters: {
      target: { kind: 'devices', ids: [...devices] },
      policyId: policy.id,
      updateIds: [row.update_id],
      rolloutId: row.id,
    },
    created_by: ctx.actor.name,
  });
  await record(ctx, tx, {
    kind: 'task_instance.created',
    organizationId: policy.organization_id,
    subjectType: 'task_instance',
    subjectId: inst.id,
    data: { taskId: null, kind: 'install', policyId: policy.id, rolloutId: row.id, ring: ringName },
  });
}

async function judge(
  tx: Db,
  plan: PlanView,
  row: repo.RolloutRow,
  p: RolloutProgress,
  i: number,
  now: Date,
): Promise<Step[]> {
  const ring = p.rings[i]!;
  const devices = (await ringDevices(tx, plan))[i] ?? [];
  const since = ring.startedAt ?? now;
  const outcomes = (await repo.ringOutcomes(tx, row.update_id, devices, since)).map((o) => ({
    installed: inGroup(INSTALLED, o.status),
    newFailures: o.new_failures,
    checkedIn: (o.last_seen_at !== null && o.last_seen_at >= since) || o.status_changed_at >= since,
  }));
  const v = judgeGate(plan.rings[i]!.gate, outcomes);
  const counts = {
    healthy: v.healthy,
    total: v.total,
    percent: v.percent,
    minPercent: plan.rings[i]!.gate.minPercent,
  };
  if (v.passed) {
    p.rings[i] = { ...ring, finishedAt: now, gate: 'passed', percent: v.percent, reason: v.reason };
    return [
      { kind: 'rollout.gate_passed', ring: i, data: { ...counts, reason: v.reason } },
      { kind: 'rollout.ring_finished', ring: i, data: { ...counts, reason: v.reason } },
    ];
  }
  p.rings[i] = { ...ring, gate: 'failed', percent: v.percent, reason: v.reason };
  p.state = 'halted';
  return [{ kind: 'rollout.gate_failed', ring: i, data: { ...counts, reason: v.reason } }];
}

/** runs every step due at `now` for one rollout; returns its events */
async function advance(
  ctx: Context,
  tx: Db,
  plan: PlanView,
  row: repo.RolloutRow,
  p: RolloutProgress,
  now: Date,
) {
  const steps: Step[] = [];
  for (let guard = 0; guard < 4 * plan.rings.length + 4; guard++) {
    const s = nextStep(plan.rings, p, now);
    if (s.kind === 'start_ring') steps.push(await startRing(ctx, tx, plan, row, p, s.ring, now));
    else if (s.kind === 'judge_gate') steps.push(...(await judge(tx, plan, row, p, s.ring, now)));
    else if (s.kind === 'complete') {
      p.state = 'completed';
      steps.push({ kind: 'rollout.completed', ring: null, data: { reason: 'every ring finished' } });
    } else break;
  }
  return steps;
}

async function save(
  ctx: Context,
  tx: Db,
  plan: PlanView,
  row: repo.RolloutRow,
  p: RolloutProgress,
  steps: Step[],
) {
  const failed = [...steps].reverse().find((s) => s.kind === 'rollout.gate_failed');
  const reason =
    p.state === 'halted'
      ? ((failed?.data.reason as string | undefined) ?? row.reason)
      : p.state === 'paused'
        ? ((steps.find((s) => s.kind === 'rollout.paused')?.data.reason as string | undefined) ?? row.reason)
        : null;
  await repo.saveRollout(tx, row.id, { state: p.state, progress: p.rings, reason });
  if (steps.length)
    await record(
      ctx,
      tx,
      steps.map((s) => ({
        kind: s.kind,
        organizationId: plan.organizationId,
        subjectType: 'rollout',
        subjectId: row.id,
        updateId: row.update_id,
        data: eventData(plan, row, s.ring, { rolloutId: row.id, state: p.state, ...s.data }),
      })),
    );
}

/** the engine's pass: every running rollout takes the steps due at `now` (ctx.now() by default) */
export async function advanceRollouts(ctx: Context, now: Date = ctx.now()): Promise<number> {
  return ctx.store.transaction(async (tx) => {
    const rows = await repo.lockRunningRollouts(tx);
    let moved = 0;
    const plans = new Map<number, PlanView>();
    for (const row of rows) {
      let plan = plans.get(row.plan_id);
      if (!plan) {
        const pr = await repo.getPlan(tx, row.plan_id);
        if (!pr) continue;
        plan = planView(pr);
        plans.set(row.plan_id, plan);
      }
      const p = progressOf(row, await repo.releaseDate(tx, row.update_id));
      const steps = await advance(ctx, tx, plan, row, p, now);
      if (steps.length) {
        await save(ctx, tx, plan, row, p, steps);
        moved++;
      }
    }
    return moved;
  });
}

/**
 * Approves updates into a plan: one rollout per update (an update already in the plan stays as it is),
 * whose first ring starts at once when its delay allows. Used by people (approveIntoPlan) and by
 * auto-approval rules, inside their transaction; the caller authorized.
 */
export async function startRollouts(
  ctx: Context,
  tx: Db,
  planId: number,
  updateIds: readonly number[],
  why: string,
  /** the policy whose selection this is: each ring that starts queues the policy's install there */
  policyId: number | null = null,
) {
  const pr = await repo.getPlan(tx, planId);
  if (!pr) throw notFound('rollout plan', planId);
  const plan = planView(pr);
  const now = ctx.now();
  const started: number[] = [];
  for (const u of updateIds) {
    const row = await repo.insertRollout(tx, {
      plan_id: plan.id,
      organization_id: plan.organizationId,
      update_id: u,
      policy_id: policyId,
      state: 'running',
      progress: JSON.stringify(plan.rings.map(newRingProgress)),
      approved_by: ctx.actor.name,
      approved_at: now,
    });
    if (!row) continue;
    started.push(row.id);
    const p = progressOf(row, await repo.releaseDate(tx, u));
    const steps: Step[] = [{ kind: 'rollout.approved', ring: null, data: { reason: why } }];
    steps.push(...(await advance(ctx, tx, plan, row, p, now)));
    await save(ctx, tx, plan, row, p, steps);
  }
  return started;
}

export async function approveIntoPlan(ctx: Context, planId: number, updateIds: readonly number[]) {
  ctx.authorize('approve');
  const pr = await ownedPlan(ctx, ctx.store.db, planId);
  const ids = [...new Set(updateIds)];
  const known = new Set(await existingUpdateIds(ctx.store.db, ids, ctx.access));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) throw notFound(unknown.length === 1 ? 'update' : 'updates', unknown.join(', '));
  await ctx.store.transaction((tx) => startRollouts(ctx, tx, pr.id, ids, `approved by ${ctx.actor.name}`));
  return planRollouts(ctx, planId);
}


/** an operator's hand on a rollout: pause, resume, skip the current gate, or start the next ring now */
export async function actOnRollout(ctx: Context, rolloutId: number, action: RolloutAction, note = '') {
  ctx.authorize('approve');
  const found = await repo.getRollout(ctx.store.db, rolloutId);
  const foundPlan = found && (await repo.getPlan(ctx.store.db, found.plan_id));
  if (!found || !foundPlan || !ownsPlan(ctx, foundPlan)) throw notFound('rollout', rolloutId);
  await ctx.store.transaction(async (tx) => {
    const row = await repo.getRollout(tx, rolloutId);
    if (!row) throw notFound('rollout', rolloutId);
    const pr = await repo.getPlan(tx, row.plan_id);
    if (!pr) throw notFound('rollout plan', row.plan_id);
    const plan = planView(pr);
    const p = progressOf(row, await repo.releaseDate(tx, row.update_id));
    const now = ctx.now();
    const i = currentRing(p);
    const by = { by: ctx.actor.name, note: note || null };
    const steps: Step[] = [];
    if (p.state === 'completed') throw conflict('this rollout has completed');
    if (action === 'pause') {
      if (p.state !== 'running') throw conflict(`a ${p.state} rollout cannot be paused`);
      p.state = 'paused';
      steps.push({ kind: 'rollout.paused', ring: i, data: { ...by, reason: `paused by ${ctx.actor.name}` } });
    } else if (action === 'resume') {
      if (p.state !== 'paused')
        throw conflict(
          `a ${p.state} rollout cannot be resumed (a halted one needs skip-gate or roll-forward)`,
        );
      p.state = 'running';
      steps.push({
        kind: 'rollout.resumed',
        ring: i,
        data: { ...by, reason: `resumed by ${ctx.actor.name}` },
      });
    } else if (action === 'skip-gate') {
      const r = p.rings[i];
      if (!r?.startedAt) throw conflict('the current ring has not started: there is no gate to skip');
      p.rings[i] = {
        ...r,
        finishedAt: now,
        gate: 'skipped',
        reason: `gate skipped by ${ctx.actor.name}${r.reason ? ` (was: ${r.reason})` : ''}`,
      };
      p.state = 'running';
      steps.push({ kind: 'rollout.gate_skipped', ring: i, data: { ...by, reason: p.rings[i]!.reason } });
    } else {
      // roll forward: finish the current ring if it started (its gate skipped), then start the next now
      let next = i;
      const r = p.rings[i];
      if (r?.startedAt) {
        p.rings[i] = {
          ...r,
          finishedAt: now,
          gate: r.gate === 'passed' ? 'passed' : 'skipped',
          reason: `rolled forward by ${ctx.actor.name}`,
        };
        next = i + 1;
      }
      p.state = 'running';
      steps.push({
        kind: 'rollout.rolled_forward',
        ring: next < plan.rings.length ? next : null,
        data: { ...by, reason: `rolled forward by ${ctx.actor.name}` },
      });
      if (next < plan.rings.length) steps.push(await startRing(ctx, tx, plan, row, p, next, now));
    }
    steps.push(...(await advance(ctx, tx, plan, row, p, now)));
    await save(ctx, tx, plan, row, p, steps);
  });
  return planRollouts(ctx, found.plan_id);
}
