import { sql, type Kysely } from 'kysely';

// Whether users other than a window's author may change it (GravityZone's `allowChangeByOtherUsers` of
// its maintenance window methods). Kept on the window, beside its settings, so every face reads it back.
// Default true: windows made before (and natively) stay changeable by anyone allowed to manage windows;
// services/windows-crud.ts enforces it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table maintenance_windows add column allow_change_by_other_users boolean not null default true`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table maintenance_windows drop column allow_change_by_other_users`).execute(db);
}
