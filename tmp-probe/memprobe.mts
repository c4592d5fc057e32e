import { openStore } from '/work/main/src/store/db.ts';
import { sql } from 'kysely';
import { createOrganization } from '/work/main/src/services/organizations.ts';
import { systemContext } from '/work/main/src/services/context.ts';
import { warmCheckins, deviceMemoryStats } from '/work/main/src/services/agents.ts';
import { deviceMemory } from '/work/main/src/services/device-cache.ts';
const store = await openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/memprobe' });
const n = Number((await sql<{ n: number }>`select count(*)::int as n from devices`.execute(store.db)).rows[0]!.n);
if (n === 0) {
  const o = await createOrganization(systemContext(store), { name: 'a' });
  const org = o.id; const grp = (o as any).rootGroupId;
  await sql`insert into devices (organization_id, group_id, name, hostname, os_family, credential_hash, credential_generation, enrolled_at, last_seen_at, settings_key, settings_hash)
    select ${org}, ${grp}, 'd' || g, 'd' || g, 'linux', encode(sha256(convert_to('c' || g, 'UTF8')), 'hex'), 1, now(), now(), 'k1', 'h1' from generate_series(1, 1000000) g`.execute(store.db);
  await sql`analyze devices`.execute(store.db);
}
console.log((await sql`explain select id from devices where credential_hash = any(${['a','b']}::text[])`.execute(store.db)).rows);
global.gc!();
const h0 = process.memoryUsage();
const t0 = performance.now();
deviceMemory(store);
const got = await warmCheckins(store);
console.log('warm', got, ((performance.now() - t0) / 1000).toFixed(1), 's', deviceMemoryStats(store));
const h1 = process.memoryUsage();
global.gc!();
const h2 = process.memoryUsage();
console.log('heap before', h0.heapUsed / 1e6, 'after', h1.heapUsed / 1e6, 'after gc', h2.heapUsed / 1e6, 'rss', h2.rss / 1e6);
const m = deviceMemory(store);
const e = m.byHash.values().next().value;
console.log(e, new Function("o", "return %HasFastProperties(o)")(e));

const g = () => { global.gc!(); return Math.round(process.memoryUsage().heapUsed / 1e6); };
console.log('now', g());
// re-key with fresh flat strings
const keys = [...m.byHash.keys()];
console.log('keys array', g());
const flat = keys.map((k) => (' ' + k).slice(1));
console.log('flat copies', g());
const e2 = [...m.byHash.values()].map((e) => ({ ...e }));
console.log('entry copies', g());
m.byHash.clear(); m.hashOf.clear();
console.log('cleared', g());
process.exit(0);
