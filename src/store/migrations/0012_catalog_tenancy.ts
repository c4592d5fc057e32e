import { sql, type Kysely } from 'kysely';

// Catalog tenancy. Vendor advisories are shared; what a tenant's devices report is that tenant's.
// - An update is shared once an advisory knows it (`updates.bulletin_id` is set by the advisory linker);
//   before that it is seen only by the organizations in `update_learned_by`, written by each scan.
// - A CVE is shared once an import knows it (`cves.vendor_known`: a bulletin, CVE 5, KEV or EPSS record);
//   a CVE that only devices reported is seen by the organizations in `cve_learned_by`.
// Why tables and not a subquery over device_updates: a catalog list for a tenant tests each candidate
// row with one primary-key probe into a table of one row per (update, organization), not a scan of
// device_updates (one row per device and update, millions); scans write it once with on conflict do
// nothing. The `_org` indexes serve the reverse question (what an organization learned) and the cascade
// when an organization is deleted.
const statements = [
  `create table update_learned_by (
    update_id bigint not null references updates(id) on delete cascade,
    organization_id bigint not null references organizations(id) on delete cascade,
    primary key (update_id, organization_id)
  )`,
  `create index update_learned_by_org on update_learned_by (organization_id)`,
  `create table cve_learned_by (
    cve_id text not null references cves(id) on delete cascade,
    organization_id bigint not null references organizations(id) on delete cascade,
    primary key (cve_id, organization_id)
  )`,
  `create index cve_learned_by_org on cve_learned_by (organization_id)`,
  `alter table cves add column vendor_known boolean not null default false`,
  // what is stored already: a CVE any import said something about is shared
  `update cves c set vendor_known = true
    where exists (select 1 from bulletin_cves bc where bc.cve_id = c.id)
       or exists (select 1 from bulletin_packages p where c.id = any(p.cves))
       or c.description <> '' or c.cvss_score is not null or c.severity <> 'unknown'
       or c.known_exploited or c.epss_probability is not null
       or c.published_at is not null or c.modified_at is not null`,
  `insert into update_learned_by (update_id, organization_id)
    select distinct du.update_id, du.organization_id from device_updates du
    on conflict do nothing`,
  // which organization reported which CVE was not kept: every organization that has the update learns it
  `insert into cve_learned_by (cve_id, organization_id)
    select distinct uc.cve_id, du.organization_id
      from update_cves uc
      join cves c on c.id = uc.cve_id and not c.vendor_known
      join device_updates du on du.update_id = uc.update_id
    on conflict do nothing`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('alter table cves drop column vendor_known').execute(db);
  await sql.raw('drop table cve_learned_by').execute(db);
  await sql.raw('drop table update_learned_by').execute(db);
}
