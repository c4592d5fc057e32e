// Imports 100,000 OSV records (generated in memory, real OSV format) into a PostgreSQL database made for
// the run and dropped after it; prints records per second. Last line: one JSON object.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../src/store/db.ts';
import { systemContext } from '../src/services/context.ts';
import { importAdvisories } from '../src/services/importers.ts';

const COUNT = Number(process.env.BENCH_IMPORT_COUNT ?? 100_000);
const TARGET_PER_SECOND = 2_000;
const PG_URL = process.env.PATCHLINE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function record(i: number) {
  const year = 2015 + (i % 10);
  return {
    schema_version: '1.6.0',
    id: `DSA-${10000 + i}-1`,
    modified: '2024-07-01T00:00:00Z',
    published: new Date(Date.UTC(year, i % 12, 1 + (i % 28))).toISOString(),
    upstream: [`CVE-${year}-${String(10000 + i).padStart(5, '0')}`, `CVE-${year}-${String(200000 + i)}`],
    summary: `pkg${i % 5000} - security update`,
    details: `Several vulnerabilities were discovered in pkg${i % 5000}.`,
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: `pkg${i % 5000}` },
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [{ introduced: '0' }, { fixed: `1.${i % 97}.${i % 13}-1+deb12u${1 + (i % 4)}` }],
          },
        ],
      },
    ],
    references: [{ type: 'ADVISORY', url: `https://www.debian.org/security/dsa-${10000 + i}` }],
  };
}

async function admin(sqlText: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sqlText);
  } finally {
    await c.end();
  }
}

const lines: string[] = [];
for (let i = 0; i < COUNT; i++) lines.push(JSON.stringify(record(i)));
const bytes = new TextEncoder().encode(lines.join('\n'));
console.log(`generated ${COUNT} OSV records (${(bytes.length / 1e6).toFixed(1)} MB of JSON lines)`);

const name = `patchline_bench_${randomBytes(4).toString('hex')}`;
await admin(`create database ${name}`);
const url = new URL(PG_URL);
url.pathname = `/${name}`;
let result: Record<string, unknown> | undefined;
try {
  const store = await openStore({ databaseUrl: url.toString(), poolSize: 4 });
  try {
    const ctx = systemContext(store, 'bench');
    const t0 = performance.now();
    let last = 0;
    const r = await importAdvisories(ctx, { format: 'osv', bytes, fileName: 'bench.jsonl' }, (p) => {
      if (p.read - last >= 20_000) {
        last = p.read;
        console.log(`${p.read} read, ${p.imported} imported, ${Math.round(performance.now() - t0)} ms`);
      }
    });
    const ms = Math.round(performance.now() - t0);
    const t1 = performance.now();
    const again = await importAdvisories(ctx, { format: 'osv', bytes, fileName: 'bench.jsonl' });
    const againMs = Math.round(performance.now() - t1);
    const perSecond = Math.round((COUNT / ms) * 1000);
    console.log(
      `import: ${r.imported} records in ${ms} ms = ${perSecond} records/s; errors ${r.errors.length}`,
    );
    console.log(`re-import (unchanged ${again.unchanged}): ${againMs} ms`);
    result = {
      name: 'import',
      records: COUNT,
      imported: r.imported,
      errors: r.errors.length,
      ms,
      records_per_second: perSecond,
      reimport_ms: againMs,
      reimport_unchanged: again.unchanged,
      target_records_per_second: TARGET_PER_SECOND,
      pass:
        r.imported === COUNT &&
        r.errors.length === 0 &&
        again.unchanged === COUNT &&
        perSecond >= TARGET_PER_SECOND,
    };
  } finally {
    await store.close();
  }
} finally {
  await admin(`drop database if exists ${name} with (force)`);
}
console.log(JSON.stringify(result ?? { name: 'import', pass: false }));
