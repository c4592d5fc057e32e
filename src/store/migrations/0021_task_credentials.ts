import { sql, type Kysely } from 'kysely';

// The credentials an import task fetches its URL with (issue 15: Altiris SetupPreImport and
// SetupWindowsPreImport give a user name and password "to access import cab"). Kept apart from the task's
// parameters, which every reader of the task sees: written by the service, read only by the import
// handler, never rendered. Deleted with the task.
const statements = [
  `create table task_credentials (
    task_id bigint primary key references tasks(id) on delete cascade,
    user_name text not null,
    password text not null,
    updated_at timestamptz not null default now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table task_credentials`.execute(db);
}
