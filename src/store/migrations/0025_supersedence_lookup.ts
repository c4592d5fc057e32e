import { sql, type Kysely } from 'kysely';

// Update supersedence is written from bulletin supersedence at each scan (store/repos/catalog-repo.ts
// linkUpdateSupersedence): it follows bulletin_supersedence backwards too (which bulletins the reported
// updates' bulletins supersede), by superseded_by_id, which only the primary key's second column held.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`create index bulletin_supersedence_by on bulletin_supersedence (superseded_by_id)`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`drop index if exists bulletin_supersedence_by`).execute(db);
}
