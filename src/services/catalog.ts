import { CVE_ID, type Bulletin } from '../core/advisories/index.ts';
import { invalid, notFound } from '../core/errors.ts';
import { isSeverity, validateCustomSeverities, type CustomSeverity } from '../core/severity.ts';
import type { Page } from '../store/paging.ts';
import * as repo from '../store/repos/bulletins-repo.ts';
import { getOrganization } from '../store/repos/organizations-repo.ts';
import {
  exposedDevices,
  linkUpdatesToAdvisories,
  linkUpdateSupersedence,
  listCatalogUpdates,
  updateIdsForBulletins,
  type UpdateFilter,
} from '../store/repos/catalog-repo.ts';
import { decisionsFor } from '../store/repos/approvals-repo.ts';
import { existingUpdateIds, getUpdate } from '../store/repos/updates-repo.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';

// The patch catalog. What vendor advisories say (bulletins, the updates and CVEs an import knows) is shared
// by every organization; an update or CVE that only devices reported is seen by their organizations alone
// (store/repos/catalog-repo.ts, migration 0012). Changing the shared catalog (imports, enabling or
// disabling a bulletin) spans every tenant: it needs `administer` over every organization. Custom
// severities belong to an organization.

export type { BulletinFilter, CveFilter } from '../store/repos/bulletins-repo.ts';
export type { UpdateFilter } from '../store/repos/catalog-repo.ts';

/** the catalog's products (what its bulletins' packages ship in) of these ids, each one known */
export async function getProducts(
  ctx: Context,
  ids: readonly number[],
): Promise<{ id: number; vendor: string; product: string }[]> {
  ctx.authorize('read'); // the shared catalog: every reader sees it
  const rows = await repo.productsByIds(ctx.store.db, ids);
  const missing = ids.find((id) => !rows.some((r) => Number(r.id) === id));
  if (missing !== undefined) throw notFound('product', missing);
  return rows.map((r) => ({ id: Number(r.id), vendor: r.vendor, product: r.product }));
}

/** Upserts normalized bulletins (idempotent) and links updates to them and to what supersedes them. */
export async function upsertCatalogBulletins(ctx: Context, bulletins: readonly Bulletin[]) {
  ctx.authorize('import_catalog');
  ctx.authorizeGlobal();
  const r = await ctx.store.transaction(async (tx) => {
    const up = await repo.upsertBulletins(tx, bulletins);
    if (up.changed) await repo.linkSupersedence(tx);
    return up;
  });
  if (r.changed) {
    await linkUpdatesToAdvisories(ctx.store.db);
    await linkUpdateSupersedence(ctx.store.db);
  }
  return r;
}

function checkCve(id: string, path = '/cve'): string {
  const cve = id.trim().toUpperCase();
  if (!CVE_ID.test(cve))
    throw invalid(`'${id}' is not a CVE id (CVE-YYYY-NNNN)`, [{ path, message: 'expected CVE-YYYY-NNNN' }]);
  return cve;
}

function checkSeverities(list: readonly string[] | undefined) {
  const bad = (list ?? []).filter((s) => !isSeverity(s));
  if (bad.length)
    throw invalid(`unknown severity ${bad.join(', ')}`, [
      { path: '/severity', message: 'must be unknown, none, low, medium, high or critical' },
    ]);
}

export interface BulletinView {
  id: number;
  source: string;
  externalId: string;
  vendor: { id: number; name: string } | null;
  title: string;
  summary: string;
  severity: string;
  cvssScore: number | null;
  releasedAt: Date | null;
  modifiedAt: Date | null;
  url: string | null;
  enabled: boolean;
  enabledChangedBy: string | null;
  enabledChangedAt: Date | null;
  cves: string[];
  aliases: string[];
}

/**
 * A bulletin as `ctx` may see it: who enabled or disabled it (a user or key, of whichever organization) is
 * named only to a caller whose scope covers every organization.
 */
export function bulletinView(r: repo.BulletinRow, ctx: Context): BulletinView {
  return {
    id: r.id,
    source: r.source,
    externalId: r.external_id,
    vendor: r.vendor_id !== null ? { id: r.vendor_id, name: r.vendor_name ?? '' } : null,
    title: r.title,
    summary: r.summary,
    severity: r.severity,
    cvssScore: r.cvss_score === null ? null : Number(r.cvss_score),
    releasedAt: r.released_at,
    modifiedAt: r.modified_at,
    url: r.url,
    enabled: r.enabled,
    enabledChangedBy: ctx.access.all ? r.enabled_changed_by : null,
    enabledChangedAt: r.enabled_changed_at,
    cves: r.cves,
    aliases: Array.isArray(r.data.aliases) ? (r.data.aliases as string[]) : [],
  };
}

/** Seen for an organization, a bulletin also carries the custom severity it has there (null: none). */
export interface CatalogView {
  organizationId?: number;
}

async function withCustomSeverity<T extends { id: number }>(
  ctx: Context,
  view: CatalogView,
  items: T[],
): Promise<(T & { customSeverity?: string | null })[]> {
  if (view.organizationId === undefined) return items;
  ctx.seeOrganization(view.organizationId);
  const names = await repo.bulletinCustomSeverities(
    ctx.store.db,
    view.organizationId,
    items.map((b) => b.id),
  );
  return items.map((b) => ({ ...b, customSeverity: names.get(b.id) ?? null }));
}

export async function listBulletins(
  ctx: Context,
  f: repo.BulletinFilter,
  page: Page,
  view: CatalogView = {},
) {
  ctx.authorize('read');
  checkSeverities(f.severity);
  if (f.cve) f = { ...f, cve: checkCve(f.cve) };
  if (view.organizationId !== undefined) ctx.seeOrganization(view.organizationId);
  const r = await repo.listBulletins(ctx.store.db, f, page);
  return {
    ...r,
    items: await withCustomSeverity(
      ctx,
      view,
      r.items.map((b) => bulletinView(b, ctx)),
    ),
  };
}

export async function getBulletin(ctx: Context, id: number, view: CatalogView = {}) {
  ctx.authorize('read');
  if (view.organizationId !== undefined) ctx.seeOrganization(view.organizationId);
  const b = await repo.getBulletin(ctx.store.db, id);
  if (!b) throw notFound('bulletin', id);
  const [packages, supersedence, updateIds] = await Promise.all([
    repo.bulletinPackages(ctx.store.db, id),
    repo.supersedenceOf(ctx.store.db, id),
    updateIdsForBulletins(ctx.store.db, [id]),
  ]);
  const [shown] = await withCustomSeverity(ctx, view, [bulletinView(b, ctx)]);
  return {
    ...shown!,
    packages: packages.map((p) => ({
      ecosystem: p.ecosystem,
      name: p.name,
      status: p.status,
      fixedVersion: p.fixed_version,
      cves: p.cves,
    })),
    supersedes: supersedence.supersedes,
    supersededBy: supersedence.supersededBy,
    updateIds,
  };
}

/** Enables or disables a bulletin for every organization, recording who did it. */
export async function setBulletinEnabled(ctx: Context, id: number, enabled: boolean) {
  ctx.authorize('import_catalog');
  ctx.authorizeGlobal();
  await ctx.store.transaction(async (tx) => {
    const before = await repo.getBulletin(tx, id);
    if (!before) throw notFound('bulletin', id);
    await repo.setBulletinEnabled(tx, id, enabled, ctx.actor.name, ctx.now());
    await record(ctx, tx, {
      kind: enabled ? 'bulletin.enabled' : 'bulletin.disabled',
      subjectType: 'bulletin',
      subjectId: id,
      data: { externalId: before.external_id, was: before.enabled },
    });
  });
  return getBulletin(ctx, id);
}

export async function listUpdates(ctx: Context, f: UpdateFilter, page: Page) {
  ctx.authorize('read');
  if (f.cve) f = { ...f, cve: checkCve(f.cve) };
  const r = await listCatalogUpdates(ctx.store.db, ctx.access, f, page);
  return {
    ...r,
    items: r.items.map((u) => ({
      id: u.id,
      kind: u.kind,
      name: u.name,
      kb: u.kb,
      packageName: u.package_name,
      version: u.version,
      architecture: u.architecture,
      osFamily: u.os_family,
      classification: u.classification,
      severity: u.severity,
      isSecurity: u.is_security,
      bulletin: u.bulletin_id === null ? null : { id: u.bulletin_id, externalId: u.bulletin_external_id },
      cves: u.cves,
      releasedAt: u.released_at,
    })),
  };
}

export interface CveView {
  id: string;
  description: string;
  cvssScore: number | null;
  cvssVector: string | null;
  severity: string;
  knownExploited: boolean;
  kevAddedAt: string | null;
  kevDueAt: string | null;
  epssProbability: number | null;
  epssPercentile: number | null;
  epssDate: string | null;
  publishedAt: Date | null;
  modifiedAt: Date | null;
  updatedAt: Date;
}

const dateText = (d: Date | string | null) =>
  d === null ? null : typeof d === 'string' ? d : d.toISOString().slice(0, 10);

function cveView(c: NonNullable<Awaited<ReturnType<typeof repo.getCve>>>): CveView {
  return {
    id: c.id,
    description: c.description,
    cvssScore: c.cvss_score === null ? null : Number(c.cvss_score),
    cvssVector: c.cvss_vector,
    severity: c.severity,
    knownExploited: c.known_exploited,
    kevAddedAt: dateText(c.kev_added_at),
    kevDueAt: dateText(c.kev_due_at),
    epssProbability: c.epss_probability,
    epssPercentile: c.epss_percentile,
    epssDate: dateText(c.epss_date),
    publishedAt: c.published_at,
    modifiedAt: c.modified_at,
    updatedAt: c.updated_at,
  };
}

export async function listCves(ctx: Context, f: repo.CveFilter, page: Page) {
  ctx.authorize('read');
  checkSeverities(f.severity);
  if (f.epssAtLeast !== undefined && !(f.epssAtLeast >= 0 && f.epssAtLeast <= 1))
    throw invalid('epssAtLeast must be between 0 and 1', [{ path: '/epssAtLeast', message: 'must be 0..1' }]);
  const r = await repo.listCves(ctx.store.db, ctx.access, f, page);
  return { ...r, items: r.items.map(cveView) };
}

/** Bulletins fixing the CVEs: all, or only the initial set (newest, not superseded). Altiris ResolveCveIdsToBulletins. */
export async function resolveCvesToBulletins(ctx: Context, cves: readonly string[], initialOnly: boolean) {
  ctx.authorize('read');
  const ids = cves.map((c, i) => checkCve(c, `/cves/${i}`));
  const all = await repo.bulletinIdsForCves(ctx.store.db, ids);
  return initialOnly ? repo.initialSet(ctx.store.db, all) : all;
}

/** Update ids of the bulletins. Altiris ResolveToUpdates. */
export async function resolveBulletinsToUpdates(ctx: Context, bulletinIds: readonly number[]) {
  ctx.authorize('read');
  return updateIdsForBulletins(ctx.store.db, bulletinIds);
}

/** Devices in the caller's scope that miss an update closing the CVE, with the update that closes it. */
export async function devicesExposedToCve(ctx: Context, cve: string) {
  ctx.authorize('read');
  const id = checkCve(cve);
  // a CVE another organization's devices reported is not there for this caller
  if (!(await repo.getCve(ctx.store.db, ctx.access, id))) return [];
  const rows = await exposedDevices(ctx.store.db, ctx.access, id);
  return rows.map((r) => ({
    deviceId: r.device_id,
    deviceName: r.device_name,
    organizationId: r.organization_id,
    update: {
      id: r.update_id,
      name: r.update_name,
      kind: r.kind,
      kb: r.kb,
      packageName: r.package_name,
      version: r.version,
    },
    installedVersion: r.installed_version,
    status: r.status,
  }));
}

/** One CVE with the bulletins that fix it, the initial set and the exposed devices in scope. */
export async function getCve(ctx: Context, cve: string) {
  ctx.authorize('read');
  const id = checkCve(cve, '/id');
  const c = await repo.getCve(ctx.store.db, ctx.access, id);
  if (!c) throw notFound('CVE', id);
  const bulletinIds = await repo.bulletinIdsForCves(ctx.store.db, [id]);
  const [initial, bulletins, exposed] = await Promise.all([
    repo.initialSet(ctx.store.db, bulletinIds),
    repo.listBulletins(ctx.store.db, { ids: bulletinIds }, { limit: 500, offset: 0, sort: ['-releasedAt'] }),
    devicesExposedToCve(ctx, id),
  ]);
  return {
    ...cveView(c),
    bulletins: bulletins.items.map((b) => bulletinView(b, ctx)),
    initialSet: initial,
    exposedDevices: exposed,
  };
}

// ---- custom severities (per organization) -------------------------------------------------------------

export async function listCustomSeverities(ctx: Context, orgId: number): Promise<CustomSeverity[]> {
  ctx.authorize('read');
  ctx.seeOrganization(orgId);
  const rows = await repo.listCustomSeverities(ctx.store.db, orgId);
  return rows.map((r) => ({ order: r.position, name: r.name, level: r.level as CustomSeverity['level'] }));
}

/** an administrator's scope covers ids of organizations that do not exist: their settings are not found */
async function requireOrganization(ctx: Context, orgId: number) {
  if (!(await getOrganization(ctx.store.db, orgId))) throw notFound('organization', orgId);
}

export async function replaceCustomSeverities(ctx: Context, orgId: number, list: readonly CustomSeverity[]) {
  ctx.authorize('import_catalog');
  ctx.seeOrganization(orgId);
  if (!ctx.ownsOrganization(orgId)) throw notFound('organization', orgId); // settings of an organization need the whole organization
  await requireOrganization(ctx, orgId);
  const valid = validateCustomSeverities(list);
  await ctx.store.transaction(async (tx) => {
    await repo.replaceCustomSeverities(
      tx,
      orgId,
      valid.map((c) => ({ position: c.order, name: c.name, level: c.level })),
    );
    // a bulletin keeps only a custom severity that the organization still lists
    await repo.dropUnlistedBulletinCustomSeverities(
      tx,
      orgId,
      valid.map((c) => c.name),
    );
    await record(ctx, tx, {
      kind: 'custom_severities.replaced',
      organizationId: orgId,
      subjectType: 'organization',
      subjectId: orgId,
      data: { severities: valid },
    });
  });
  return listCustomSeverities(ctx, orgId);
}

/**
 * Gives bulletins one of the organization's custom severities, or takes it away (`name` null): Altiris'
 * SetSeverityLevel. The compliance views then count their updates under that custom severity.
 */
export async function setBulletinCustomSeverity(
  ctx: Context,
  orgId: number,
  bulletinIds: readonly number[],
  name: string | null,
): Promise<{ bulletinIds: number[]; customSeverity: string | null }> {
  ctx.authorize('import_catalog');
  ctx.seeOrganization(orgId);
  if (!ctx.ownsOrganization(orgId)) throw notFound('organization', orgId);
  await requireOrganization(ctx, orgId);
  const ids = [...new Set(bulletinIds)];
  if (!ids.length)
    throw invalid('no bulletin given', [{ path: '/bulletinIds', message: 'must list a bulletin' }]);
  let canonical: string | null = null;
  if (name !== null) {
    const listed = await repo.listCustomSeverities(ctx.store.db, orgId);
    canonical = listed.find((c) => c.name.toLowerCase() === name.trim().toLowerCase())?.name ?? null;
    if (canonical === null)
      throw invalid(`organization ${orgId} has no custom severity '${name}'`, [
        {
          path: '/name',
          message: listed.length
            ? `must be one of ${listed.map((c) => c.name).join(', ')}`
            : 'the organization has no custom severities: define them first',
        },
      ]);
  }
  await ctx.store.transaction(async (tx) => {
    const found = new Set(await repo.existingBulletinIds(tx, ids));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length)
      throw invalid(`bulletins ${missing.join(', ')} not found`, [
        { path: '/bulletinIds', message: `not found: ${missing.join(', ')}` },
      ]);
    await repo.setBulletinCustomSeverity(tx, orgId, ids, canonical);
    await record(ctx, tx, {
      kind: 'bulletins.custom_severity_set',
      organizationId: orgId,
      subjectType: 'organization',
      subjectId: orgId,
      data: { bulletinIds: ids, customSeverity: canonical },
    });
  });
  return { bulletinIds: ids, customSeverity: canonical };
}

/**
 * The ids among `updateIds` that are no update an organization knows (neither an advisory's nor one its
 * devices reported): what a window of that organization may not name as a manually approved patch.
 */
export async function updatesUnknownTo(ctx: Context, organizationId: number, updateIds: readonly number[]) {
  ctx.authorize('read');
  ctx.seeOrganization(organizationId);
  const orgAccess = { all: false, organizations: new Set([organizationId]), groups: new Map() };
  const known = new Set(await existingUpdateIds(ctx.store.db, [...updateIds], orgAccess));
  return updateIds.filter((id) => !known.has(id));
}

/** The updates approved by a user for a whole organization (GravityZone's manually approved patches). */
export async function organizationApprovedUpdates(ctx: Context, organizationId: number) {
  ctx.authorize('read');
  ctx.seeOrganization(organizationId);
  const db = ctx.store.db;
  const decisions = (await decisionsFor(db, organizationId, [], [])).filter(
    (d) => d.level === 'organization' && d.action === 'approve',
  );
  const ids = [...new Set(decisions.map((d) => d.update_id))].sort((a, b) => a - b);
  const out = [];
  for (const id of ids) {
    const u = await getUpdate(db, id);
    if (u)
      out.push({
        id: u.id,
        name: u.name,
        kb: u.kb,
        packageName: u.package_name,
        version: u.version,
        osFamily: u.os_family,
        severity: u.severity,
        isSecurity: u.is_security,
      });
  }
  return out;
}
