import pg from 'pg';
const url = 'postgres://postgres@127.0.0.1:5432/memprobe';
const c = new pg.Client({ connectionString: url }); await c.connect();
const nul = (s: string) => (s === '\\N' ? null : s);
for (let rep = 0; rep < 2; rep++) {
  let after = 0, n = 0; const t0 = performance.now(); let sink = 0;
  for (;;) {
    const r = await c.query({ name: 'w1', rowMode: 'array', text: `select concat_ws(e'\\t', d.id, d.organization_id, d.group_id, d.status, d.scan_sequence, coalesce(d.agent_version, '\\N'), d.reboot_required, coalesce(d.time_zone, '\\N'), d.checkin_interval_seconds, coalesce(d.settings_key, '\\N'), coalesce(d.settings_hash, '\\N'), o.settings_revision, d.credential_hash, coalesce(d.inventory->>'machineId', '\\N'), exists (select 1 from jobs j where j.device_id = d.id and j.status in ('pending','delivered','running'))) from devices d join organizations o on o.id = d.organization_id where d.id > $1 and d.credential_hash is not null order by d.id limit 2000`, values: [after] });
    if (!r.rows.length) break;
    for (const [line] of r.rows as string[][]) {
      const f = line!.split('\t');
      const o = { id: Number(f[0]), organization_id: Number(f[1]), group_id: Number(f[2]), status: f[3], scan_sequence: Number(f[4]), agent_version: nul(f[5]!), reboot_required: f[6] === 't', time_zone: nul(f[7]!), checkin_interval_seconds: Number(f[8]), settings_key: nul(f[9]!), settings_hash: nul(f[10]!), org_settings_revision: Number(f[11]), credential_hash: f[12], machine_id: nul(f[13]!), has_open_jobs: f[14] === 't' };
      sink += o.id; after = o.id;
    }
    n += r.rows.length;
  }
  console.log('one column', n, ((performance.now() - t0) / 1000).toFixed(2), 's');
}
process.exit(0);
