import { sql, type Kysely } from 'kysely';

// What an advisory says about each package: the catalog matches updates reported by agents against these
// rows (package name + version order + fixed version). KB rows (scheme 'kb') name a Windows KB article.
const statements = [
  `create table bulletin_packages (
    bulletin_id bigint not null references bulletins(id) on delete cascade,
    ecosystem text not null,                           -- Debian:12, Ubuntu:22.04, Red Hat, …
    scheme text,                                       -- dpkg | rpm | kb | null (version order unknown)
    name text not null,                                -- source package, binary package, or KB5034441
    status text not null,                              -- affected | fixed | not_affected | under_investigation
    fixed_version text,
    cves text[]                                        -- null: every CVE of the bulletin
  )`,
  `create index bulletin_packages_bulletin on bulletin_packages (bulletin_id)`,
  `create index bulletin_packages_name on bulletin_packages (name)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop table if exists bulletin_packages cascade').execute(db);
}
