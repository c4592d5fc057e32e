import { openStore } from '/work/main/src/store/db.ts';
import { sql } from 'kysely';
import * as repo from '/work/main/src/store/repos/agents-repo.ts';
import pg from 'pg';
const url = 'postgres://postgres@127.0.0.1:5432/memprobe';
const store = await openStore({ databaseUrl: url });
for (const size of [10000, 2000]) {
  let after = 0, n = 0; const t0 = performance.now();
  for (;;) { const rows = await repo.idleDevicesPage(store.db, after, size); if (!rows.length) break; n += rows.length; after = rows.at(-1)!.id; }
  console.log('kysely pages', size, n, ((performance.now() - t0) / 1000).toFixed(2), 's');
}
const c = new pg.Client({ connectionString: url }); await c.connect();
{
  let after = 0, n = 0; const t0 = performance.now(); let db = 0;
  for (;;) {
    const q0 = performance.now();
    const r = await c.query({ text: `explain analyze select d.id, d.organization_id, d.group_id, d.status, d.scan_sequence, d.agent_version, d.reboot_required, d.time_zone, d.checkin_interval_seconds, d.settings_key, d.settings_hash, o.settings_revision, d.credential_hash, d.inventory->>'machineId', exists (select 1 from jobs j where j.device_id = d.id and j.status in ('pending','delivered','running')) from devices d join organizations o on o.id = d.organization_id where d.id > $1 and d.credential_hash is not null order by d.id limit 10000`, values: [after] });
    console.log(r.rows.slice(-3).map((x: any) => x['QUERY PLAN']).join(' | ')); break;
  }
}
{
  let after = 0, n = 0; const t0 = performance.now();
  for (;;) {
    const r = await c.query({ text: `select d.id, concat_ws(' ', d.organization_id, d.group_id, d.status, d.scan_sequence, d.checkin_interval_seconds, d.reboot_required, d.credential_hash, o.settings_revision) as a, d.agent_version, d.time_zone, d.settings_key, d.settings_hash, d.inventory->>'machineId' as m, exists (select 1 from jobs j where j.device_id = d.id and j.status in ('pending','delivered','running')) as j from devices d join organizations o on o.id = d.organization_id where d.id > $1 and d.credential_hash is not null order by d.id limit 10000`, values: [after] });
    if (!r.rows.length) break; n += r.rows.length; after = Number(r.rows.at(-1).id);
  }
  console.log('raw narrow', n, ((performance.now() - t0) / 1000).toFixed(2), 's');
}
process.exit(0);
