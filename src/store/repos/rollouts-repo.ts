import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import type { Db } from '../db.ts';
import { orgOwned } from '../access.ts';
import type { NewRow, Row } from '../schema.ts';

// Rollout plans, the rollouts of updates approved into them, and auto-approval rules (migration 0019).

export type RolloutPlanRow = Row<'rollout_plans'>;
export type RolloutRow = Row<'rollouts'>;
export type AutoApprovalRuleRow = Row<'auto_approval_rules'>;

// ---- plans ----

export const insertPlan = (db: Db, row: NewRow<'rollout_plans'>) =>
  db.insertInto('rollout_plans').values(row).returningAll().executeTakeFirstOrThrow();

export const getPlan = (db: Db, id: number) =>
  db.selectFrom('rollout_plans').selectAll().where('id', '=', id).executeTakeFirst();

export async function updatePlan(
  db: Db,
  id: number,
  patch: { name: string; rings: unknown[]; organizations: number[] },
) {
  await db
    .updateTable('rollout_plans')
    .set({
      name: patch.name,
      rings: JSON.stringify(patch.rings),
      organizations: patch.organizations,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

export async function deletePlan(db: Db, id: number) {
  await db.deleteFrom('rollout_plans').where('id', '=', id).execute();
}

/** the plans of the organizations the access owns (optionally one of them), by id */
export function listPlans(db: Db, access: Access, organizationId?: number) {
  let q = db.selectFrom('rollout_plans').selectAll().where(orgOwned(access, 'organization_id'));
  if (organizationId !== undefined) q = q.where('organization_id', '=', organizationId);
  return q.orderBy('id').limit(1000).execute();
}

/** the plans across organizations (the service keeps those whose every organization the caller owns) */
export const listCrossOrganizationPlans = (db: Db) =>
  db
    .selectFrom('rollout_plans')
    .selectAll()
    .where('organization_id', 'is', null)
    .orderBy('id')
    .limit(1000)
    .execute();

/** the policies that target a plan */
export const policiesTargetingPlan = (db: Db, planId: number) =>
  db.selectFrom('policies').select(['id', 'name']).where('rollout_plan_id', '=', planId).execute();

// ---- rollouts ----

export const getRollout = (db: Db, id: number) =>
  db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();

export const rolloutOf = (db: Db, planId: number, updateId: number) =>
  db
    .selectFrom('rollouts')
    .selectAll()
    .where('plan_id', '=', planId)
    .where('update_id', '=', updateId)
    .executeTakeFirst();

/** inserts a rollout unless the update is already in the plan; returns the new row or undefined */
export const insertRollout = (db: Db, row: NewRow<'rollouts'>) =>
  db
    .insertInto('rollouts')
    .values(row)
    .onConflict((oc) => oc.columns(['plan_id', 'update_id']).doNothing())
    .returningAll()
    .executeTakeFirst();

export function rolloutsOfPlan(db: Db, planId: number) {
  return db
    .selectFrom('rollouts as r')
    .innerJoin('updates as u', 'u.id', 'r.update_id')
    .selectAll('r')
    .select(['u.name as update_name', 'u.version as update_version'])
    .where('r.plan_id', '=', planId)
    .orderBy('r.id')
    .limit(1000)
    .execute();
}

/** running rollouts, locked for this transaction so two engines never advance one twice */
export function lockRunningRollouts(db: Db, limit = 100) {
  return db
    .selectFrom('rollouts')
    .selectAll()
    .where('state', '=', 'running')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function saveRollout(
  db: Db,
  id: number,
  patch: { state: string; progress: unknown[]; reason: string | null },
) {
  await db
    .updateTable('rollouts')
    .set({
      state: patch.state,
      progress: JSON.stringify(patch.progress),
      reason: patch.reason,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

/** when each update was released (bulletin or update date), for release-day delays */
export async function releaseDate(db: Db, updateId: number): Promise<Date | null> {
  const r = await db
    .selectFrom('updates as u')
    .leftJoin('bulletins as b', 'b.id', 'u.bulletin_id')
    .select(['u.released_at', 'b.released_at as bulletin_released_at'])
    .where('u.id', '=', updateId)
    .executeTakeFirst();
  return r?.released_at ?? r?.bulletin_released_at ?? null;
}

/** one update on some devices, with what a promotion gate looks at since `since` */
export async function ringOutcomes(db: Db, updateId: number, deviceIds: readonly number[], since: Date) {
  if (!deviceIds.length) return [];
  const r = await sql<{
    device_id: number;
    status: string;
    last_seen_at: Date | null;
    status_changed_at: Date;
    new_failures: number;
  }>`
    select du.device_id, du.status, d.last_seen_at, du.status_changed_at,
      (select count(*)::int from device_updates f
        where f.device_id = du.device_id and f.status = 'failed' and f.status_changed_at >= ${since}) as new_failures
    from device_updates du join devices d on d.id = du.device_id
    where du.update_id = ${updateId} and du.device_id in (${sql.join([...deviceIds])})
      and du.status <> 'not_applicable'
    order by du.device_id`.execute(db);
  return r.rows;
}

// ---- auto-approval rules ----

export function listRules(db: Db, organizationId: number) {
  return db
    .selectFrom('auto_approval_rules')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('position')
    .orderBy('id')
    .execute();
}

export const getRule = (db: Db, id: number) =>
  db.selectFrom('auto_approval_rules').selectAll().where('id', '=', id).executeTakeFirst();

export async function insertRule(db: Db, row: Omit<NewRow<'auto_approval_rules'>, 'position'>) {
  const last = await db
    .selectFrom('auto_approval_rules')
    .select(sql<number>`coalesce(max(position), 0)::int`.as('p'))
    .where('organization_id', '=', row.organization_id)
    .executeTakeFirstOrThrow();
  return db
    .insertInto('auto_approval_rules')
    .values({ ...row, position: last.p + 1 })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateRule(
  db: Db,
  id: number,
  patch: Partial<
    Pick<NewRow<'auto_approval_rules'>, 'name' | 'enabled' | 'conditions' | 'action' | 'plan_id' | 'position'>
  >,
) {
  await db
    .updateTable('auto_approval_rules')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/** the rules that approve into a plan */
export const rulesNamingPlan = (db: Db, planId: number) =>
  db.selectFrom('auto_approval_rules').select(['id', 'name']).where('plan_id', '=', planId).execute();

export async function deleteRule(db: Db, id: number) {
  await db.deleteFrom('auto_approval_rules').where('id', '=', id).execute();
}

/** organizations that have at least one enabled rule */
export async function organizationsWithRules(db: Db): Promise<number[]> {
  const rows = await db
    .selectFrom('auto_approval_rules')
    .select('organization_id')
    .distinct()
    .where('enabled', '=', true)
    .execute();
  return rows.map((r) => r.organization_id);
}

/**
 * An organization's missing updates (status missing: nobody decided yet, or only "do nothing") with the
 * catalog's facts on each and the device's placement: what auto-approval rules are evaluated on.
 * Optionally only some updates or devices.
 */
export async function missingWithFacts(
  db: Db,
  organizationId: number,
  only: { updateIds?: readonly number[]; deviceIds?: readonly number[] } = {},
) {
  const updates = only.updateIds ? sql`and du.update_id in (${sql.join([0, ...only.updateIds])})` : sql``;
  const devices = only.deviceIds ? sql`and du.device_id in (${sql.join([0, ...only.deviceIds])})` : sql``;
  const r = await sql<{
    device_id: number;
    group_id: number;
    tags: string[];
    update_id: number;
    name: string;
    package_name: string | null;
    product: string | null;
    classification: string;
    severity: string;
    custom_severity: string | null;
    known_exploited: boolean;
    epss_probability: number | null;
    epss_percentile: number | null;
    cvss: string | number | null;
    released_at: Date | null;
  }>`
    select du.device_id, d.group_id, d.tags, du.update_id, u.name, u.package_name, p.name as product,
      u.classification, u.severity, cs.name as custom_severity,
      coalesce(f.known_exploited, false) as known_exploited, f.epss_probability, f.epss_percentile,
      coalesce(greatest(f.cvss, b.cvss_score), f.cvss, b.cvss_score) as cvss,
      coalesce(u.released_at, b.released_at) as released_at
    from device_updates du
    join devices d on d.id = du.device_id
    join updates u on u.id = du.update_id
    left join products p on p.id = u.product_id
    left join bulletins b on b.id = u.bulletin_id
    left join lateral (
      select bool_or(c.known_exploited) as known_exploited, max(c.epss_probability) as epss_probability,
        max(c.epss_percentile) as epss_percentile, max(c.cvss_score) as cvss
      from cves c where c.id in (
        select uc.cve_id from update_cves uc where uc.update_id = u.id
        union select bc.cve_id from bulletin_cves bc where bc.bulletin_id = u.bulletin_id)
    ) f on true
    left join lateral (
      select bcs.name from bulletin_custom_severities bcs
      where bcs.organization_id = du.organization_id and bcs.bulletin_id = u.bulletin_id limit 1
    ) cs on true
    where du.organization_id = ${organizationId} and du.status = 'missing' and d.status = 'active'
      ${updates} ${devices}
    order by du.update_id, du.device_id`.execute(db);
  return r.rows;
}
