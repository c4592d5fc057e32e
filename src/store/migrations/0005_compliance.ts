import { sql, type Kysely } from 'kysely';

// Compliance views. The organization-wide summary must stay fast on 20,000 devices × 300 update states,
// which no aggregate over device_updates achieves: a per-device summary row (counts by bucket and
// severity) is kept in step with device_updates by statement-level triggers, so the summary adds up one
// row per device. Only the transaction that changes a device's updates touches its row: no hot rows
// shared between devices. The bucket and severity lists here mirror COMPLIANCE_BUCKETS in
// store/repos/compliance.ts (a landed migration is never edited: a change of buckets is a new one).
const SEVERITIES = ['unknown', 'none', 'low', 'medium', 'high', 'critical'];
const BUCKETS: Record<string, string[]> = {
  missing: ['missing'],
  pending: ['pending', 'queued', 'installing'],
  failed: ['failed'],
  installed: ['installed', 'reboot_required'],
};
const OUTSTANDING = ['missing', 'pending', 'failed'];
const COLUMNS = Object.keys(BUCKETS).flatMap((b) => SEVERITIES.map((s) => ({ name: `${b}_${s}`, b, s })));

const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
const bucketOf = (status: string) =>
  `case ${Object.entries(BUCKETS)
    .map(([b, ss]) => `when ${status} in (${list(ss)}) then '${b}'`)
    .join(' ')} end`;
const severityOf = (sev: string) =>
  `case when ${sev} in (${list(SEVERITIES)}) then ${sev} else 'unknown' end`;

/** per-device sums of `d` (+1 or -1) over `source` (device_id, organization_id, update_id, status, d) */
const aggregate = (source: string) => `
  select r.device_id, max(r.organization_id) as organization_id,
    sum(case when r.bucket in (${list(OUTSTANDING)}) then r.d else 0 end)::int as outstanding,
    sum(case when r.status = 'reboot_required' then r.d else 0 end)::int as reboot_pending,
    ${COLUMNS.map((c) => `sum(case when r.bucket = '${c.b}' and r.sev = '${c.s}' then r.d else 0 end)::int as ${c.name}`).join(',\n    ')}
  from (
    select x.device_id, x.organization_id, x.status, x.d,
      ${bucketOf('x.status')} as bucket, ${severityOf('u.severity')} as sev
    from (${source}) x join updates u on u.id = x.update_id
  ) r
  group by r.device_id
  order by r.device_id`;

const ALL = ['outstanding', 'reboot_pending', ...COLUMNS.map((c) => c.name)];
const upsert = (source: string) => `
  insert into device_compliance as dc (device_id, organization_id, ${ALL.join(', ')})
  ${aggregate(source)}
  on conflict (device_id) do update set organization_id = excluded.organization_id,
    ${ALL.map((c) => `${c} = dc.${c} + excluded.${c}`).join(', ')}`;

const statements = [
  `create table device_compliance (
    device_id bigint primary key references devices(id) on delete cascade,
    organization_id bigint not null,
    outstanding integer not null default 0,          -- missing + pending + failed updates
    reboot_pending integer not null default 0,       -- updates installed, waiting for a reboot
    ${COLUMNS.map((c) => `${c.name} integer not null default 0`).join(',\n    ')}
  )`,
  `create index device_compliance_org on device_compliance (organization_id)`,
  // covering index for the open updates of an organization (a skip scan over distinct update ids) and the
  // devices per update and status; it serves every query the (organization_id, status) index served
  `create index device_updates_compliance on device_updates (organization_id, status, update_id, device_id)`,
  `drop index if exists device_updates_org_status`,
  `create function compliance_recount(ids bigint[]) returns void language plpgsql as $$
  begin
    delete from device_compliance where device_id = any(ids);
    insert into device_compliance (device_id, organization_id, ${ALL.join(', ')})
    ${aggregate('select device_id, organization_id, update_id, status, 1 as d from device_updates where device_id = any(ids)')};
  end $$`,
  `create function device_compliance_ins() returns trigger language plpgsql as $$
  begin
    ${upsert('select device_id, organization_id, update_id, status, 1 as d from new_rows')};
    return null;
  end $$`,
  `create function device_compliance_upd() returns trigger language plpgsql as $$
  begin
    ${upsert(`select device_id, organization_id, update_id, status, 1 as d from new_rows
      union all select device_id, organization_id, update_id, status, -1 as d from old_rows`)};
    return null;
  end $$`,
  // a device's own delete cascades to its summary row first: update (never insert) what is still there
  `create function device_compliance_del() returns trigger language plpgsql as $$
  begin
    update device_compliance as dc set ${ALL.map((c) => `${c} = dc.${c} + a.${c}`).join(', ')}
    from (${aggregate('select device_id, organization_id, update_id, status, -1 as d from old_rows')}) a
    where dc.device_id = a.device_id;
    return null;
  end $$`,
  `create trigger device_updates_compliance_ins after insert on device_updates
    referencing new table as new_rows for each statement execute function device_compliance_ins()`,
  `create trigger device_updates_compliance_upd after update on device_updates
    referencing old table as old_rows new table as new_rows for each statement execute function device_compliance_upd()`,
  `create trigger device_updates_compliance_del after delete on device_updates
    referencing old table as old_rows for each statement execute function device_compliance_del()`,
  // an update whose severity changes moves its counts between columns on every device that has it
  `create function updates_compliance_severity() returns trigger language plpgsql as $$
  begin
    perform compliance_recount(array(select device_id from device_updates where update_id = new.id));
    return null;
  end $$`,
  `create trigger updates_compliance_severity after update of severity on updates
    for each row when (old.severity is distinct from new.severity) execute function updates_compliance_severity()`,
  `select compliance_recount(array(select id from devices))`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const s of [
    'drop trigger if exists updates_compliance_severity on updates',
    'drop trigger if exists device_updates_compliance_ins on device_updates',
    'drop trigger if exists device_updates_compliance_upd on device_updates',
    'drop trigger if exists device_updates_compliance_del on device_updates',
    'drop function if exists updates_compliance_severity()',
    'drop function if exists device_compliance_ins()',
    'drop function if exists device_compliance_upd()',
    'drop function if exists device_compliance_del()',
    'drop function if exists compliance_recount(bigint[])',
    'drop table if exists device_compliance',
    'drop index if exists device_updates_compliance',
    'create index if not exists device_updates_org_status on device_updates (organization_id, status)',
  ])
    await sql.raw(s).execute(db);
}
