import { openStore } from '/work/main/src/store/db.ts';
import * as repo from '/work/main/src/store/repos/agents-repo.ts';
import { DeviceMemory } from '/work/main/src/services/device-cache.ts';
const store = await openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/memprobe' });
const pages: any[] = [];
let after = 0;
for (;;) { const rows = await repo.idleDevicesPage(store.db, after, 10000); if (!rows.length) break; pages.push(rows); after = rows.at(-1)!.id; }
const m = new DeviceMemory(); m.epoch = 1;
const t0 = performance.now();
for (const p of pages) await m.readIn(async () => p);
console.log('remember 1M', ((performance.now() - t0) / 1000).toFixed(2), 's');
process.exit(0);
