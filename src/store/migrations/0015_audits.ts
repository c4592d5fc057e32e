import { sql, type Kysely } from 'kysely';

// Audits and asset custom fields (issue 16, seed 004's Audit and Agent Custom Fields chapters).
// - device_audits: the audits an agent reported (core/audit/model.ts AuditReport, as validated by
//   wire/audit.ts), one row per device and snapshot: latest (the most recent), baseline (the first, or
//   the last one asked for as a baseline), sysinfo (the last hardware audit). A new report replaces the
//   row of its snapshot; the organization is the device's (tenant scope without a join).
// - asset_custom_fields: field definitions, global (organization_id null, made by a caller whose scope
//   covers every organization, as the seed's) or one organization's; a name is unique, ignoring case,
//   among the global ones and within an organization.
// - asset_custom_values: a device's value of a field.
// - device_warranties: a device's purchase and warranty expiration dates (seed 004, set by people).
const statements = [
  `create table device_audits (
    device_id bigint not null references devices(id) on delete cascade,
    organization_id bigint not null references organizations(id) on delete cascade,
    snapshot text not null,
    collected_at timestamptz not null,
    received_at timestamptz not null default now(),
    report jsonb not null,
    primary key (device_id, snapshot),
    check (snapshot in ('latest', 'baseline', 'sysinfo'))
  )`,
  `create index device_audits_org on device_audits (organization_id, device_id)`,
  `create table asset_custom_fields (
    id bigint generated always as identity primary key,
    organization_id bigint references organizations(id) on delete cascade,
    name text not null,
    field_type text not null default 'string',
    created_at timestamptz not null default now(),
    check (length(name) between 1 and 100),
    check (field_type in ('string', 'number', 'datetime', 'date', 'time'))
  )`,
  `create unique index asset_custom_fields_name on asset_custom_fields (coalesce(organization_id, 0), lower(name))`,
  `create table asset_custom_values (
    field_id bigint not null references asset_custom_fields(id) on delete cascade,
    device_id bigint not null references devices(id) on delete cascade,
    value text not null,
    updated_at timestamptz not null default now(),
    primary key (field_id, device_id)
  )`,
  `create index asset_custom_values_device on asset_custom_values (device_id)`,
  `create table device_warranties (
    device_id bigint primary key references devices(id) on delete cascade,
    purchase_date timestamptz,
    warranty_expire_date timestamptz,
    updated_at timestamptz not null default now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
