import { sql, type Kysely } from 'kysely';

// What a scan report costs the database (issue 17), measured on PostgreSQL 15 (bench/ingest.ts):
// - The change feed's trigger on devices (0017) notified every scan report (its scan sequence). A NOTIFY
//   takes a lock that is held through the commit (its WAL flush) and is shared by every database of the
//   server: transactions that notify commit one at a time, 3 to 6 times fewer commits a second from 16
//   connections on the team's machine. The scan sequence now goes out after the commit, from the service
//   (services/scans.ts, store/repos/devices-repo.ts announceDeviceChange), without that lock held;
//   the trigger notifies the other changes as before.
// - The compliance summary's triggers (0005) worked out a device update's bucket and severity once per
//   column summed (26 times a row); they now group the rows by device, status and severity first and
//   sum the few groups into the columns.
// - device_updates.organization_id's foreign key checked the organization once per row written: the
//   device's own key (cascading from its organization) already holds the rows to a live organization.
// The bucket and severity lists mirror COMPLIANCE_BUCKETS of core/status.ts, as in 0005.
const SEVERITIES = ['unknown', 'none', 'low', 'medium', 'high', 'critical'];
const BUCKETS: Record<string, string[]> = {
  missing: ['missing'],
  pending: ['pending', 'queued', 'installing'],
  failed: ['failed'],
  installed: ['installed', 'reboot_required'],
};
const OUTSTANDING = ['missing', 'pending', 'failed'];
const COLUMNS = Object.keys(BUCKETS).flatMap((b) => SEVERITIES.map((s) => ({ name: `${b}_${s}`, b, s })));
const ALL = ['outstanding', 'reboot_pending', ...COLUMNS.map((c) => c.name)];

const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
const bucketOf = (status: string) =>
  `case ${Object.entries(BUCKETS)
    .map(([b, ss]) => `when ${status} in (${list(ss)}) then '${b}'`)
    .join(' ')} end`;
const severityOf = (sev: string) =>
  `case when ${sev} in (${list(SEVERITIES)}) then ${sev} else 'unknown' end`;

/** per-device sums of `d` (+1 or -1) over `source` (device_id, organization_id, update_id, status, d) */
const aggregate = (source: string) => `
  select g.device_id, max(g.organization_id) as organization_id,
    sum(case when g.bucket in (${list(OUTSTANDING)}) then g.n else 0 end)::int as outstanding,
    sum(case when g.status = 'reboot_required' then g.n else 0 end)::int as reboot_pending,
    ${COLUMNS.map((c) => `sum(case when g.bucket = '${c.b}' and g.sev = '${c.s}' then g.n else 0 end)::int as ${c.name}`).join(',\n    ')}
  from (
    select x.device_id, x.status, max(x.organization_id) as organization_id, sum(x.d) as n,
      ${bucketOf('x.status')} as bucket, ${severityOf('u.severity')} as sev
    from (${source}) x join updates u on u.id = x.update_id
    group by x.device_id, x.status, u.severity
  ) g
  group by g.device_id
  order by g.device_id`;

const upsert = (source: string) => `
  insert into device_compliance as dc (device_id, organization_id, ${ALL.join(', ')})
  ${aggregate(source)}
  on conflict (device_id) do update set organization_id = excluded.organization_id,
    ${ALL.map((c) => `${c} = dc.${c} + excluded.${c}`).join(', ')}`;

const CHANGE_FEED_COLUMNS = [
  'credential_hash',
  'credential_generation',
  'status',
  'organization_id',
  'group_id',
  'name',
  'time_zone',
  'checkin_interval_seconds',
  'is_relay',
];
const changeFeedTrigger = (
  columns: string[],
) => `create trigger devices_change_feed_upd after update on devices
    for each row when (${columns.map((c) => `old.${c} is distinct from new.${c}`).join(' or ')})
    execute function change_feed_device()`;

const statements = [
  `create or replace function compliance_recount(ids bigint[]) returns void language plpgsql as $$
  begin
    delete from device_compliance where device_id = any(ids);
    insert into device_compliance (device_id, organization_id, ${ALL.join(', ')})
    ${aggregate('select device_id, organization_id, update_id, status, 1 as d from device_updates where device_id = any(ids)')};
  end $$`,
  `create or replace function device_compliance_ins() returns trigger language plpgsql as $$
  begin
    ${upsert('select device_id, organization_id, update_id, status, 1 as d from new_rows')};
    return null;
  end $$`,
  `create or replace function device_compliance_upd() returns trigger language plpgsql as $$
  begin
    ${upsert(`select device_id, organization_id, update_id, status, 1 as d from new_rows
      union all select device_id, organization_id, update_id, status, -1 as d from old_rows`)};
    return null;
  end $$`,
  `create or replace function device_compliance_del() returns trigger language plpgsql as $$
  begin
    update device_compliance as dc set ${ALL.map((c) => `${c} = dc.${c} + a.${c}`).join(', ')}
    from (${aggregate('select device_id, organization_id, update_id, status, -1 as d from old_rows')}) a
    where dc.device_id = a.device_id;
    return null;
  end $$`,
  `drop trigger devices_change_feed_upd on devices`,
  changeFeedTrigger(CHANGE_FEED_COLUMNS),
  `alter table device_updates drop constraint if exists device_updates_organization_id_fkey`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // the functions of 0005 are not restored: these compute the same counts
  for (const s of [
    `alter table device_updates add constraint device_updates_organization_id_fkey
      foreign key (organization_id) references organizations(id) on delete cascade`,
    `drop trigger devices_change_feed_upd on devices`,
    changeFeedTrigger([...CHANGE_FEED_COLUMNS, 'scan_sequence']),
  ])
    await sql.raw(s).execute(db);
}
