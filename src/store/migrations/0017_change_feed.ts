import { sql, type Kysely } from 'kysely';

// The change feed: every replica answers idle check-ins from memory (services/device-cache.ts) and
// learns from the database what changed, by LISTEN on one channel (store/change-feed.ts). These triggers
// NOTIFY on the rows that change what a device must be told:
// - `d:<device id>`: its credential, status (revocation), organization, group, name, zone, check-in
//   interval, relay role or scan sequence changed, or it was deleted (also when its organization is);
// - `d:<device id>`: one of its jobs was created, changed status or was deleted;
// - `o:<organization id>:<revision>`: the organization's settings revision moved (migration 0009 bumps it
//   for every change of policies, windows, targets, relays, group tree and the organization's zone).
// A device row's own check-in writes (last_seen_at, agent version, inventory, settings hash) notify
// nothing: the replica that wrote them keeps its memory in step, the others notice the difference on the
// next check-in. Inserted devices notify nothing either (nothing is remembered about them yet), so bulk
// enrollment costs no notifications. The payload format is parsed by store/change-feed.ts.
const statements = [
  `create function change_feed_device() returns trigger language plpgsql as $$
  begin
    perform pg_notify('patchline_changes', 'd:' || old.id);
    return null;
  end $$`,
  `create function change_feed_job() returns trigger language plpgsql as $$
  begin
    if tg_op <> 'INSERT' then perform pg_notify('patchline_changes', 'd:' || old.device_id); end if;
    if tg_op <> 'DELETE' and (tg_op = 'INSERT' or new.device_id is distinct from old.device_id) then
      perform pg_notify('patchline_changes', 'd:' || new.device_id);
    end if;
    return null;
  end $$`,
  `create function change_feed_organization() returns trigger language plpgsql as $$
  begin
    perform pg_notify('patchline_changes', 'o:' || new.id || ':' || new.settings_revision);
    return null;
  end $$`,
  `create trigger devices_change_feed_upd after update on devices
    for each row when (
      old.credential_hash is distinct from new.credential_hash
      or old.credential_generation is distinct from new.credential_generation
      or old.status is distinct from new.status
      or old.organization_id is distinct from new.organization_id
      or old.group_id is distinct from new.group_id
      or old.name is distinct from new.name
      or old.time_zone is distinct from new.time_zone
      or old.checkin_interval_seconds is distinct from new.checkin_interval_seconds
      or old.is_relay is distinct from new.is_relay
      or old.scan_sequence is distinct from new.scan_sequence)
    execute function change_feed_device()`,
  `create trigger devices_change_feed_del after delete on devices
    for each row execute function change_feed_device()`,
  `create trigger jobs_change_feed after insert or delete or update of status, device_id on jobs
    for each row execute function change_feed_job()`,
  `create trigger organizations_change_feed after update of settings_revision on organizations
    for each row when (old.settings_revision is distinct from new.settings_revision)
    execute function change_feed_organization()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const s of [
    'drop trigger if exists organizations_change_feed on organizations',
    'drop trigger if exists jobs_change_feed on jobs',
    'drop trigger if exists devices_change_feed_del on devices',
    'drop trigger if exists devices_change_feed_upd on devices',
    'drop function if exists change_feed_organization()',
    'drop function if exists change_feed_job()',
    'drop function if exists change_feed_device()',
  ])
    await sql.raw(s).execute(db);
}
