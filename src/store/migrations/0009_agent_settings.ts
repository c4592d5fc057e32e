import { sql, type Kysely } from 'kysely';

// Agent settings behind a hash. A device's settings (services/agent-settings.ts) follow from its
// organization's policies, policy targets, maintenance windows and their assignments, its relays, its
// group tree and time zone. Triggers bump `organizations.settings_revision` whenever one of those
// changes, so the idle check-in learns "nothing changed" from the one query it already runs (the
// credential lookup joins the organization). Each device row keeps the hash of the settings it was last
// given and the key they were computed for (revision, group, zone, interval, horizon day).
// Jobs get `started_at`: an agent reports when it starts a job (status running).
const BUMP = `update organizations set settings_revision = settings_revision + 1`;

const statements = [
  `alter table organizations add column settings_revision bigint not null default 0`,
  `alter table devices add column settings_key text, add column settings_hash text`,
  `alter table jobs add column started_at timestamptz`,
  // settings carry the organization's relays: without this, each computation scans the organization's devices
  `create index devices_relays on devices (organization_id) where is_relay`,

  `create function settings_bump_org() returns trigger language plpgsql as $$
  begin
    if tg_op <> 'INSERT' then ${BUMP} where id = old.organization_id; end if;
    if tg_op <> 'DELETE' and (tg_op = 'INSERT' or new.organization_id is distinct from old.organization_id) then
      ${BUMP} where id = new.organization_id;
    end if;
    return null;
  end $$`,
  `create function settings_bump_policy_ref() returns trigger language plpgsql as $$
  begin
    if tg_op <> 'INSERT' then
      ${BUMP} where id = (select organization_id from policies where id = old.policy_id);
    end if;
    if tg_op <> 'DELETE' then
      ${BUMP} where id = (select organization_id from policies where id = new.policy_id);
    end if;
    return null;
  end $$`,
  `create function settings_bump_window_ref() returns trigger language plpgsql as $$
  begin
    if tg_op <> 'INSERT' then
      ${BUMP} where id = (select organization_id from maintenance_windows where id = old.window_id);
    end if;
    if tg_op <> 'DELETE' then
      ${BUMP} where id = (select organization_id from maintenance_windows where id = new.window_id);
    end if;
    return null;
  end $$`,
  `create function settings_bump_zone() returns trigger language plpgsql as $$
  begin
    new.settings_revision := old.settings_revision + 1;
    return new;
  end $$`,

  // policies (rule, behaviour, enabled …) and maintenance windows (settings), any change
  `create trigger policies_settings after insert or update or delete on policies
    for each row execute function settings_bump_org()`,
  `create trigger maintenance_windows_settings after insert or update or delete on maintenance_windows
    for each row execute function settings_bump_org()`,
  `create trigger policy_targets_settings after insert or update or delete on policy_targets
    for each row execute function settings_bump_policy_ref()`,
  `create trigger window_assignments_settings after insert or update or delete on window_assignments
    for each row execute function settings_bump_window_ref()`,
  // the group tree (which windows and policies reach a device through its ancestors)
  `create trigger groups_settings after update of parent_id on groups
    for each row when (old.parent_id is distinct from new.parent_id) execute function settings_bump_org()`,
  // relays: a device becomes or stops being one, or a relay changes name, address or status
  `create trigger devices_relay_settings_ins after insert on devices
    for each row when (new.is_relay) execute function settings_bump_org()`,
  `create trigger devices_relay_settings_del after delete on devices
    for each row when (old.is_relay) execute function settings_bump_org()`,
  `create trigger devices_relay_settings_upd after update of is_relay, name, hostname, ip_addresses, status, organization_id on devices
    for each row when ((old.is_relay or new.is_relay) and (
      old.is_relay is distinct from new.is_relay or old.name is distinct from new.name
      or old.hostname is distinct from new.hostname or old.ip_addresses is distinct from new.ip_addresses
      or old.status is distinct from new.status or old.organization_id is distinct from new.organization_id))
    execute function settings_bump_org()`,
  // the organization's time zone (the zone of its devices that have none)
  `create trigger organizations_zone_settings before update of time_zone on organizations
    for each row when (old.time_zone is distinct from new.time_zone) execute function settings_bump_zone()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const s of [
    'drop trigger if exists organizations_zone_settings on organizations',
    'drop trigger if exists devices_relay_settings_upd on devices',
    'drop trigger if exists devices_relay_settings_del on devices',
    'drop trigger if exists devices_relay_settings_ins on devices',
    'drop trigger if exists groups_settings on groups',
    'drop trigger if exists window_assignments_settings on window_assignments',
    'drop trigger if exists policy_targets_settings on policy_targets',
    'drop trigger if exists maintenance_windows_settings on maintenance_windows',
    'drop trigger if exists policies_settings on policies',
    'drop function if exists settings_bump_zone()',
    'drop function if exists settings_bump_window_ref()',
    'drop function if exists settings_bump_policy_ref()',
    'drop function if exists settings_bump_org()',
    'alter table jobs drop column if exists started_at',
    'alter table devices drop column if exists settings_hash, drop column if exists settings_key',
    'alter table organizations drop column if exists settings_revision',
  ])
    await sql.raw(s).execute(db);
}
