import { sql, type Kysely } from 'kysely';

// Safe rollout (issue #18): rollout plans (ordered deployment rings, core/rollout), the rollouts of
// updates approved into a plan with each ring's progress, and the organization's ordered auto-approval
// rules (core/auto-approval.ts). Approvals a rule or a rollout sets use the existing approvals table with
// source 'rule' (weaker than any person's decision, core/approvals.ts).
const UP = [
  `create table rollout_plans (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    name text not null,
    rings jsonb not null,
    created_by text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index rollout_plans_name on rollout_plans (organization_id, lower(name))`,
  `create table rollouts (
    id bigint generated always as identity primary key,
    plan_id bigint not null references rollout_plans(id) on delete cascade,
    organization_id bigint not null references organizations(id) on delete cascade,
    update_id bigint not null references updates(id) on delete cascade,
    state text not null default 'running',             -- running | paused | halted | completed
    progress jsonb not null,                           -- per ring: started, finished, gate, percent, reason
    reason text,
    approved_by text not null default '',
    approved_at timestamptz not null,
    updated_at timestamptz not null default now(),
    unique (plan_id, update_id)
  )`,
  `create index rollouts_running on rollouts (state) where state = 'running'`,
  `create table auto_approval_rules (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    position integer not null,
    name text not null,
    enabled boolean not null default true,
    conditions jsonb not null default '{}',
    action text not null,                              -- approve | ignore | stop
    plan_id bigint references rollout_plans(id) on delete set null,
    created_by text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index auto_approval_rules_org on auto_approval_rules (organization_id, position)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const q of UP) await sql.raw(q).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['auto_approval_rules', 'rollouts', 'rollout_plans'])
    await sql.raw(`drop table if exists ${t}`).execute(db);
}
