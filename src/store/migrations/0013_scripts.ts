import { sql, type Kysely } from 'kysely';

// Scripts agents run (core/scripts): worklet and required-software policies, the per-organization switch
// (off by default) and the run history.
// - policies.kind: patch | worklet | required-software (agent_settings was reserved and never used);
//   policies.payload holds a script policy's own settings (core WorkletPolicy / RequiredSoftwarePolicy);
//   a patch policy keeps its rule in `rule` and payload null.
// - organizations.scripts_enabled: no script runs in an organization until someone turns it on.
// - script_runs: one row per step an agent runs (or was refused): a worklet run is an evaluation row and,
//   when the evaluation failed, a remediation row, both tied to the same job. The script is copied as it
//   ran (a policy may change or go later); output is capped by the agent and again here.
// - the built-in Administrator and Operator roles get the new `run_scripts` privilege.
const PHASES = `'evaluation', 'remediation', 'install', 'run'`;
const STATUSES = `'queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'refused'`;
const statements = [
  `alter table policies add column payload jsonb`,
  `alter table policies add constraint policies_kind
     check (kind in ('patch', 'worklet', 'required-software', 'agent_settings'))`,
  `alter table organizations add column scripts_enabled boolean not null default false`,
  `create table script_runs (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    device_id bigint not null references devices(id) on delete cascade,
    source text not null,                              -- policy | ad-hoc
    policy_id bigint references policies(id) on delete set null,
    policy_name text,
    job_id bigint references jobs(id) on delete set null,
    phase text not null,
    status text not null default 'queued',
    shell text not null,
    code text not null,
    time_limit_seconds integer not null,
    output_cap_bytes integer not null,
    exit_code integer,
    stdout text not null default '',
    stderr text not null default '',
    truncated boolean not null default false,
    error text,
    started_by text not null,                          -- the actor's name (a person, a task instance)
    started_by_id text,
    created_at timestamptz not null default now(),
    started_at timestamptz,
    finished_at timestamptz,
    check (source in ('policy', 'ad-hoc')),
    check (source = 'ad-hoc' or policy_name is not null),
    check (phase in (${PHASES})),
    check (status in (${STATUSES}))
  )`,
  `create unique index script_runs_job_phase on script_runs (job_id, phase) where job_id is not null`,
  `create index script_runs_org on script_runs (organization_id, id)`,
  `create index script_runs_device on script_runs (device_id, id)`,
  `create index script_runs_policy on script_runs (policy_id, id) where policy_id is not null`,
  `create index script_runs_open on script_runs (job_id) where status in ('queued', 'running')`,
  `update roles set privileges = array_append(privileges, 'run_scripts')
     where builtin and name in ('Administrator', 'Operator') and not ('run_scripts' = any(privileges))`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`update roles set privileges = array_remove(privileges, 'run_scripts')`).execute(db);
  await sql.raw('drop table script_runs').execute(db);
  await sql.raw('alter table organizations drop column scripts_enabled').execute(db);
  await sql.raw('alter table policies drop constraint policies_kind').execute(db);
  await sql.raw('alter table policies drop column payload').execute(db);
}
