import { sql, type Kysely } from 'kysely';

// Agent procedures and the staff directory (issue #16, Kaseya VSA part two, section C).
// - procedures: an organization's catalogue of named scripts (Kaseya "agent procedures"), run by the
//   agent through the shared script runner (migration 0013): each run is a script_runs row that names
//   the procedure (procedure_id, and its name as it was, kept when the procedure goes). A procedure
//   schedule is a `script` task whose parameters name the procedure (services/procedures.ts).
//   quick_launch / portal: listed by VSA's quick launch and user portal calls.
// - users.ask_before_quick_launch: VSA's per-user "ask before executing" setting.
// - departments: human resource groups of an organization, optionally nested, with a manager (a user).
const statements = [
  `create table procedures (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    name text not null,
    folder text not null default '',
    description text,
    shell text not null,
    code text not null,
    time_limit_seconds integer not null,
    output_cap_bytes integer not null,
    quick_launch boolean not null default false,
    portal boolean not null default false,
    created_by text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (shell in ('sh', 'bash', 'powershell')),
    check (length(name) between 1 and 200)
  )`,
  `create unique index procedures_name on procedures (organization_id, folder, lower(name))`,
  `alter table script_runs add column procedure_id bigint references procedures(id) on delete set null`,
  `alter table script_runs add column procedure_name text`,
  `create index script_runs_procedure on script_runs (procedure_id, id) where procedure_id is not null`,
  `alter table users add column ask_before_quick_launch boolean not null default false`,
  `create table departments (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    parent_id bigint references departments(id) on delete restrict,
    name text not null,
    ref text,
    manager_id bigint references users(id) on delete set null,
    attributes jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (length(name) between 1 and 200)
  )`,
  `create unique index departments_name on departments (organization_id, coalesce(parent_id, 0), lower(name))`,
  `create index departments_parent on departments (parent_id) where parent_id is not null`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop table departments').execute(db);
  await sql.raw('alter table users drop column ask_before_quick_launch').execute(db);
  await sql.raw('alter table script_runs drop column procedure_name').execute(db);
  await sql.raw('alter table script_runs drop column procedure_id').execute(db);
  await sql.raw('drop table procedures').execute(db);
}
