import { sql, type Kysely } from 'kysely';

// Compliance by custom severity. An organization may give a bulletin one of its custom severities
// (bulletin_custom_severities, Altiris' SetSeverityLevel); the compliance summary then also counts the
// organization's updates by those names. Like device_compliance (0005), a per-device row per custom
// severity name keeps the counts in step with device_updates, so the summary adds up rows instead of
// joining millions of device updates with the bulletins: statement-level triggers on device_updates and on
// the bulletins' assignments, and a row trigger for an update that changes bulletin. Only devices that
// have an update of a bulletin with a custom severity get rows. The bucket lists mirror
// COMPLIANCE_BUCKETS in store/repos/compliance.ts (a landed migration is never edited).
const BUCKETS: Record<string, string[]> = {
  missing: ['missing'],
  pending: ['pending', 'queued', 'installing'],
  failed: ['failed'],
  installed: ['installed', 'reboot_required'],
};
const NAMES = Object.keys(BUCKETS);
const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
const COUNTED = list(Object.values(BUCKETS).flat());

/** per-device, per-name sums of `d` over `source` (device_id, organization_id, name, status, d) */
const aggregate = (source: string) => `
  select r.device_id, r.name, max(r.organization_id) as organization_id,
    ${NAMES.map((b) => `sum(case when r.status in (${list(BUCKETS[b]!)}) then r.d else 0 end)::int as ${b}`).join(',\n    ')}
  from (${source}) r
  where r.status in (${COUNTED})
  group by r.device_id, r.name
  order by r.device_id, r.name`;

const upsert = (source: string) => `
  insert into device_custom_compliance as c (device_id, name, organization_id, ${NAMES.join(', ')})
  ${aggregate(source)}
  on conflict (device_id, name) do update set
    ${NAMES.map((b) => `${b} = c.${b} + excluded.${b}`).join(', ')}`;

/** rows of device_updates-shaped `rows` (device_id, organization_id, update_id, status, d) with the name
 * of their bulletin's custom severity in their organization */
const named = (rows: string) => `
  select x.device_id, x.organization_id, b.name, x.status, x.d
  from (${rows}) x
    join updates u on u.id = x.update_id
    join bulletin_custom_severities b on b.organization_id = x.organization_id and b.bulletin_id = u.bulletin_id`;

/** the device updates of the bulletins in `assignments` (organization_id, bulletin_id, name), under
 * the assignment's name */
const ofAssignments = (assignments: string, d: number) => `
  select du.device_id, du.organization_id, a.name, du.status, ${d} as d
  from ${assignments} a
    join updates u on u.bulletin_id = a.bulletin_id
    join device_updates du on du.update_id = u.id and du.organization_id = a.organization_id`;

/** most organizations give no bulletin a custom severity: then the triggers have nothing to count */
const NONE_ASSIGNED = `if not exists (select 1 from bulletin_custom_severities) then return null; end if;`;

const statements = [
  `create table device_custom_compliance (
    device_id bigint not null references devices(id) on delete cascade,
    name text not null,                               -- the custom severity's name
    organization_id bigint not null,
    missing integer not null default 0,
    pending integer not null default 0,
    failed integer not null default 0,
    installed integer not null default 0,
    primary key (device_id, name)
  )`,
  `create index device_custom_compliance_org on device_custom_compliance (organization_id, name)`,
  `create index bulletin_custom_severities_bulletin on bulletin_custom_severities (bulletin_id)`,
  `create function compliance_custom_recount(ids bigint[]) returns void language plpgsql as $$
  begin
    delete from device_custom_compliance where device_id = any(ids);
    insert into device_custom_compliance (device_id, name, organization_id, ${NAMES.join(', ')})
    ${aggregate(named('select device_id, organization_id, update_id, status, 1 as d from device_updates where device_id = any(ids)'))};
  end $$`,
  `create function device_custom_compliance_ins() returns trigger language plpgsql as $$
  begin
    ${NONE_ASSIGNED}
    ${upsert(named('select device_id, organization_id, update_id, status, 1 as d from new_rows'))};
    return null;
  end $$`,
  `create function device_custom_compliance_upd() returns trigger language plpgsql as $$
  begin
    ${NONE_ASSIGNED}
    ${upsert(
      named(`select device_id, organization_id, update_id, status, 1 as d from new_rows
      union all select device_id, organization_id, update_id, status, -1 as d from old_rows`),
    )};
    return null;
  end $$`,
  // a device's own delete cascades to its rows first: update (never insert) what is still there
  `create function device_custom_compliance_del() returns trigger language plpgsql as $$
  begin
    ${NONE_ASSIGNED}
    update device_custom_compliance as c set ${NAMES.map((b) => `${b} = c.${b} + a.${b}`).join(', ')}
    from (${aggregate(named('select device_id, organization_id, update_id, status, -1 as d from old_rows'))}) a
    where c.device_id = a.device_id and c.name = a.name;
    return null;
  end $$`,
  `create trigger device_updates_custom_compliance_ins after insert on device_updates
    referencing new table as new_rows for each statement execute function device_custom_compliance_ins()`,
  `create trigger device_updates_custom_compliance_upd after update on device_updates
    referencing old table as old_rows new table as new_rows for each statement execute function device_custom_compliance_upd()`,
  `create trigger device_updates_custom_compliance_del after delete on device_updates
    referencing old table as old_rows for each statement execute function device_custom_compliance_del()`,
  // bulletins given, moved to or taken from a custom severity move their devices' counts: one pass per
  // statement, so giving many bulletins a custom severity touches each device's row once
  `create function bulletin_custom_severities_compliance_ins() returns trigger language plpgsql as $$
  begin
    ${upsert(ofAssignments('new_rows', 1))};
    return null;
  end $$`,
  `create function bulletin_custom_severities_compliance_upd() returns trigger language plpgsql as $$
  begin
    ${upsert(`${ofAssignments('new_rows', 1)} union all ${ofAssignments('old_rows', -1)}`)};
    return null;
  end $$`,
  `create function bulletin_custom_severities_compliance_del() returns trigger language plpgsql as $$
  begin
    ${upsert(ofAssignments('old_rows', -1))};
    delete from device_custom_compliance c using (select distinct organization_id, name from old_rows) o
    where c.organization_id = o.organization_id and c.name = o.name
      and ${NAMES.map((b) => `c.${b} = 0`).join(' and ')};
    return null;
  end $$`,
  `create trigger bulletin_custom_severities_compliance_ins after insert on bulletin_custom_severities
    referencing new table as new_rows for each statement execute function bulletin_custom_severities_compliance_ins()`,
  `create trigger bulletin_custom_severities_compliance_upd after update on bulletin_custom_severities
    referencing old table as old_rows new table as new_rows for each statement
    execute function bulletin_custom_severities_compliance_upd()`,
  `create trigger bulletin_custom_severities_compliance_del after delete on bulletin_custom_severities
    referencing old table as old_rows for each statement execute function bulletin_custom_severities_compliance_del()`,
  // an update linked to another bulletin leaves the old bulletin's custom severity for the new one's
  `create function updates_custom_compliance_bulletin() returns trigger language plpgsql as $$
  begin
    if not exists (select 1 from bulletin_custom_severities
      where bulletin_id = old.bulletin_id or bulletin_id = new.bulletin_id) then return null; end if;
    ${upsert(`
      select du.device_id, du.organization_id, b.name, du.status, -1 as d
      from device_updates du join bulletin_custom_severities b
        on b.organization_id = du.organization_id and b.bulletin_id = old.bulletin_id
      where du.update_id = new.id
      union all
      select du.device_id, du.organization_id, b.name, du.status, 1 as d
      from device_updates du join bulletin_custom_severities b
        on b.organization_id = du.organization_id and b.bulletin_id = new.bulletin_id
      where du.update_id = new.id`)};
    return null;
  end $$`,
  `create trigger updates_custom_compliance_bulletin after update of bulletin_id on updates
    for each row when (old.bulletin_id is distinct from new.bulletin_id)
    execute function updates_custom_compliance_bulletin()`,
  // no bulletin can have a custom severity yet on a store that gets this migration; should one, count it
  `do $$ begin
    if exists (select 1 from bulletin_custom_severities) then
      perform compliance_custom_recount(array(select id from devices));
    end if;
  end $$`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const s of [
    'drop trigger if exists updates_custom_compliance_bulletin on updates',
    'drop trigger if exists bulletin_custom_severities_compliance_ins on bulletin_custom_severities',
    'drop trigger if exists bulletin_custom_severities_compliance_upd on bulletin_custom_severities',
    'drop trigger if exists bulletin_custom_severities_compliance_del on bulletin_custom_severities',
    'drop trigger if exists device_updates_custom_compliance_ins on device_updates',
    'drop trigger if exists device_updates_custom_compliance_upd on device_updates',
    'drop trigger if exists device_updates_custom_compliance_del on device_updates',
    'drop function if exists updates_custom_compliance_bulletin()',
    'drop function if exists bulletin_custom_severities_compliance_ins()',
    'drop function if exists bulletin_custom_severities_compliance_upd()',
    'drop function if exists bulletin_custom_severities_compliance_del()',
    'drop function if exists device_custom_compliance_ins()',
    'drop function if exists device_custom_compliance_upd()',
    'drop function if exists device_custom_compliance_del()',
    'drop function if exists compliance_custom_recount(bigint[])',
    'drop index if exists bulletin_custom_severities_bulletin',
    'drop table if exists device_custom_compliance',
  ])
    await sql.raw(s).execute(db);
}
