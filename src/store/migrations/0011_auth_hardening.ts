import { sql, type Kysely } from 'kysely';

// Sign-in hardening.
// - `login_attempts`: one counter row per throttled subject (a user name, a client address, a name at an
//   address), counted with one upsert before the credentials are checked, so parallel attempts cannot
//   all pass the check, and shared by every replica.
// - `sessions.api_key_id`: the API key a session was opened with (a personal access token of the Kaseya
//   face); revoking, expiring or deleting the key ends the session with it.
const statements = [
  `create table login_attempts (
    key text primary key,
    attempts integer not null,
    last_at timestamptz not null,
    previous_at timestamptz
  )`,
  `create index login_attempts_last_at on login_attempts (last_at)`,
  `alter table sessions add column api_key_id bigint references api_keys (id) on delete cascade`,
  `create index sessions_api_key on sessions (api_key_id) where api_key_id is not null`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table sessions drop column api_key_id`).execute(db);
  await sql.raw(`drop table login_attempts`).execute(db);
}
