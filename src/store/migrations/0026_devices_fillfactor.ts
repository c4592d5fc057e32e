import { sql, type Kysely } from 'kysely';

// Every check-in stamps its device's last_seen_at (in batches, services/agent-devices.ts). No index holds
// that column, so PostgreSQL can write the new row version in the same page (a HOT update, no index
// entries) when the page has room; full pages (the default fillfactor, 100) send each stamp to another
// page with a new entry in each of the table's indexes, and a million devices' stamps then cost more
// round after round. A tenth of each page is kept free for them (pages written from now on; a
// `vacuum full` or a dump and restore applies it to the existing ones).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table devices set (fillfactor = 90)`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table devices reset (fillfactor)`).execute(db);
}
