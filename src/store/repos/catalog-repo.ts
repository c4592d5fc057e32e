import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Access } from '../../core/access.ts';
import { compareVersions, type VersionScheme } from '../../core/advisories/index.ts';
import { supersedesPackage } from '../../core/updates.ts';
import { SETTLED } from '../../core/status.ts';
import { groupVisible } from '../access.ts';
import { rowsOf } from '../bulk.ts';
import type { Db } from '../db.ts';
import { containsPattern, paginate, type Page } from '../paging.ts';
import type { Row } from '../schema.ts';

// ---- tenancy of the catalog (migration 0012) ------------------------------------------------------------
// Vendor advisories are shared; what a tenant's devices report is that tenant's. An update is shared once an
// advisory knows it (bulletin_id, set by the linker below), a CVE once an import knows it (vendor_known);
// otherwise each is seen by the organizations that reported it (update_learned_by, cve_learned_by). A caller
// whose scope covers every organization sees everything. Each test is one primary-key probe per candidate
// row into a table of one row per (row, organization), never a scan of device_updates.

/** the organizations whose learned catalog rows the scope sees: whole ones and those it sees groups of */
function learnedOrgs(access: Access): number[] {
  return [...access.organizations, ...access.groups.keys()];
}

/** updates (alias `u`, or the columns given) that the scope sees */
export function updateVisible(
  access: Access,
  id = 'u.id',
  bulletinId = 'u.bulletin_id',
): RawBuilder<SqlBool> {
  if (access.all) return sql<SqlBool>`true`;
  const orgs = learnedOrgs(access);
  if (!orgs.length) return sql<SqlBool>`${sql.ref(bulletinId)} is not null`;
  return sql<SqlBool>`(${sql.ref(bulletinId)} is not null or exists (select 1 from update_learned_by l
    where l.update_id = ${sql.ref(id)} and l.organization_id in (${sql.join(orgs)})))`;
}

/** CVEs (the id column given, of a row of `cves` aliased by `vendorKnown`'s table) that the scope sees */
export function cveVisible(access: Access, id = 'c.id', vendorKnown = 'c.vendor_known'): RawBuilder<SqlBool> {
  if (access.all) return sql<SqlBool>`true`;
  const orgs = learnedOrgs(access);
  if (!orgs.length) return sql<SqlBool>`${sql.ref(vendorKnown)}`;
  return sql<SqlBool>`(${sql.ref(vendorKnown)} or exists (select 1 from cve_learned_by l
    where l.cve_id = ${sql.ref(id)} and l.organization_id in (${sql.join(orgs)})))`;
}

/**
 * CVEs seen by one organization (a device's own updates show the CVEs its organization may see): the
 * organization's column, or its id
 */
export function cveVisibleToOrganization(org: string | number, id = 'c.id', vendorKnown = 'c.vendor_known') {
  const orgId = typeof org === 'number' ? sql`${org}::bigint` : sql.ref(org);
  return sql<SqlBool>`(${sql.ref(vendorKnown)} or exists (select 1 from cve_learned_by l
    where l.cve_id = ${sql.ref(id)} and l.organization_id = ${orgId}))`;
}

/** updates (the id and bulletin columns given) seen by one organization: shared, or reported by its devices */
export function updateVisibleToOrganization(orgColumn: string, id = 'u.id', bulletinId = 'u.bulletin_id') {
  return sql<SqlBool>`(${sql.ref(bulletinId)} is not null or exists (select 1 from update_learned_by l
    where l.update_id = ${sql.ref(id)} and l.organization_id = ${sql.ref(orgColumn)}))`;
}

/** the CVE ids of update `u` that the scope sees, in order */
export const visibleCvesOfUpdate = (access: Access, updateId = 'u.id') =>
  sql<string[]>`array(select uc.cve_id from update_cves uc join cves c on c.id = uc.cve_id
    where uc.update_id = ${sql.ref(updateId)} and ${cveVisible(access)} order by uc.cve_id)`;

/** records that an organization's devices reported these updates and CVEs (idempotent; one statement each) */
export async function recordLearned(
  db: Db,
  organizationId: number,
  updateIds: readonly number[],
  cves: readonly string[],
) {
  // in key order, so that concurrent reports of one organization wait on each other, never deadlock
  const u = [...new Set(updateIds)].sort((a, b) => a - b);
  if (u.length)
    await sql`insert into update_learned_by (update_id, organization_id)
      select update_id, ${organizationId}::bigint from ${rowsOf(
        u.map((update_id) => ({ update_id })),
        { update_id: 'bigint' },
      )}
      on conflict do nothing`.execute(db);
  const c = [...new Set(cves)].sort();
  if (c.length)
    await sql`insert into cve_learned_by (cve_id, organization_id)
      select cve_id, ${organizationId}::bigint from ${rowsOf(
        c.map((cve_id) => ({ cve_id })),
        { cve_id: 'text' },
      )}
      on conflict do nothing`.execute(db);
}

/**
 * Links updates to CVEs, creating CVE rows that are not known yet. `vendor`: the links come from an
 * advisory, so the CVEs are shared (a CVE a device reported becomes shared when an advisory names it).
 * Two statements whatever the number of links, each in key order (concurrent writers never deadlock).
 */
export async function linkUpdateCves(db: Db, links: { updateId: number; cve: string }[], vendor = false) {
  if (!links.length) return;
  const cves = [...new Set(links.map((l) => l.cve))].sort().map((id) => ({ id }));
  await sql`insert into cves (id, vendor_known)
    select id, ${vendor}::boolean from ${rowsOf(cves, { id: 'text' })}
    on conflict (id) do ${vendor ? sql`update set vendor_known = true where cves.vendor_known = false` : sql`nothing`}`.execute(
    db,
  );
  const pairs = links
    .map((l) => ({ update_id: l.updateId, cve_id: l.cve }))
    .sort((a, b) => a.update_id - b.update_id || (a.cve_id < b.cve_id ? -1 : a.cve_id > b.cve_id ? 1 : 0));
  await sql`insert into update_cves (update_id, cve_id)
    select update_id, cve_id from ${rowsOf(pairs, { update_id: 'bigint', cve_id: 'text' })}
    on conflict (update_id, cve_id) do nothing`.execute(db);
}

// ---- updates in the catalog, matching against advisories, exposure --------------------------------------

export interface UpdateFilter {
  /** only these updates */
  ids?: readonly number[];
  q?: string;
  kb?: string;
  packageName?: string;
  bulletinId?: number;
  kind?: string;
  cve?: string;
}
export const updateSort = {
  name: 'u.name',
  kb: 'u.kb',
  packageName: 'u.package_name',
  releasedAt: 'u.released_at',
  id: 'u.id',
};

export type CatalogUpdateRow = Row<'updates'> & { cves: string[]; bulletin_external_id: string | null };

/** the catalog's updates that the scope sees (shared ones and those its organizations reported) */
export async function listCatalogUpdates(db: Db, access: Access, f: UpdateFilter, page: Page) {
  let q = db
    .selectFrom('updates as u')
    .leftJoin('bulletins as b', 'b.id', 'u.bulletin_id')
    .selectAll('u')
    .select('b.external_id as bulletin_external_id')
    .select(visibleCvesOfUpdate(access).as('cves'))
    .where(updateVisible(access));
  if (f.ids) q = q.where('u.id', 'in', f.ids.length ? [...f.ids] : [0]);
  if (f.q) q = q.where('u.name', 'ilike', containsPattern(f.q));
  if (f.kb) q = q.where(sql`upper(u.kb)`, '=', f.kb.toUpperCase());
  if (f.packageName) q = q.where('u.package_name', '=', f.packageName);
  if (f.bulletinId !== undefined) q = q.where('u.bulletin_id', '=', f.bulletinId);
  if (f.kind) q = q.where('u.kind', '=', f.kind);
  if (f.cve)
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('update_cves as uc')
          .innerJoin('cves as c', 'c.id', 'uc.cve_id')
          .whereRef('uc.update_id', '=', 'u.id')
          .where('uc.cve_id', '=', f.cve!.toUpperCase())
          .where(cveVisible(access))
          .select(sql`1`.as('one')),
      ),
    );
  return paginate(q, page, updateSort, 'u.id', (r) => r as CatalogUpdateRow);
}

/** update ids of the bulletins (Altiris ResolveToUpdates): shared, since an advisory knows them */
export async function updateIdsForBulletins(db: Db, bulletinIds: readonly number[]): Promise<number[]> {
  if (!bulletinIds.length) return [];
  const rows = await db
    .selectFrom('updates')
    .select('id')
    .where('bulletin_id', 'in', [...bulletinIds])
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

/** the bulletins that supersede these, directly or through others (bulletin_supersedence), by id */
export async function supersedingBulletins(db: Db, bulletinIds: readonly number[]): Promise<number[]> {
  if (!bulletinIds.length) return [];
  const r = await sql<{ id: number }>`
    with recursive later(id) as (
      select superseded_by_id from bulletin_supersedence where bulletin_id in (${sql.join([...bulletinIds])})
      union
      select s.superseded_by_id from bulletin_supersedence s join later l on s.bulletin_id = l.id
    )
    select id from later order by id`.execute(db);
  return r.rows.map((x) => Number(x.id)).filter((id) => !bulletinIds.includes(id));
}

/** the bulletins of these updates (those that have one) */
export async function bulletinsOfUpdates(db: Db, updateIds: readonly number[]): Promise<number[]> {
  if (!updateIds.length) return [];
  const rows = await db
    .selectFrom('updates')
    .select('bulletin_id')
    .distinct()
    .where('id', 'in', [...updateIds])
    .where('bulletin_id', 'is not', null)
    .orderBy('bulletin_id')
    .execute();
  return rows.map((r) => Number(r.bulletin_id));
}

const SCHEME_OF_KIND: Record<string, string> = { deb: 'dpkg', rpm: 'rpm', kb: 'kb' };

export interface LinkResult {
  /** updates examined */
  updates: number;
  /** updates that got a bulletin */
  linkedBulletins: number;
  /** (update, CVE) links added */
  linkedCves: number;
}

/**
 * Links updates (deb, rpm, kb) to the advisories they fix: an advisory entry for the same package name and
 * version order whose fixed version is at or below the update's version, or that names the update's KB.
 * An update that carries a KB is matched by it whatever reported it (a simulated Windows machine reports
 * kind `simulated` with the KB its name says): a KB names one fix wherever it comes from.
 * The update's bulletin (set only when it has none) is the entry with the highest fixed version, then the
 * newest; its CVEs are those of every matching entry. All updates when `updateIds` is absent.
 */
export async function linkUpdatesToAdvisories(db: Db, updateIds?: readonly number[]): Promise<LinkResult> {
  const result: LinkResult = { updates: 0, linkedBulletins: 0, linkedCves: 0 };
  const cdb = db;
  let lastId = 0;
  for (;;) {
    let q = db
      .selectFrom('updates')
      .select(['id', 'kind', 'kb', 'package_name', 'version', 'bulletin_id'])
      .where((eb) => eb.or([eb('kind', 'in', ['deb', 'rpm', 'kb']), eb('kb', 'is not', null)]))
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(2000);
    if (updateIds) q = q.where('id', 'in', updateIds.length ? [...updateIds] : [0]);
    const updates = await q.execute();
    if (!updates.length) break;
    lastId = updates[updates.length - 1]!.id;
    result.updates += updates.length;
    const schemeOf = (u: (typeof updates)[number]) =>
      u.kind === 'deb' || u.kind === 'rpm' ? SCHEME_OF_KIND[u.kind]! : 'kb';
    const nameOf = (u: (typeof updates)[number]) =>
      schemeOf(u) === 'kb' ? (u.kb ?? u.package_name ?? '').toUpperCase() : (u.package_name ?? '');
    const names = [...new Set(updates.map(nameOf).filter((n) => n))];
    if (!names.length) continue;
    const entries = await cdb
      .selectFrom('bulletin_packages as p')
      .innerJoin('bulletins as b', 'b.id', 'p.bulletin_id')
      .select([
        'p.bulletin_id',
        'p.scheme',
        'p.name',
        'p.fixed_version',
        'p.cves',
        'p.status',
        'b.released_at',
      ])
      .where('p.name', 'in', names)
      .where('p.status', '<>', 'not_affected')
      .execute();
    const byName = new Map<string, typeof entries>();
    for (const e of entries) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
    const bulletinIds = [...new Set(entries.filter((e) => !e.cves).map((e) => e.bulletin_id))];
    const bulletinCves = new Map<number, string[]>();
    if (bulletinIds.length) {
      const rows = await db
        .selectFrom('bulletin_cves')
        .select(['bulletin_id', 'cve_id'])
        .where('bulletin_id', 'in', bulletinIds)
        .execute();
      for (const r of rows)
        bulletinCves.set(r.bulletin_id, [...(bulletinCves.get(r.bulletin_id) ?? []), r.cve_id]);
    }
    const cveLinks: { updateId: number; cve: string }[] = [];
    const bulletinOf = new Map<number, number>();
    for (const u of updates) {
      const scheme = schemeOf(u);
      const matching = (byName.get(nameOf(u)) ?? []).filter((e) => {
        if (e.scheme !== scheme) return false;
        if (scheme === 'kb') return true;
        if (!e.fixed_version || !u.version) return false;
        return compareVersions(scheme as VersionScheme, e.fixed_version, u.version) <= 0;
      });
      if (!matching.length) continue;
      const best = [...matching].sort((a, b) => {
        if (scheme !== 'kb' && a.fixed_version && b.fixed_version) {
          const c = compareVersions(scheme as VersionScheme, b.fixed_version, a.fixed_version);
          if (c !== 0) return c;
        }
        const ta = a.released_at ? new Date(a.released_at).getTime() : 0;
        const tb = b.released_at ? new Date(b.released_at).getTime() : 0;
        return tb - ta || b.bulletin_id - a.bulletin_id;
      })[0]!;
      if (u.bulletin_id === null) bulletinOf.set(u.id, best.bulletin_id);
      const cves = new Set(matching.flatMap((e) => e.cves ?? bulletinCves.get(e.bulletin_id) ?? []));
      for (const cve of cves) cveLinks.push({ updateId: u.id, cve });
    }
    if (bulletinOf.size)
      await sql`update updates u set bulletin_id = x.bulletin_id, updated_at = ${new Date()}
        from ${rowsOf(
          [...bulletinOf].sort(([a], [b]) => a - b).map(([id, bulletin_id]) => ({ id, bulletin_id })),
          { id: 'bigint', bulletin_id: 'bigint' },
        )}
        where u.id = x.id and u.bulletin_id is null`.execute(db);
    result.linkedBulletins += bulletinOf.size;
    if (cveLinks.length) {
      const before = await countUpdateCves(db, [...new Set(cveLinks.map((l) => l.updateId))]);
      await linkUpdateCves(db, cveLinks, true);
      const after = await countUpdateCves(db, [...new Set(cveLinks.map((l) => l.updateId))]);
      result.linkedCves += after - before;
    }
  }
  return result;
}

/** records that updates are superseded by others (core/updates.ts says when); idempotent, one statement */
export async function insertUpdateSupersedence(
  db: Db,
  pairs: readonly { updateId: number; supersededById: number }[],
) {
  if (!pairs.length) return;
  await db
    .insertInto('update_supersedence')
    .values(pairs.map((p) => ({ update_id: p.updateId, superseded_by_id: p.supersededById })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * The vendor's word on package updates (core/updates.ts, supersedence): an update of a bulletin that a later
 * bulletin supersedes (directly or through others) is superseded by the later bulletin's updates of the same
 * package and architecture that are newer. Only pairs involving `updateIds` when given, else all; idempotent.
 * Returns the pairs found.
 */
export async function linkUpdateSupersedence(db: Db, updateIds?: readonly number[]): Promise<number> {
  if (updateIds && !updateIds.length) return 0;
  const ids = updateIds ? sql.join([...updateIds]) : undefined;
  // the chains start at the given updates' bulletins (forwards: what supersedes them; backwards: what
  // they supersede), or at every bulletin
  const mine = ids
    ? sql`(select distinct bulletin_id from updates where id in (${ids}) and bulletin_id is not null)`
    : undefined;
  const rows = await sql<{
    old_id: number;
    new_id: number;
    kind: string;
    package_name: string;
    architecture: string | null;
    old_version: string | null;
    new_version: string | null;
  }>`
    with recursive later(bulletin_id, superseded_by_id) as (
      select bulletin_id, superseded_by_id from bulletin_supersedence
       ${mine ? sql`where bulletin_id in ${mine}` : sql``}
      union
      select l.bulletin_id, s.superseded_by_id
        from later l join bulletin_supersedence s on s.bulletin_id = l.superseded_by_id
    ), earlier(bulletin_id, superseded_by_id) as (
      select bulletin_id, superseded_by_id from bulletin_supersedence
       where ${mine ? sql`superseded_by_id in ${mine}` : sql`false`}
      union
      select s.bulletin_id, e.superseded_by_id
        from earlier e join bulletin_supersedence s on s.superseded_by_id = e.bulletin_id
    ), chain as (select * from later union select * from earlier)
    select o.id as old_id, n.id as new_id, o.kind, o.package_name, o.architecture,
           o.version as old_version, n.version as new_version
      from chain l
      join updates o on o.bulletin_id = l.bulletin_id
      join updates n on n.bulletin_id = l.superseded_by_id
     where o.kind in ('deb', 'rpm') and n.kind = o.kind and n.package_name = o.package_name
       and n.architecture is not distinct from o.architecture and n.id <> o.id
       ${ids ? sql`and (o.id in (${ids}) or n.id in (${ids}))` : sql``}`.execute(db);
  const pairs = rows.rows
    .filter((r) => supersedesPackage({ ...r, version: r.new_version }, { ...r, version: r.old_version }))
    .map((r) => ({ updateId: Number(r.old_id), supersededById: Number(r.new_id) }));
  await insertUpdateSupersedence(db, pairs);
  return pairs.length;
}

async function countUpdateCves(db: Db, updateIds: number[]) {
  const r = await db
    .selectFrom('update_cves')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('update_id', 'in', updateIds)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Devices in scope that miss an update fixing the CVE, with that update. */
export async function exposedDevices(db: Db, access: Access, cve: string, limit = 1000) {
  return db
    .selectFrom('device_updates as du')
    .innerJoin('update_cves as uc', 'uc.update_id', 'du.update_id')
    .innerJoin('devices as d', 'd.id', 'du.device_id')
    .innerJoin('updates as u', 'u.id', 'du.update_id')
    .select([
      'd.id as device_id',
      'd.name as device_name',
      'd.organization_id',
      'd.group_id',
      'u.id as update_id',
      'u.name as update_name',
      'u.kind',
      'u.kb',
      'u.package_name',
      'u.version',
      'du.installed_version',
      'du.status',
    ])
    .where('uc.cve_id', '=', cve)
    .where('du.detection', '=', 'missing')
    .where('du.status', 'not in', [...SETTLED])
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'))
    .orderBy('d.id')
    .orderBy('u.id')
    .limit(limit)
    .execute();
}
