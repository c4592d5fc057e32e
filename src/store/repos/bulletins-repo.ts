import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Bulletin, CveRecord, EpssRecord, KevRecord } from '../../core/advisories/index.ts';
import { versionScheme } from '../../core/advisories/index.ts';
import type { Access } from '../../core/access.ts';
import type { Db } from '../db.ts';
import { cveVisible } from './catalog-repo.ts';
import { containsPattern, paginate, type Page } from '../paging.ts';
import type { BulletinPackagesTable, Row } from '../schema.ts';

// The patch catalog's bulletins, their CVEs and affected packages (table bulletin_packages, migration 0003).
// Upserts are idempotent: a row whose content did not change is not written (its updated_at stays).

const hashOf = (v: unknown) => createHash('sha1').update(JSON.stringify(v)).digest('hex');
const scoreText = (n: number | undefined) => (n === undefined ? null : n.toFixed(1));

/** vendor names → ids, creating the missing ones (names compare case-insensitively) */
export async function upsertVendors(db: Db, names: readonly string[]): Promise<Map<string, number>> {
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  const out = new Map<string, number>();
  if (!unique.length) return out;
  await db
    .insertInto('vendors')
    .values(unique.map((name) => ({ name })))
    .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
    .execute();
  const rows = await db
    .selectFrom('vendors')
    .select(['id', 'name'])
    .where(
      sql`lower(name)`,
      'in',
      unique.map((n) => n.toLowerCase()),
    )
    .execute();
  for (const r of rows) out.set(r.name.toLowerCase(), r.id);
  return out;
}

/** the catalog's products of these ids, with their vendors' names */
export async function productsByIds(db: Db, ids: readonly number[]) {
  if (!ids.length) return [];
  return db
    .selectFrom('products as p')
    .innerJoin('vendors as v', 'v.id', 'p.vendor_id')
    .select(['p.id', 'p.name as product', 'v.name as vendor'])
    .where('p.id', 'in', [...ids])
    .orderBy('p.id')
    .execute();
}

/** products (vendor, name) → created when missing */
export async function upsertProducts(db: Db, products: readonly { vendorId: number; name: string }[]) {
  const unique = [...new Map(products.map((p) => [`${p.vendorId}:${p.name.toLowerCase()}`, p])).values()];
  if (!unique.length) return;
  await db
    .insertInto('products')
    .values(unique.map((p) => ({ vendor_id: p.vendorId, name: p.name })))
    .onConflict((oc) => oc.expression(sql`vendor_id, lower(name)`).doNothing())
    .execute();
}

/**
 * Ensures CVE rows exist (bare ids) for what an advisory names: they are shared from now on (a CVE only a
 * device had reported becomes vendor-known); their other columns are left alone.
 */
export async function ensureCves(db: Db, ids: readonly string[]) {
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 5000)
    await db
      .insertInto('cves')
      .values(unique.slice(i, i + 5000).map((id) => ({ id, vendor_known: true })))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ vendor_known: true }).where('cves.vendor_known', '=', false),
      )
      .execute();
}

/**
 * Upserts what sources say about CVEs. A field a record leaves empty keeps its stored value. Returns the ids
 * of the rows that were inserted or changed.
 */
export async function upsertCveRecords(db: Db, records: readonly CveRecord[]): Promise<Set<string>> {
  const byId = new Map(records.map((r) => [r.id, r]));
  if (!byId.size) return new Set();
  const rows = [...byId.values()].map((r) => ({
    id: r.id,
    description: r.description ?? r.title ?? '',
    cvss_score: scoreText(r.cvss?.score),
    cvss_vector: r.cvss?.vector ?? null,
    severity: r.severity,
    published_at: r.published ?? null,
    modified_at: r.modified ?? null,
  }));
  const merged = {
    description: sql`coalesce(nullif(excluded.description, ''), cves.description)`,
    cvss_score: sql`coalesce(excluded.cvss_score, cves.cvss_score)`,
    cvss_vector: sql`coalesce(excluded.cvss_vector, cves.cvss_vector)`,
    severity: sql`coalesce(nullif(excluded.severity, 'unknown'), cves.severity)`,
    published_at: sql`coalesce(excluded.published_at, cves.published_at)`,
    modified_at: sql`coalesce(excluded.modified_at, cves.modified_at)`,
  };
  return upsertCveRows(db, rows, merged);
}

/** Marks CVEs as known exploited (CISA KEV). */
export async function upsertKev(db: Db, records: readonly KevRecord[]): Promise<Set<string>> {
  const rows = [...new Map(records.map((r) => [r.cve, r])).values()].map((r) => ({
    id: r.cve,
    known_exploited: true,
    kev_added_at: r.dateAdded,
    kev_due_at: r.dueDate ?? null,
  }));
  return upsertCveRows(db, rows, {
    known_exploited: sql`true`,
    kev_added_at: sql`excluded.kev_added_at`,
    kev_due_at: sql`excluded.kev_due_at`,
  });
}

/** Stores EPSS scores; an older score never replaces a newer one. */
export async function upsertEpss(db: Db, records: readonly EpssRecord[]): Promise<Set<string>> {
  const rows = [...new Map(records.map((r) => [r.cve, r])).values()].map((r) => ({
    id: r.cve,
    epss_probability: r.probability,
    epss_percentile: r.percentile,
    epss_date: r.date ?? null,
  }));
  const newer = sql`(cves.epss_date is null or excluded.epss_date is null or excluded.epss_date >= cves.epss_date)`;
  return upsertCveRows(db, rows, {
    epss_probability: sql`case when ${newer} then excluded.epss_probability else cves.epss_probability end`,
    epss_percentile: sql`case when ${newer} then excluded.epss_percentile else cves.epss_percentile end`,
    epss_date: sql`case when ${newer} then excluded.epss_date else cves.epss_date end`,
  });
}

async function upsertCveRows(
  db: Db,
  rows: readonly ({ id: string } & Record<string, unknown>)[],
  fields: Record<string, ReturnType<typeof sql>>,
): Promise<Set<string>> {
  const changed = new Set<string>();
  // whatever an import says about a CVE makes it shared (migration 0012)
  const merged: Record<string, ReturnType<typeof sql>> = { ...fields, vendor_known: sql`true` };
  const columns = Object.keys(merged);
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000).map((r) => ({ ...r, vendor_known: true }));
    // write only when the merged values differ from the stored ones, so updated_at means "changed"
    const oldTuple = sql.join(columns.map((c) => sql.ref(`cves.${c}`)));
    const newTuple = sql.join(columns.map((c) => merged[c]!));
    const r = await db
      .insertInto('cves')
      .values(chunk as never)
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ ...merged, updated_at: sql`now()` } as never)
          .where(sql<boolean>`(${oldTuple}) is distinct from (${newTuple})`),
      )
      .returning('id')
      .execute();
    for (const x of r) changed.add(x.id);
  }
  return changed;
}

/** the first advisory link of a bulletin, else its first reference */
function urlOf(b: Bulletin): string | null {
  const advisory = b.references.find((r) => r.type === 'ADVISORY' || r.type === 'self');
  return (advisory ?? b.references[0])?.url ?? null;
}

interface PackageRow {
  ecosystem: string;
  scheme: string | null;
  name: string;
  status: string;
  fixed_version: string | null;
  cves: string[] | null;
}

/** One row per package name (and each Ubuntu binary), plus one per KB article. */
export function packageRows(b: Bulletin): PackageRow[] {
  const out = new Map<string, PackageRow>();
  for (const p of b.packages) {
    const scheme = versionScheme(p.ecosystem) ?? null;
    const base = {
      ecosystem: p.ecosystem,
      scheme,
      status: p.status,
      fixed_version:
        p.fixedVersion ?? p.ranges?.find((r) => r.type === 'ECOSYSTEM' && r.fixed)?.fixed ?? null,
      cves: p.cves ? [...p.cves] : null,
    };
    for (const name of [p.name, ...(p.binaries ?? [])])
      out.set(`${p.ecosystem}\0${name}\0${base.fixed_version}`, { ...base, name });
    for (const kb of p.kbs ?? [])
      out.set(`kb\0${kb}`, { ...base, ecosystem: p.ecosystem, scheme: 'kb', name: kb.toUpperCase() });
  }
  return [...out.values()];
}

export interface BulletinUpsert {
  /** bulletins inserted or changed */
  changed: number;
  unchanged: number;
  /** ids of the changed bulletins */
  changedIds: number[];
}

/**
 * Upserts a batch of normalized bulletins with their vendors, products, CVEs and packages. A bulletin whose
 * content hash is unchanged is not written. Run inside a transaction.
 */
export async function upsertBulletins(db: Db, bulletins: readonly Bulletin[]): Promise<BulletinUpsert> {
  const byKey = new Map(bulletins.map((b) => [`${b.source}\0${b.id}`, b]));
  const list = [...byKey.values()];
  if (!list.length) return { changed: 0, unchanged: 0, changedIds: [] };
  const vendors = await upsertVendors(
    db,
    list.flatMap((b) => (b.vendor ? [b.vendor] : [])),
  );
  await upsertProducts(
    db,
    list.flatMap((b) => {
      const vendorId = b.vendor ? vendors.get(b.vendor.toLowerCase()) : undefined;
      if (vendorId === undefined) return [];
      return [...new Set(b.packages.map((p) => p.product ?? p.ecosystem))].map((name) => ({
        vendorId,
        name,
      }));
    }),
  );
  await ensureCves(
    db,
    list.flatMap((b) => [...b.cves, ...b.packages.flatMap((p) => p.cves ?? [])]),
  );
  const details = list.flatMap((b) => b.cveDetails);
  if (details.length) await upsertCveRecords(db, details);

  const rows = list.map((b) => {
    const hash = hashOf(b);
    return {
      source: b.source,
      external_id: b.id,
      vendor_id: b.vendor ? (vendors.get(b.vendor.toLowerCase()) ?? null) : null,
      title: b.title,
      summary: b.summary ?? '',
      severity: b.severity,
      cvss_score: scoreText(b.cvss?.score),
      released_at: b.published ?? null,
      modified_at: b.modified ?? null,
      url: urlOf(b),
      data: {
        hash,
        aliases: b.aliases,
        references: b.references,
        ...(b.cvss ? { cvss: b.cvss } : {}),
        ...(b.withdrawn ? { withdrawn: b.withdrawn } : {}),
        ...(b.supersedes.length ? { supersedes: b.supersedes } : {}),
      },
    };
  });
  const changedRows = await db
    .insertInto('bulletins')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['source', 'external_id'])
        .doUpdateSet((eb) => ({
          vendor_id: eb.ref('excluded.vendor_id'),
          title: eb.ref('excluded.title'),
          summary: eb.ref('excluded.summary'),
          severity: eb.ref('excluded.severity'),
          cvss_score: eb.ref('excluded.cvss_score'),
          released_at: eb.ref('excluded.released_at'),
          modified_at: eb.ref('excluded.modified_at'),
          url: eb.ref('excluded.url'),
          data: eb.ref('excluded.data'),
          updated_at: sql`now()`,
        }))
        .where(sql<boolean>`bulletins.data->>'hash' is distinct from excluded.data->>'hash'`),
    )
    .returning(['id', 'source', 'external_id'])
    .execute();
  const changedIds = changedRows.map((r) => r.id);
  if (changedIds.length) {
    const idOf = new Map(changedRows.map((r) => [`${r.source}\0${r.external_id}`, r.id]));
    const cdb = db;
    await db.deleteFrom('bulletin_cves').where('bulletin_id', 'in', changedIds).execute();
    await cdb.deleteFrom('bulletin_packages').where('bulletin_id', 'in', changedIds).execute();
    const cveLinks: { bulletin_id: number; cve_id: string }[] = [];
    const pkgRows: BulletinPackagesTable[] = [];
    for (const [key, id] of idOf) {
      const b = byKey.get(key)!;
      for (const cve of new Set(b.cves)) cveLinks.push({ bulletin_id: id, cve_id: cve });
      for (const p of packageRows(b)) pkgRows.push({ bulletin_id: id, ...p });
    }
    for (let i = 0; i < cveLinks.length; i += 5000)
      await db
        .insertInto('bulletin_cves')
        .values(cveLinks.slice(i, i + 5000))
        .onConflict((oc) => oc.doNothing())
        .execute();
    for (let i = 0; i < pkgRows.length; i += 3000)
      await cdb
        .insertInto('bulletin_packages')
        .values(pkgRows.slice(i, i + 3000))
        .execute();
  }
  return { changed: changedIds.length, unchanged: list.length - changedIds.length, changedIds };
}

/**
 * Turns the `supersedes` lists stored with bulletins into bulletin_supersedence rows, whichever of the two
 * bulletins was imported first. Idempotent.
 */
export async function linkSupersedence(db: Db): Promise<void> {
  await sql`
    insert into bulletin_supersedence (bulletin_id, superseded_by_id)
    select distinct old.id, b.id
      from bulletins b
      cross join lateral jsonb_array_elements_text(b.data->'supersedes') s(ext)
      join bulletins old on old.external_id = s.ext and old.id <> b.id
     where b.data ? 'supersedes'
    on conflict do nothing`.execute(db);
}

export async function insertSupersedence(
  db: Db,
  links: readonly { bulletinId: number; supersededById: number }[],
) {
  if (!links.length) return;
  await db
    .insertInto('bulletin_supersedence')
    .values(links.map((l) => ({ bulletin_id: l.bulletinId, superseded_by_id: l.supersededById })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

// ---- queries ----------------------------------------------------------------------------------------

export type BulletinRow = Row<'bulletins'> & { vendor_name: string | null; cves: string[] };

export interface BulletinFilter {
  /** text in the vendor's id (DSA-5678-1) or title */
  q?: string;
  vendorId?: number;
  source?: string;
  cve?: string;
  severity?: string[];
  enabled?: boolean;
  releasedFrom?: Date;
  releasedTo?: Date;
  ids?: number[];
}

export const bulletinSort = {
  externalId: 'b.external_id',
  releasedAt: 'b.released_at',
  severity: sql`array_position(array['unknown','none','low','medium','high','critical'], b.severity)`,
  cvssScore: 'b.cvss_score',
  id: 'b.id',
};

const bulletinBase = (db: Db) =>
  db
    .selectFrom('bulletins as b')
    .leftJoin('vendors as v', 'v.id', 'b.vendor_id')
    .selectAll('b')
    .select('v.name as vendor_name')
    .select(
      sql<
        string[]
      >`array(select bc.cve_id from bulletin_cves bc where bc.bulletin_id = b.id order by bc.cve_id)`.as(
        'cves',
      ),
    );

export async function listBulletins(db: Db, f: BulletinFilter, page: Page) {
  let q = bulletinBase(db);
  if (f.q)
    q = q.where((eb) =>
      eb.or([
        eb('b.external_id', 'ilike', containsPattern(f.q!)),
        eb('b.title', 'ilike', containsPattern(f.q!)),
      ]),
    );
  if (f.vendorId !== undefined) q = q.where('b.vendor_id', '=', f.vendorId);
  if (f.source) q = q.where('b.source', '=', f.source);
  if (f.cve)
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('bulletin_cves as bc')
          .whereRef('bc.bulletin_id', '=', 'b.id')
          .where('bc.cve_id', '=', f.cve!.toUpperCase())
          .select(sql`1`.as('one')),
      ),
    );
  if (f.severity?.length) q = q.where('b.severity', 'in', f.severity);
  if (f.enabled !== undefined) q = q.where('b.enabled', '=', f.enabled);
  if (f.releasedFrom) q = q.where('b.released_at', '>=', f.releasedFrom);
  if (f.releasedTo) q = q.where('b.released_at', '<', f.releasedTo);
  if (f.ids) q = q.where('b.id', 'in', f.ids.length ? f.ids : [0]);
  return paginate(q, page, bulletinSort, 'b.id', (r) => r as BulletinRow);
}

export async function getBulletin(db: Db, id: number): Promise<BulletinRow | undefined> {
  return (await bulletinBase(db).where('b.id', '=', id).executeTakeFirst()) as BulletinRow | undefined;
}

export async function bulletinPackages(db: Db, bulletinId: number) {
  return db
    .selectFrom('bulletin_packages')
    .selectAll()
    .where('bulletin_id', '=', bulletinId)
    .orderBy('ecosystem')
    .orderBy('name')
    .execute();
}

export async function supersedenceOf(db: Db, bulletinId: number) {
  const [supersedes, supersededBy] = await Promise.all([
    db
      .selectFrom('bulletin_supersedence')
      .select('bulletin_id as id')
      .where('superseded_by_id', '=', bulletinId)
      .execute(),
    db
      .selectFrom('bulletin_supersedence')
      .select('superseded_by_id as id')
      .where('bulletin_id', '=', bulletinId)
      .execute(),
  ]);
  return { supersedes: supersedes.map((r) => r.id), supersededBy: supersededBy.map((r) => r.id) };
}

export async function setBulletinEnabled(db: Db, id: number, enabled: boolean, by: string, at: Date) {
  return db
    .updateTable('bulletins')
    .set({ enabled, enabled_changed_by: by, enabled_changed_at: at, updated_at: at })
    .where('id', '=', id)
    .returning(['id', 'enabled'])
    .executeTakeFirst();
}

/** bulletin ids that fix any of the CVEs */
export async function bulletinIdsForCves(db: Db, cves: readonly string[]): Promise<number[]> {
  if (!cves.length) return [];
  const rows = await db
    .selectFrom('bulletin_cves')
    .select('bulletin_id')
    .distinct()
    .where('cve_id', 'in', cves)
    .orderBy('bulletin_id')
    .execute();
  return rows.map((r) => r.bulletin_id);
}

/**
 * From each bulletin, follows "superseded by" to the newest bulletins that nothing supersedes: the initial
 * set that fixes what the starting bulletins fix. A cycle in the data ends at the bulletins already seen.
 */
export async function initialSet(db: Db, start: readonly number[]): Promise<number[]> {
  if (!start.length) return [];
  const rows = await sql<{ id: number }>`
    with recursive chain(id, path) as (
      select b.id, array[b.id] from bulletins b where b.id = any(${[...start]}::bigint[])
      union
      select s.superseded_by_id, c.path || s.superseded_by_id
        from chain c join bulletin_supersedence s on s.bulletin_id = c.id
       where not s.superseded_by_id = any(c.path)
    )
    select distinct c.id from chain c
     where not exists (select 1 from bulletin_supersedence s where s.bulletin_id = c.id)
     order by c.id`.execute(db);
  return rows.rows.map((r) => Number(r.id));
}

// ---- CVEs ------------------------------------------------------------------------------------------

export interface CveFilter {
  q?: string;
  ids?: string[];
  knownExploited?: boolean;
  epssAtLeast?: number;
  severity?: string[];
}
export const cveSort = {
  id: 'c.id',
  cvssScore: 'c.cvss_score',
  epss: 'c.epss_probability',
  publishedAt: 'c.published_at',
  kevAddedAt: 'c.kev_added_at',
};

/** CVEs the scope sees: those an import knows, and those its organizations' devices reported */
export async function listCves(db: Db, access: Access, f: CveFilter, page: Page) {
  let q = db.selectFrom('cves as c').selectAll('c').where(cveVisible(access));
  if (f.q) q = q.where('c.id', 'ilike', containsPattern(f.q));
  if (f.ids) q = q.where('c.id', 'in', f.ids.length ? f.ids : ['']);
  if (f.knownExploited !== undefined) q = q.where('c.known_exploited', '=', f.knownExploited);
  if (f.epssAtLeast !== undefined) q = q.where('c.epss_probability', '>=', f.epssAtLeast);
  if (f.severity?.length) q = q.where('c.severity', 'in', f.severity);
  return paginate(q, page, cveSort, 'c.id', (r) => r as Row<'cves'>);
}

/** one CVE, when the scope sees it */
export async function getCve(db: Db, access: Access, id: string) {
  return db
    .selectFrom('cves as c')
    .selectAll('c')
    .where('c.id', '=', id)
    .where(cveVisible(access))
    .executeTakeFirst();
}

// ---- custom severities -----------------------------------------------------------------------------

export async function listCustomSeverities(db: Db, orgId: number) {
  return db
    .selectFrom('custom_severities')
    .selectAll()
    .where('organization_id', '=', orgId)
    .orderBy('position')
    .execute();
}

export async function replaceCustomSeverities(
  db: Db,
  orgId: number,
  list: readonly { position: number; name: string; level: string }[],
) {
  await db.deleteFrom('custom_severities').where('organization_id', '=', orgId).execute();
  if (list.length)
    await db
      .insertInto('custom_severities')
      .values(list.map((c) => ({ organization_id: orgId, ...c })))
      .execute();
}

/** the ids among `ids` that are bulletins */
export async function existingBulletinIds(db: Db, ids: readonly number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await db.selectFrom('bulletins').select('id').where('id', 'in', ids).execute();
  return rows.map((r) => Number(r.id));
}

/** gives bulletins a custom severity of the organization (by name), or takes it away (null) */
export async function setBulletinCustomSeverity(
  db: Db,
  orgId: number,
  bulletinIds: readonly number[],
  name: string | null,
) {
  if (!bulletinIds.length) return;
  if (name === null) {
    await db
      .deleteFrom('bulletin_custom_severities')
      .where('organization_id', '=', orgId)
      .where('bulletin_id', 'in', bulletinIds)
      .execute();
    return;
  }
  await db
    .insertInto('bulletin_custom_severities')
    .values(bulletinIds.map((id) => ({ organization_id: orgId, bulletin_id: id, name })))
    .onConflict((oc) =>
      oc
        .columns(['organization_id', 'bulletin_id'])
        .doUpdateSet({ name })
        .where('bulletin_custom_severities.name', '<>', name),
    )
    .execute();
}

/** drops the bulletins' custom severities whose name the organization no longer lists */
export async function dropUnlistedBulletinCustomSeverities(db: Db, orgId: number, names: readonly string[]) {
  let q = db.deleteFrom('bulletin_custom_severities').where('organization_id', '=', orgId);
  if (names.length) q = q.where('name', 'not in', names);
  await q.execute();
}

/** the custom severity of each of the bulletins that has one in the organization */
export async function bulletinCustomSeverities(
  db: Db,
  orgId: number,
  bulletinIds: readonly number[],
): Promise<Map<number, string>> {
  if (!bulletinIds.length) return new Map();
  const rows = await db
    .selectFrom('bulletin_custom_severities')
    .select(['bulletin_id', 'name'])
    .where('organization_id', '=', orgId)
    .where('bulletin_id', 'in', bulletinIds)
    .execute();
  return new Map(rows.map((r) => [Number(r.bulletin_id), r.name]));
}
