import { sql, type Kysely } from 'kysely';

// Kaseya VSA's hashed sign-in (GET /api/v1.0/auth) proves knowledge of SHA-256(password + username),
// which no scrypt hash can check. The value is kept per user, set when the password is set and cleared
// when the user name changes without a new password. It is a password equivalent for the Kaseya face.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column kaseya_verifier text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users drop column kaseya_verifier`.execute(db);
}
