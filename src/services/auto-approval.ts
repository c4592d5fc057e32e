import { ancestorsOf } from '../core/access.ts';
import {
  decideByRules,
  parseAutoApprovalRule,
  ruleMatches,
  type AutoApprovalRuleBody,
  type DeviceFacts,
  type RuleConditions,
  type UpdateFacts,
} from '../core/auto-approval.ts';
import { invalid, notFound } from '../core/errors.ts';
import { isSeverity } from '../core/severity.ts';
import type { Db } from '../store/db.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import * as repo from '../store/repos/rollouts-repo.ts';
import { applyRuleDecisions, effectiveApprovals } from './approvals.ts';
import { Context, SYSTEM_ACTOR } from './context.ts';
import { record, type EventInput } from './events.ts';
import { startRollouts } from './rollouts.ts';
import { getOrganization } from './organizations.ts';

// Auto-approval rules per organization (core/auto-approval.ts decides; this gathers the catalog's facts
// and applies). Rules run when a catalog import or a scan brings new facts, over the organization's
// missing updates; the first matching rule decides each (update, device). Their decisions have source
// 'rule', so wherever a person (or a policy) decided, that decision stays in force and the rule skips it.

export interface RuleView extends AutoApprovalRuleBody {
  id: number;
  organizationId: number;
  position: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

const ruleView = (r: repo.AutoApprovalRuleRow): RuleView => ({
  id: r.id,
  organizationId: r.organization_id,
  position: r.position,
  name: r.name,
  enabled: r.enabled,
  conditions: r.conditions as RuleConditions,
  action: r.action as RuleView['action'],
  planId: r.plan_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function ownOrganization(ctx: Context, organizationId: number) {
  ctx.seeOrganization(organizationId);
  if (!ctx.ownsOrganization(organizationId)) throw notFound('organization', organizationId);
}

async function ownedRule(ctx: Context, id: number) {
  const r = await repo.getRule(ctx.store.db, id);
  if (!r || !ctx.ownsOrganization(r.organization_id)) throw notFound('auto-approval rule', id);
  return r;
}

/** a plan a rule names must be the organization's; groups in its conditions too */
async function checkBody(db: Db, organizationId: number, body: AutoApprovalRuleBody) {
  if (body.planId !== null) {
    const plan = await repo.getPlan(db, body.planId);
    if (!plan || plan.organization_id !== organizationId)
      throw invalid('unknown rollout plan', [
        { path: '/planId', message: `no rollout plan ${body.planId} in this organization` },
      ]);
  }
  if (body.conditions.groups?.length) {
    const known = new Set((await groupTree(db, organizationId)).map((g) => g.id));
    const bad = body.conditions.groups.filter((g) => !known.has(g));
    if (bad.length)
      throw invalid('unknown groups', [
        { path: '/conditions/groups', message: `not groups of this organization: ${bad.join(', ')}` },
      ]);
  }
}

export async function listRules(ctx: Context, organizationId: number): Promise<RuleView[]> {
  ctx.authorize('read');
  ownOrganization(ctx, organizationId);
  return (await repo.listRules(ctx.store.db, organizationId)).map(ruleView);
}

export async function getRule(ctx: Context, id: number): Promise<RuleView> {
  ctx.authorize('read');
  return ruleView(await ownedRule(ctx, id));
}

export async function createRule(ctx: Context, organizationId: number, input: unknown): Promise<RuleView> {
  ctx.authorize('approve');
  ownOrganization(ctx, organizationId);
  await getOrganization(ctx, organizationId); // and it exists
  const body = parseAutoApprovalRule(input);
  await checkBody(ctx.store.db, organizationId, body);
  const row = await ctx.store.transaction(async (tx) => {
    const r = await repo.insertRule(tx, {
      organization_id: organizationId,
      name: body.name,
      enabled: body.enabled,
      conditions: JSON.stringify(body.conditions),
      action: body.action,
      plan_id: body.planId,
      created_by: ctx.actor.name,
    });
    await record(ctx, tx, {
      kind: 'auto_approval_rule.created',
      organizationId,
      subjectType: 'auto_approval_rule',
      subjectId: r.id,
      data: { organizationId, ruleId: r.id, name: body.name, action: body.action, planId: body.planId },
    });
    return r;
  });
  await evaluateRules(ctx, organizationId);
  return getRule(ctx, row.id);
}

export async function updateRule(ctx: Context, id: number, input: unknown): Promise<RuleView> {
  ctx.authorize('approve');
  const existing = await ownedRule(ctx, id);
  const body = parseAutoApprovalRule(input);
  await checkBody(ctx.store.db, existing.organization_id, body);
  await ctx.store.transaction(async (tx) => {
    await repo.updateRule(tx, id, {
      name: body.name,
      enabled: body.enabled,
      conditions: JSON.stringify(body.conditions),
      action: body.action,
      plan_id: body.planId,
    });
    await record(ctx, tx, {
      kind: 'auto_approval_rule.updated',
      organizationId: existing.organization_id,
      subjectType: 'auto_approval_rule',
      subjectId: id,
      data: { organizationId: existing.organization_id, ruleId: id, name: body.name, action: body.action },
    });
  });
  await evaluateRules(ctx, existing.organization_id);
  return getRule(ctx, id);
}

export async function deleteRule(ctx: Context, id: number): Promise<void> {
  ctx.authorize('approve');
  const existing = await ownedRule(ctx, id);
  await ctx.store.transaction(async (tx) => {
    await repo.deleteRule(tx, id);
    await record(ctx, tx, {
      kind: 'auto_approval_rule.deleted',
      organizationId: existing.organization_id,
      subjectType: 'auto_approval_rule',
      subjectId: id,
      data: { organizationId: existing.organization_id, ruleId: id, name: existing.name },
    });
  });
}

/**
 * Puts the organization's rules in a new order: `ruleIds` lists every rule of the organization once,
 * first evaluated first (the first matching rule decides). Rules run again at once in that order.
 */
export async function reorderRules(
  ctx: Context,
  organizationId: number,
  ruleIds: readonly number[],
): Promise<RuleView[]> {
  ctx.authorize('approve');
  ownOrganization(ctx, organizationId);
  const existing = await repo.listRules(ctx.store.db, organizationId);
  const known = new Set(existing.map((r) => r.id));
  const given = new Set(ruleIds);
  const issues = [];
  if (given.size !== ruleIds.length)
    issues.push({ path: '/ruleIds', message: 'must name each rule once (a rule id is repeated)' });
  const unknown = ruleIds.filter((id) => !known.has(id));
  if (unknown.length)
    issues.push({
      path: '/ruleIds',
      message: `not rules of organization ${organizationId}: ${[...new Set(unknown)].join(', ')}`,
    });
  const left = existing.filter((r) => !given.has(r.id)).map((r) => r.id);
  if (left.length)
    issues.push({
      path: '/ruleIds',
      message: `must list every rule of the organization: add ${left.join(', ')}`,
    });
  if (issues.length) throw invalid('the new order must list every rule of the organization once', issues);
  await ctx.store.transaction(async (tx) => {
    for (const [i, id] of ruleIds.entries()) await repo.updateRule(tx, id, { position: i + 1 });
    await record(ctx, tx, {
      kind: 'auto_approval_rule.reordered',
      organizationId,
      subjectType: 'organization',
      subjectId: organizationId,
      data: { organizationId, ruleIds: [...ruleIds] },
    });
  });
  await evaluateRules(ctx, organizationId);
  return listRules(ctx, organizationId);
}

// ---- facts and evaluation ----

type FactRow = Awaited<ReturnType<typeof repo.missingWithFacts>>[number];

const updateFacts = (r: FactRow): UpdateFacts => ({
  updateId: r.update_id,
  name: r.name,
  packageName: r.package_name,
  product: r.product,
  classification: r.classification,
  severity: isSeverity(r.severity) ? r.severity : 'unknown',
  customSeverity: r.custom_severity,
  knownExploited: r.known_exploited,
  epssScore: r.epss_probability === null ? null : Number(r.epss_probability),
  epssPercentile: r.epss_percentile === null ? null : Number(r.epss_percentile),
  cvss: r.cvss === null ? null : Number(r.cvss),
  releasedAt: r.released_at,
});

/**
 * The organization's missing (update, device) pairs where no person or policy decided: the rules' domain.
 * A decision set by a rule earlier does not hide a pair (a rule may change its mind as facts change).
 */
async function undecidedPairs(
  db: Db,
  organizationId: number,
  only: { updateIds?: readonly number[]; deviceIds?: readonly number[] },
) {
  const rows = await repo.missingWithFacts(db, organizationId, only);
  const effective = await effectiveApprovals(
    db,
    organizationId,
    rows.map((r) => ({ device_id: r.device_id, group_id: r.group_id, update_id: r.update_id })),
  );
  const tree = await groupTree(db, organizationId);
  const chains = new Map<number, number[]>();
  const chain = (g: number) => {
    let c = chains.get(g);
    if (!c) chains.set(g, (c = [g, ...ancestorsOf(tree, g)]));
    return c;
  };
  return rows
    .filter((r) => {
      const e = effective.get(`${r.device_id}:${r.update_id}`);
      return !e || e.source === 'rule';
    })
    .map((r) => ({
      row: r,
      update: updateFacts(r),
      device: {
        deviceId: r.device_id,
        groupChain: chain(r.group_id),
        tags: r.tags ?? [],
      } satisfies DeviceFacts,
    }));
}

export interface PreviewView {
  organizationId: number;
  action: AutoApprovalRuleBody['action'];
  planId: number | null;
  /** each update the rule matches now, with the devices it would act on */
  updates: { updateId: number; name: string; devices: { id: number }[] }[];
  deviceCount: number;
}

/** what a rule (an unsaved body) would decide now, on which devices: alone, as if it were the only rule */
export async function previewRule(
  ctx: Context,
  organizationId: number,
  input: unknown,
): Promise<PreviewView> {
  ctx.authorize('read');
  ownOrganization(ctx, organizationId);
  const body = parseAutoApprovalRule(input);
  await checkBody(ctx.store.db, organizationId, body);
  const now = ctx.now();
  const byUpdate = new Map<number, { updateId: number; name: string; devices: { id: number }[] }>();
  const devices = new Set<number>();
  for (const p of await undecidedPairs(ctx.store.db, organizationId, {}))
    if (ruleMatches(body.conditions, p.update, p.device, now)) {
      let u = byUpdate.get(p.update.updateId);
      if (!u)
        byUpdate.set(
          p.update.updateId,
          (u = { updateId: p.update.updateId, name: p.update.name, devices: [] }),
        );
      u.devices.push({ id: p.device.deviceId });
      devices.add(p.device.deviceId);
    }
  return {
    organizationId,
    action: body.action,
    planId: body.planId,
    updates: [...byUpdate.values()],
    deviceCount: devices.size,
  };
}

/** the context rules act in: the system's, named so the event log says a rule decided */
const rulesContext = (ctx: Context) =>
  new Context(ctx.store, { ...SYSTEM_ACTOR, id: 'auto-approval', name: 'auto-approval rules' }, ctx.now);

/**
 * Runs the organization's rules over its undecided missing updates (optionally only some updates or
 * devices) and applies what they decide. Called after catalog imports, scans and rule changes, whose
 * callers authorized; returns how many device updates changed status.
 */
export async function evaluateRules(
  ctx: Context,
  organizationId: number,
  only: { updateIds?: readonly number[]; deviceIds?: readonly number[] } = {},
): Promise<number> {
  const sys = rulesContext(ctx);
  const rules = (await repo.listRules(ctx.store.db, organizationId)).map(ruleView).filter((r) => r.enabled);
  if (!rules.length) return 0;
  const now = ctx.now();
  return ctx.store.transaction(async (tx) => {
    const groups = new Map<string, { rule: RuleView; updateId: number; name: string; devices: number[] }>();
    for (const p of await undecidedPairs(tx, organizationId, only)) {
      const d = decideByRules(rules, p.update, p.device, now);
      if (!d || d.action === 'stop') continue;
      // a missing update already approved by this same rule stays as it is (status pending would say so)
      const key = `${d.rule.id}:${p.update.updateId}`;
      let g = groups.get(key);
      if (!g)
        groups.set(
          key,
          (g = { rule: d.rule, updateId: p.update.updateId, name: p.update.name, devices: [] }),
        );
      g.devices.push(p.device.deviceId);
    }
    let changed = 0;
    const events: EventInput[] = [];
    for (const g of groups.values()) {
      const r = g.rule;
      let moved = 0;
      let rollouts: number[] = [];
      if (r.action === 'approve' && r.planId !== null)
        rollouts = await startRollouts(sys, tx, r.planId, [g.updateId], `auto-approval rule '${r.name}'`);
      else
        moved = await applyRuleDecisions(
          sys,
          tx,
          organizationId,
          g.devices.map((deviceId) => ({ deviceId, updateId: g.updateId })),
          r.action === 'approve' ? 'approve' : 'ignore',
          `auto-approval rule '${r.name}'`,
        );
      if (!moved && !rollouts.length) continue;
      changed += moved;
      events.push({
        kind: 'approval.rule_applied',
        organizationId,
        subjectType: 'auto_approval_rule',
        subjectId: r.id,
        updateId: g.updateId,
        data: {
          organizationId,
          ruleId: r.id,
          ruleName: r.name,
          action: r.action,
          planId: r.planId,
          updateId: g.updateId,
          updates: [g.updateId],
          updateName: g.name,
          devices: g.devices,
          count: g.devices.length,
          changed: moved,
          rollouts,
          reason: `rule '${r.name}' matched`,
        },
      });
    }
    if (events.length) await record(sys, tx, events);
    return changed;
  });
}

/** after a catalog import: every organization with rules (the catalog is shared by all) */
export async function evaluateAllRules(ctx: Context): Promise<number> {
  let n = 0;
  for (const org of await repo.organizationsWithRules(ctx.store.db)) n += await evaluateRules(ctx, org);
  return n;
}
