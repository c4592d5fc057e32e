import { sql, type Kysely } from 'kysely';

// Safe rollout, continued (issue #18): a patch policy may target a rollout plan instead of groups and
// devices (policies.rollout_plan_id; what it selects is approved into the plan and installed ring by
// ring, rollouts.policy_id naming the policy whose installs a ring start queues), and a plan may span
// several organizations for a provider (rollout_plans.organization_id null; `organizations` lists every
// organization its rings name, kept by the service, for access checks; such a plan's rollouts have no
// single organization either).
const UP = [
  `alter table policies add column rollout_plan_id bigint references rollout_plans(id)`,
  `create index policies_rollout_plan on policies (rollout_plan_id) where rollout_plan_id is not null`,
  `alter table rollouts add column policy_id bigint references policies(id) on delete set null`,
  `alter table rollout_plans alter column organization_id drop not null`,
  `alter table rollout_plans add column organizations bigint[] not null default '{}'`,
  `update rollout_plans set organizations = array[organization_id]`,
  `alter table rollouts alter column organization_id drop not null`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const q of UP) await sql.raw(q).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table rollouts drop column if exists policy_id`).execute(db);
  await sql.raw(`alter table policies drop column if exists rollout_plan_id`).execute(db);
  await sql.raw(`alter table rollout_plans drop column if exists organizations`).execute(db);
}
