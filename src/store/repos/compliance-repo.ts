import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Access } from '../../core/access.ts';
import { SEVERITIES, type Severity } from '../../core/severity.ts';
import { BUCKETS, COMPLIANCE_BUCKETS, OUTSTANDING, type ComplianceBucket } from '../../core/status.ts';
import { groupVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { cveVisibleToOrganization } from './catalog-repo.ts';

// Compliance counts. The per-device summary rows (device_compliance, migration 0005; by custom severity,
// device_custom_compliance, migration 0008) are kept by triggers whose literal lists must match the
// groups in core/status.ts (test/store/status-groups.test.ts checks them); the naive aggregates here use
// the groups themselves.
// Re-exported for the modules that still import them from here (services and their tests); they
// are core's groups, not copies.
export { BUCKETS, COMPLIANCE_BUCKETS, type ComplianceBucket };
export const OUTSTANDING_STATUSES = OUTSTANDING;

export type SeverityCounts = Record<Severity, Record<ComplianceBucket, number>>;

/** which devices a summary covers; `access` narrows it further to what the caller sees */
export type DeviceSet =
  | { kind: 'organization'; organizationId: number }
  | { kind: 'groups'; organizationId: number; groupIds: readonly number[] }
  | { kind: 'device'; organizationId: number; deviceId: number };

export interface DeviceCounts {
  devices: number;
  scanned: number;
  fullyPatched: number;
  needingReboot: number;
  notSeenRecently: number;
}

function deviceFilter(set: DeviceSet, access: Access): RawBuilder<SqlBool> {
  const scope = groupVisible(access, 'd.organization_id', 'd.group_id');
  const active = sql<SqlBool>`d.status = 'active'`;
  if (set.kind === 'device') return sql<SqlBool>`d.id = ${set.deviceId} and ${active} and ${scope}`;
  const org = sql<SqlBool>`d.organization_id = ${set.organizationId} and ${active} and ${scope}`;
  if (set.kind === 'organization') return org;
  const groups = set.groupIds.length ? set.groupIds : [0];
  return sql<SqlBool>`${org} and d.group_id in (${sql.join([...groups])})`;
}

const column = (b: ComplianceBucket, s: Severity) => `${b}_${s}`;

/** The device counts and update counts by severity, added up from the per-device summary rows. */
export async function summarize(db: Db, access: Access, set: DeviceSet, seenSince: Date) {
  const sums = BUCKETS.flatMap((b) =>
    SEVERITIES.map((s) => sql`coalesce(sum(dc.${sql.ref(column(b, s))}), 0)::int`.as(column(b, s))),
  );
  const r = await sql<Record<string, number>>`
    select count(*)::int as devices,
      count(*) filter (where d.last_scan_at is not null)::int as scanned,
      count(*) filter (where d.last_scan_at is not null and coalesce(dc.outstanding, 0) = 0)::int as fully_patched,
      count(*) filter (where d.reboot_required or coalesce(dc.reboot_pending, 0) > 0)::int as needing_reboot,
      count(*) filter (where d.last_seen_at is null or d.last_seen_at < ${seenSince})::int as not_seen,
      ${sql.join(sums.map((s) => sql`${s}`))}
    from devices d left join device_compliance dc on dc.device_id = d.id
    where ${deviceFilter(set, access)}`.execute(db);
  return fromRow(r.rows[0]!);
}

function fromRow(row: Record<string, number>): { counts: DeviceCounts; bySeverity: SeverityCounts } {
  const bySeverity = {} as SeverityCounts;
  for (const s of SEVERITIES) {
    bySeverity[s] = {} as Record<ComplianceBucket, number>;
    for (const b of BUCKETS) bySeverity[s][b] = Number(row[column(b, s)] ?? 0);
  }
  return {
    counts: {
      devices: Number(row.devices),
      scanned: Number(row.scanned),
      fullyPatched: Number(row.fully_patched),
      needingReboot: Number(row.needing_reboot),
      notSeenRecently: Number(row.not_seen),
    },
    bySeverity,
  };
}

const bucketCase = (status: RawBuilder<unknown>) =>
  sql`case ${sql.join(
    BUCKETS.map((b) => sql`when ${status} in (${sql.join([...COMPLIANCE_BUCKETS[b]])}) then ${b}`),
    sql` `,
  )} end`;

/**
 * The same numbers computed straight from device_updates: the naive aggregate the benchmark compares
 * against, and the reference the tests check the trigger-kept summary with.
 */
export async function summarizeNaive(db: Db, access: Access, set: DeviceSet, seenSince: Date) {
  const filter = deviceFilter(set, access);
  const devices = await sql<Record<string, number>>`
    select count(*)::int as devices,
      count(*) filter (where d.last_scan_at is not null)::int as scanned,
      count(*) filter (where d.last_scan_at is not null and not exists (
        select 1 from device_updates du where du.device_id = d.id
          and du.status in (${sql.join([...OUTSTANDING])})))::int as fully_patched,
      count(*) filter (where d.reboot_required or exists (
        select 1 from device_updates du where du.device_id = d.id and du.status = 'reboot_required'))::int
        as needing_reboot,
      count(*) filter (where d.last_seen_at is null or d.last_seen_at < ${seenSince})::int as not_seen
    from devices d where ${filter}`.execute(db);
  const counts = await sql<{ severity: string; bucket: ComplianceBucket; n: number }>`
    select u.severity, ${bucketCase(sql.ref('du.status'))} as bucket, count(*)::int as n
    from device_updates du
      join devices d on d.id = du.device_id
      join updates u on u.id = du.update_id
    where ${filter}
    group by 1, 2`.execute(db);
  const row: Record<string, number> = { ...devices.rows[0]! };
  for (const c of counts.rows) {
    if (!c.bucket) continue;
    const s = (SEVERITIES as readonly string[]).includes(c.severity) ? c.severity : 'unknown';
    const k = `${c.bucket}_${s}`;
    row[k] = (row[k] ?? 0) + Number(c.n);
  }
  return fromRow(row);
}

/**
 * Ids of updates that are outstanding on some device of an organization: a skip scan over the covering
 * index (organization_id, status, update_id, device_id), one index probe per distinct update and status.
 */
async function openUpdatesOfOrganization(db: Db, organizationId: number): Promise<number[]> {
  const r = await sql<{ uid: number }>`
    with recursive s(status) as (values ${sql.join(OUTSTANDING.map((x) => sql`(${x}::text)`))}),
    t(status, uid) as (
      select s.status, (select min(du.update_id) from device_updates du
        where du.organization_id = ${organizationId} and du.status = s.status) from s
      union all
      select t.status, (select min(du.update_id) from device_updates du
        where du.organization_id = ${organizationId} and du.status = t.status and du.update_id > t.uid)
      from t where t.uid is not null
    )
    select distinct uid from t where uid is not null`.execute(db);
  return r.rows.map((x) => Number(x.uid));
}

async function openUpdatesOf(db: Db, access: Access, set: DeviceSet): Promise<number[]> {
  const r = await sql<{ uid: number }>`
    select distinct du.update_id as uid from device_updates du join devices d on d.id = du.device_id
    where ${deviceFilter(set, access)} and du.status in (${sql.join([...OUTSTANDING])})`.execute(db);
  return r.rows.map((x) => Number(x.uid));
}

export interface OpenCve {
  id: string;
  severity: string;
  cvssScore: number | null;
  knownExploited: boolean;
  epssProbability: number | null;
  /** devices of the view on which an update fixing it is outstanding */
  devices: number;
}

/**
 * CVEs fixed by an update still outstanding on some device of the set: their number and the `top` most
 * pressing (known exploited first, then CVSS score, then EPSS probability), each with its device count.
 * `wholeOrganization` lets the organization view use the skip scan.
 */
export async function openCves(
  db: Db,
  access: Access,
  set: DeviceSet,
  top: number,
  wholeOrganization: boolean,
): Promise<{ count: number; top: OpenCve[] }> {
  const updateIds =
    wholeOrganization && set.kind === 'organization'
      ? await openUpdatesOfOrganization(db, set.organizationId)
      : await openUpdatesOf(db, access, set);
  if (!updateIds.length) return { count: 0, top: [] };
  const r = await sql<{
    id: string;
    severity: string;
    cvss_score: string | null;
    known_exploited: boolean;
    epss_probability: number | null;
    total: number;
  }>`
    select c.id, c.severity, c.cvss_score, c.known_exploited, c.epss_probability, count(*) over ()::int as total
    from cves c
    where c.id in (select uc.cve_id from update_cves uc where uc.update_id in (${sql.join(updateIds)}))
      -- a CVE another organization's devices taught the catalog is not this one's (catalog-repo.ts)
      and ${cveVisibleToOrganization(set.organizationId)}
    order by c.known_exploited desc, c.cvss_score desc nulls last, c.epss_probability desc nulls last, c.id
    limit ${top}`.execute(db);
  if (!r.rows.length) return { count: 0, top: [] };
  const ids = r.rows.map((x) => x.id);
  // the whole organization reads the covering index only; narrower views filter through devices
  const devices = await sql<{ cve_id: string; n: number }>`
    select uc.cve_id, count(distinct du.device_id)::int as n
    from update_cves uc
      join device_updates du on du.update_id = uc.update_id
    where uc.cve_id in (${sql.join(ids)})
      and du.status in (${sql.join([...OUTSTANDING])})
      and ${
        set.kind === 'device'
          ? sql<SqlBool>`du.device_id = ${set.deviceId}`
          : sql<SqlBool>`du.organization_id = ${set.organizationId}`
      }
      and ${
        wholeOrganization && set.kind === 'organization'
          ? sql<SqlBool>`true`
          : sql<SqlBool>`exists (select 1 from devices d where d.id = du.device_id and ${deviceFilter(set, access)})`
      }
    group by uc.cve_id`.execute(db);
  const n = new Map(devices.rows.map((x) => [x.cve_id, Number(x.n)]));
  return {
    count: Number(r.rows[0]!.total),
    top: r.rows.map((x) => ({
      id: x.id,
      severity: x.severity,
      cvssScore: x.cvss_score === null ? null : Number(x.cvss_score),
      knownExploited: x.known_exploited,
      epssProbability: x.epss_probability,
      devices: n.get(x.id) ?? 0,
    })),
  };
}

// ---- counts by custom severity (migration 0008) --------------------------------------------------------

export type BucketCounts = Record<ComplianceBucket, number>;

const zeroCounts = (): BucketCounts => Object.fromEntries(BUCKETS.map((b) => [b, 0])) as BucketCounts;

/** the set's devices, with the organization named so that the summary rows' index serves the org view */
function customRowFilter(set: DeviceSet, access: Access): RawBuilder<SqlBool> {
  const devices = deviceFilter(set, access);
  return set.kind === 'device'
    ? sql<SqlBool>`c.device_id = ${set.deviceId} and ${devices}`
    : sql<SqlBool>`c.organization_id = ${set.organizationId} and ${devices}`;
}

/**
 * Update counts by the custom severity (name) of the update's bulletin in the device's organization,
 * added up from the per-device rows that migration 0008's triggers keep. Names without updates are absent.
 */
export async function summarizeByCustomSeverity(
  db: Db,
  access: Access,
  set: DeviceSet,
): Promise<Map<string, BucketCounts>> {
  const r = await sql<{ name: string } & BucketCounts>`
    select c.name, ${sql.join(BUCKETS.map((b) => sql`sum(c.${sql.ref(b)})::int as ${sql.ref(b)}`))}
    from device_custom_compliance c join devices d on d.id = c.device_id
    where ${customRowFilter(set, access)}
    group by c.name`.execute(db);
  const out = new Map<string, BucketCounts>();
  for (const x of r.rows) {
    const c = Object.fromEntries(BUCKETS.map((b) => [b, Number(x[b])])) as BucketCounts;
    // a row whose updates were all ignored or moved away stays behind with zeros: no count
    if (BUCKETS.some((b) => c[b] !== 0)) out.set(x.name, c);
  }
  return out;
}

/** The same counts straight from device_updates, updates and the bulletins' custom severities. */
export async function summarizeByCustomSeverityNaive(
  db: Db,
  access: Access,
  set: DeviceSet,
): Promise<Map<string, BucketCounts>> {
  const r = await sql<{ name: string; bucket: ComplianceBucket; n: number }>`
    select b.name, ${bucketCase(sql.ref('du.status'))} as bucket, count(*)::int as n
    from device_updates du
      join devices d on d.id = du.device_id
      join updates u on u.id = du.update_id
      join bulletin_custom_severities b on b.organization_id = du.organization_id and b.bulletin_id = u.bulletin_id
    where ${deviceFilter(set, access)}
    group by 1, 2`.execute(db);
  const out = new Map<string, BucketCounts>();
  for (const x of r.rows) {
    if (!x.bucket) continue;
    const c = out.get(x.name) ?? zeroCounts();
    c[x.bucket] += Number(x.n);
    out.set(x.name, c);
  }
  return out;
}
