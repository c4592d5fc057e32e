import { sql, type Kysely } from 'kysely';

// The whole domain model of DESIGN.md. Later issues add behaviour, not new foundations.
// SQL accepted by both PostgreSQL 15 (server) and PGlite (PostgreSQL 18).
const statements = [
  // ---- tenancy ---------------------------------------------------------------------------------------
  `create table organizations (
    id bigint generated always as identity primary key,
    ref text not null unique,                       -- short unique name (Kaseya OrgRef)
    name text not null,
    parent_id bigint references organizations(id) on delete restrict,
    time_zone text,                                 -- IANA zone; null = the server's
    attributes jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table groups (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    parent_id bigint references groups(id) on delete restrict,
    name text not null,
    description text not null default '',
    is_root boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index groups_sibling_name on groups (organization_id, coalesce(parent_id, 0), lower(name))`,
  `create unique index groups_one_root on groups (organization_id) where is_root`,
  `create table devices (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    group_id bigint not null references groups(id) on delete restrict,
    name text not null,
    hostname text not null default '',
    os_family text not null default 'unknown',       -- windows | linux | macos | unknown
    os_name text not null default '',
    os_version text not null default '',
    architecture text not null default '',
    ip_addresses text[] not null default '{}',
    mac_addresses text[] not null default '{}',
    time_zone text,
    agent_version text,
    status text not null default 'active',            -- active | retired
    tags text[] not null default '{}',
    inventory jsonb not null default '{}',
    is_relay boolean not null default false,           -- caches packages for its network
    reboot_required boolean not null default false,
    credential_hash text,                              -- agent credential (sha256), null until enrolled
    credential_generation integer not null default 0,
    enrolled_at timestamptz,
    last_seen_at timestamptz,
    last_scan_at timestamptz,
    scan_sequence bigint not null default 0,           -- last scan report sequence applied
    checkin_interval_seconds integer not null default 300,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index devices_org on devices (organization_id, id)`,
  `create index devices_group on devices (group_id)`,
  `create unique index devices_credential on devices (credential_hash) where credential_hash is not null`,
  `create table install_tokens (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    group_id bigint references groups(id) on delete cascade,
    name text not null default '',
    token_hash text not null unique,
    expires_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now()
  )`,
  `create table saved_device_filters (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    name text not null,
    definition jsonb not null,
    created_at timestamptz not null default now(),
    unique (organization_id, name)
  )`,
  // ---- identity and access ---------------------------------------------------------------------------
  `create table roles (
    id bigint generated always as identity primary key,
    name text not null,
    description text not null default '',
    privileges text[] not null default '{}',
    builtin boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index roles_name on roles (lower(name))`,
  `create table scopes (
    id bigint generated always as identity primary key,
    name text not null,
    description text not null default '',
    all_organizations boolean not null default false,
    created_at timestamptz not null default now()
  )`,
  `create unique index scopes_name on scopes (lower(name))`,
  // an entry grants a whole organization (group_id null) or one group and its descendants
  `create table scope_entries (
    scope_id bigint not null references scopes(id) on delete cascade,
    organization_id bigint not null references organizations(id) on delete cascade,
    group_id bigint references groups(id) on delete cascade
  )`,
  `create unique index scope_entries_unique on scope_entries (scope_id, organization_id, coalesce(group_id, 0))`,
  `create table users (
    id bigint generated always as identity primary key,
    username text not null,
    display_name text not null default '',
    email text not null default '',
    password_hash text not null,
    role_id bigint not null references roles(id) on delete restrict,
    scope_id bigint not null references scopes(id) on delete restrict,
    disabled boolean not null default false,
    time_zone text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index users_username on users (lower(username))`,
  `create table api_keys (
    id bigint generated always as identity primary key,
    user_id bigint not null references users(id) on delete cascade,
    name text not null,
    prefix text not null,                              -- shown in lists, e.g. plk_12ab
    secret_hash text not null unique,
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    created_at timestamptz not null default now()
  )`,
  `create table sessions (
    id bigint generated always as identity primary key,
    user_id bigint not null references users(id) on delete cascade,
    token_hash text not null unique,
    face text not null default 'native',               -- which face issued it (native, kaseya, console)
    data jsonb not null default '{}',
    expires_at timestamptz not null,
    revoked_at timestamptz,
    last_seen_at timestamptz not null default now(),
    created_at timestamptz not null default now()
  )`,
  `create index sessions_user on sessions (user_id)`,
  // one-time values a client proves it knows (Kaseya's random number): replays are refused
  `create table used_nonces (
    face text not null,
    nonce text not null,
    expires_at timestamptz not null,
    primary key (face, nonce)
  )`,
  // ---- catalog -----------------------------------------------------------------------------------------
  `create table vendors (
    id bigint generated always as identity primary key,
    name text not null,
    created_at timestamptz not null default now()
  )`,
  `create unique index vendors_name on vendors (lower(name))`,
  `create table products (
    id bigint generated always as identity primary key,
    vendor_id bigint not null references vendors(id) on delete cascade,
    name text not null,
    os_family text,                                    -- windows | linux | macos | null (any)
    created_at timestamptz not null default now()
  )`,
  `create unique index products_name on products (vendor_id, lower(name))`,
  `create table cves (
    id text primary key,                               -- CVE-2024-3094
    description text not null default '',
    cvss_score numeric(3,1),
    cvss_vector text,
    severity text not null default 'unknown',
    known_exploited boolean not null default false,
    kev_added_at date,
    kev_due_at date,
    epss_probability double precision,
    epss_percentile double precision,
    epss_date date,
    published_at timestamptz,
    modified_at timestamptz,
    updated_at timestamptz not null default now()
  )`,
  `create table bulletins (
    id bigint generated always as identity primary key,
    source text not null,                              -- osv, csaf, debian-tracker, microsoft, manual, …
    external_id text not null,                         -- DSA-5678-1, RHSA-2024:4546, 7ZIP-240619, KB5034441
    vendor_id bigint references vendors(id) on delete set null,
    title text not null default '',
    summary text not null default '',
    severity text not null default 'unknown',
    cvss_score numeric(3,1),
    released_at timestamptz,
    modified_at timestamptz,
    url text,
    enabled boolean not null default true,
    enabled_changed_by text,
    enabled_changed_at timestamptz,
    data jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (source, external_id)
  )`,
  `create index bulletins_external on bulletins (external_id)`,
  `create table bulletin_cves (
    bulletin_id bigint not null references bulletins(id) on delete cascade,
    cve_id text not null references cves(id) on delete cascade,
    primary key (bulletin_id, cve_id)
  )`,
  `create index bulletin_cves_cve on bulletin_cves (cve_id)`,
  `create table bulletin_supersedence (
    bulletin_id bigint not null references bulletins(id) on delete cascade,
    superseded_by_id bigint not null references bulletins(id) on delete cascade,
    primary key (bulletin_id, superseded_by_id)
  )`,
  `create table updates (
    id bigint generated always as identity primary key,
    natural_key text not null unique,                  -- deb:openssl:3.0.22-1~deb12u2:amd64, kb:KB5034441, …
    kind text not null,                                -- deb | rpm | kb | macos | app | simulated
    name text not null,                                -- package name or update title
    kb text,                                           -- KB5034441 for Windows updates
    package_name text,
    version text,
    architecture text,
    os_family text,
    product_id bigint references products(id) on delete set null,
    bulletin_id bigint references bulletins(id) on delete set null,
    classification text not null default 'other',      -- security | critical | update_rollup | feature | other …
    category text not null default '',
    is_security boolean not null default false,
    is_optional boolean not null default false,
    severity text not null default 'unknown',
    reboot_behavior text not null default 'may',       -- never | may | always
    size_bytes bigint,
    sha256 text,
    sha1 text,
    source_url text,
    install_switches text,
    patch_source text not null default '',             -- windowsupdate, apt, dnf, third-party catalog …
    released_at timestamptz,
    data jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index updates_bulletin on updates (bulletin_id)`,
  `create index updates_kb on updates (kb) where kb is not null`,
  `create index updates_package on updates (package_name) where package_name is not null`,
  `create table update_cves (
    update_id bigint not null references updates(id) on delete cascade,
    cve_id text not null references cves(id) on delete cascade,
    primary key (update_id, cve_id)
  )`,
  `create index update_cves_cve on update_cves (cve_id)`,
  `create table update_supersedence (
    update_id bigint not null references updates(id) on delete cascade,
    superseded_by_id bigint not null references updates(id) on delete cascade,
    primary key (update_id, superseded_by_id)
  )`,
  `create table custom_severities (
    organization_id bigint not null references organizations(id) on delete cascade,
    position integer not null,
    name text not null,
    level text not null,
    primary key (organization_id, position)
  )`,
  `create table bulletin_custom_severities (
    organization_id bigint not null references organizations(id) on delete cascade,
    bulletin_id bigint not null references bulletins(id) on delete cascade,
    name text not null,
    primary key (organization_id, bulletin_id)
  )`,
  // content-addressed package cache
  `create table packages (
    sha256 text primary key,
    size_bytes bigint not null,
    path text not null,
    source_url text,
    stored_at timestamptz not null default now()
  )`,
  `create table update_packages (
    update_id bigint not null references updates(id) on delete cascade,
    sha256 text not null,
    file_name text not null,
    source_url text,
    primary key (update_id, sha256)
  )`,
  // ---- device state ----------------------------------------------------------------------------------
  `create table device_updates (
    device_id bigint not null references devices(id) on delete cascade,
    update_id bigint not null references updates(id) on delete cascade,
    organization_id bigint not null references organizations(id) on delete cascade,
    detection text not null,                           -- missing | installed | not_applicable
    status text not null,                              -- see core/status.ts
    installed_version text,
    available_version text,
    first_detected_at timestamptz not null default now(),
    last_detected_at timestamptz not null default now(),
    status_changed_at timestamptz not null default now(),
    installed_at timestamptz,
    attempts integer not null default 0,
    last_error text,
    job_id bigint,
    primary key (device_id, update_id)
  )`,
  `create index device_updates_org_status on device_updates (organization_id, status)`,
  `create index device_updates_update on device_updates (update_id)`,
  `create table approvals (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    level text not null,                               -- organization | group | device
    group_id bigint references groups(id) on delete cascade,
    device_id bigint references devices(id) on delete cascade,
    update_id bigint not null references updates(id) on delete cascade,
    action text not null,                              -- approve | ignore | none (do nothing)
    source text not null default 'user',               -- user | policy
    policy_id bigint,
    set_by text not null,
    set_at timestamptz not null default now(),
    check ((level = 'organization' and group_id is null and device_id is null)
        or (level = 'group' and group_id is not null and device_id is null)
        or (level = 'device' and device_id is not null and group_id is null))
  )`,
  `create unique index approvals_target on approvals
     (organization_id, level, coalesce(group_id, 0), coalesce(device_id, 0), update_id, source)`,
  `create index approvals_update on approvals (update_id)`,
  // ---- policies, windows, schedules --------------------------------------------------------------------
  `create table policies (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    name text not null,
    kind text not null default 'patch',                -- patch | agent_settings
    enabled boolean not null default true,
    rule jsonb not null default '{}',
    schedule jsonb,
    behaviour jsonb not null default '{}',
    notes text not null default '',
    created_by text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index policies_name on policies (organization_id, lower(name))`,
  `create table policy_targets (
    policy_id bigint not null references policies(id) on delete cascade,
    group_id bigint references groups(id) on delete cascade,
    device_id bigint references devices(id) on delete cascade,
    filter_id bigint references saved_device_filters(id) on delete cascade,
    check (num_nonnulls(group_id, device_id, filter_id) = 1)
  )`,
  `create unique index policy_targets_unique on policy_targets
     (policy_id, coalesce(group_id, 0), coalesce(device_id, 0), coalesce(filter_id, 0))`,
  `create table maintenance_windows (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    name text not null,
    settings jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index maintenance_windows_name on maintenance_windows (organization_id, lower(name))`,
  `create table window_assignments (
    window_id bigint not null references maintenance_windows(id) on delete cascade,
    policy_id bigint references policies(id) on delete cascade,
    group_id bigint references groups(id) on delete cascade,
    check (num_nonnulls(policy_id, group_id) = 1)
  )`,
  `create unique index window_assignments_unique on window_assignments
     (window_id, coalesce(policy_id, 0), coalesce(group_id, 0))`,
  `create table schedules (
    id bigint generated always as identity primary key,
    organization_id bigint references organizations(id) on delete cascade,
    owner_type text not null,                          -- policy | window | task | device
    owner_id bigint not null,
    definition jsonb not null,                         -- the canonical recurrence model
    enabled boolean not null default true,
    next_due_at timestamptz,
    last_fired_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index schedules_due on schedules (next_due_at) where enabled`,
  // ---- tasks and jobs ----------------------------------------------------------------------------------
  `create table tasks (
    id bigint generated always as identity primary key,
    organization_id bigint references organizations(id) on delete cascade,
    kind text not null,                                -- scan | install | stage | import | reboot | distribute
    name text not null,
    parameters jsonb not null default '{}',
    schedule_id bigint references schedules(id) on delete set null,
    enabled boolean not null default true,
    created_by text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table task_instances (
    id bigint generated always as identity primary key,
    task_id bigint references tasks(id) on delete cascade,
    organization_id bigint references organizations(id) on delete cascade,
    kind text not null,
    occurrence_at timestamptz,                         -- the schedule occurrence it fires; null = run now
    status text not null default 'NotStarted',         -- NotStarted | Started | Completed | Failed | StopRequested
    progress real not null default 0,
    parameters jsonb not null default '{}',
    outputs jsonb not null default '{}',
    error text,
    lease_owner text,
    lease_expires_at timestamptz,
    attempts integer not null default 0,
    created_by text not null default '',
    created_at timestamptz not null default now(),
    started_at timestamptz,
    finished_at timestamptz
  )`,
  `create unique index task_instances_occurrence on task_instances (task_id, occurrence_at)
     where task_id is not null and occurrence_at is not null`,
  `create index task_instances_claim on task_instances (status, lease_expires_at)`,
  `create table task_instance_devices (
    instance_id bigint not null references task_instances(id) on delete cascade,
    device_id bigint not null references devices(id) on delete cascade,
    status text not null default 'NotStarted',
    result jsonb not null default '{}',
    updated_at timestamptz not null default now(),
    primary key (instance_id, device_id)
  )`,
  `create table jobs (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    device_id bigint not null references devices(id) on delete cascade,
    instance_id bigint references task_instances(id) on delete set null,
    kind text not null,                                -- scan | install | reboot | download
    payload jsonb not null default '{}',
    status text not null default 'pending',            -- pending | delivered | running | succeeded | failed | cancelled | expired
    not_before timestamptz,
    expires_at timestamptz,
    result jsonb,
    created_at timestamptz not null default now(),
    delivered_at timestamptz,
    completed_at timestamptz
  )`,
  `create unique index jobs_instance_device on jobs (instance_id, device_id, kind) where instance_id is not null`,
  `create index jobs_device_open on jobs (device_id) where status in ('pending', 'delivered', 'running')`,
  // ---- event log: audit trail and patch history --------------------------------------------------------
  `create table events (
    id bigint generated always as identity primary key,
    at timestamptz not null default now(),
    organization_id bigint references organizations(id) on delete cascade,
    actor_type text not null,                          -- user | api_key | device | system | policy
    actor_id text,
    actor_name text not null,
    kind text not null,                                -- e.g. approval.set, device_update.status, device.created
    subject_type text not null,
    subject_id text,
    device_id bigint,
    update_id bigint,
    data jsonb not null default '{}'
  )`,
  `create index events_org on events (organization_id, id)`,
  `create index events_device on events (device_id, id) where device_id is not null`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const tables = [...statements.join('\n').matchAll(/create table (\w+)/g)].map((m) => m[1]).reverse();
  for (const t of tables) await sql.raw(`drop table if exists ${t} cascade`).execute(db);
}
