// Loads 20,000 devices with 300 update states each (6M device_updates rows) into a PostgreSQL database
// made for the run and dropped after it; times the organization-wide compliance summary (median of
// several runs) and, in the same run, the naive aggregate over device_updates. Then gives three quarters of
// the bulletins one of the organization's custom severities and times the summary again, now with the
// counts by custom severity (migration 0008). Last line: one JSON object.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { openStore } from '../src/store/db.ts';
import { systemContext } from '../src/services/context.ts';
import { complianceSummary } from '../src/services/compliance.ts';
import { ALL_ACCESS } from '../src/core/access.ts';
import {
  OUTSTANDING_STATUSES,
  summarizeByCustomSeverity,
  summarizeByCustomSeverityNaive,
  summarizeNaive,
} from '../src/store/repos/compliance-repo.ts';
import { replaceCustomSeverities, setBulletinCustomSeverity } from '../src/services/catalog.ts';

const DEVICES = Number(process.env.BENCH_COMPLIANCE_DEVICES ?? 20_000);
const UPDATES = Number(process.env.BENCH_COMPLIANCE_UPDATES ?? 300);
const BULLETINS = Math.max(4, Math.floor(UPDATES / 3));
const RUNS = 9;
const TARGET_MS = 100;
const PG_URL = process.env.PATCHLINE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sqlText: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sqlText);
  } finally {
    await c.end();
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time<T>(runs: number, fn: () => Promise<T>) {
  const ms: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn();
    ms.push(performance.now() - t0);
  }
  return { median: Math.round(median(ms) * 10) / 10, runs: ms.map((x) => Math.round(x)), last: last as T };
}

const name = `patchline_bench_${randomBytes(4).toString('hex')}`;
await admin(`create database ${name}`);
const url = new URL(PG_URL);
url.pathname = `/${name}`;
let result: Record<string, unknown> | undefined;
try {
  const store = await openStore({ databaseUrl: url.toString(), poolSize: 4 });
  try {
    const db = store.db;
    const t0 = performance.now();
    const org = await db
      .insertInto('organizations')
      .values({ ref: 'bench', name: 'Bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const group = await db
      .insertInto('groups')
      .values({ organization_id: org.id, name: 'All', is_root: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const severities = ['critical', 'high', 'medium', 'low', 'unknown'];
    const updates = Array.from({ length: UPDATES }, (_, i) => ({
      natural_key: `deb:pkg${i}:1.${i}-1:amd64`,
      kind: 'deb',
      name: `pkg${i}`,
      package_name: `pkg${i}`,
      version: `1.${i}-1`,
      severity: severities[i % severities.length]!,
      is_security: i % 2 === 0,
    }));
    await db.insertInto('updates').values(updates).execute();
    const cves = Array.from({ length: UPDATES }, (_, i) => ({
      id: `CVE-2026-${String(10000 + i)}`,
      cvss_score: String((i % 100) / 10),
      known_exploited: i % 37 === 0,
    }));
    await db.insertInto('cves').values(cves).execute();
    await sql`insert into update_cves (update_id, cve_id)
      select u.id, 'CVE-2026-' || (10000 + substr(u.name, 4)::int)::text from updates u`.execute(db);
    console.log(`catalog: ${UPDATES} updates with one CVE each`);

    for (let i = 0; i < DEVICES; i += 5000) {
      const n = Math.min(5000, DEVICES - i);
      await db
        .insertInto('devices')
        .values(
          Array.from({ length: n }, (_, k) => ({
            organization_id: org.id,
            group_id: group.id,
            name: `host-${i + k}`,
            os_family: 'linux',
            reboot_required: (i + k) % 50 === 0,
            last_seen_at: new Date(Date.now() - ((i + k) % 20) * 86_400_000),
            last_scan_at: new Date(),
          })),
        )
        .execute();
    }
    console.log(`devices: ${DEVICES} (${Math.round(performance.now() - t0)} ms)`);

    // statuses by a hash of (device, update): mostly installed, some missing, pending, failed, …
    const statusOf = `case
      when h < 70 then 'installed' when h < 82 then 'missing' when h < 88 then 'pending'
      when h < 91 then 'failed' when h < 93 then 'reboot_required' when h < 97 then 'ignored'
      else 'not_applicable' end`;
    const ids = (await db.selectFrom('devices').select('id').orderBy('id').execute()).map((r) => r.id);
    const batch = 1000;
    const tLoad = performance.now();
    // bulk load without per-statement work (foreign keys, the summary triggers); the summary rows are
    // then built by the same recount function the migration uses, and checked against the naive query
    await sql`alter table device_updates disable trigger all`.execute(db);
    for (let i = 0; i < ids.length; i += batch) {
      const lo = ids[i]!;
      const hi = ids[Math.min(i + batch, ids.length) - 1]!;
      await sql
        .raw(
          `insert into device_updates (device_id, update_id, organization_id, detection, status)
           select x.device_id, x.update_id, ${org.id},
             case when x.status in ('installed', 'reboot_required') then 'installed'
                  when x.status = 'not_applicable' then 'not_applicable' else 'missing' end, x.status
           from (select d.id as device_id, u.id as update_id, ${statusOf} as status
                 from (select id, (id * 7919) as k from devices where id between ${lo} and ${hi}) d
                 cross join updates u
                 cross join lateral (select abs((d.k + u.id * 104729) % 100) as h) hh) x`,
        )
        .execute(db);
      const done = Math.min(i + batch, ids.length);
      if (done % 5000 === 0 || done === ids.length)
        console.log(
          `device_updates: ${done * UPDATES} rows (${done} devices), ${Math.round((done * UPDATES) / ((performance.now() - tLoad) / 1000))} rows/s`,
        );
    }
    await sql`alter table device_updates enable trigger all`.execute(db);
    const tRecount = performance.now();
    await sql`select compliance_recount(array(select id from devices))`.execute(db);
    console.log(`summary rows rebuilt in ${Math.round(performance.now() - tRecount)} ms`);
    console.log('vacuum analyze …');
    await sql`vacuum analyze device_updates`.execute(db);
    await sql`vacuum analyze device_compliance`.execute(db);
    await sql`vacuum analyze devices`.execute(db);
    const loadMs = Math.round(performance.now() - t0);

    const ctx = systemContext(store, 'bench');
    await complianceSummary(ctx, { organizationId: org.id }); // warm up
    const summary = await time(RUNS, () => complianceSummary(ctx, { organizationId: org.id }));
    const set = { kind: 'organization', organizationId: org.id } as const;
    const since = new Date(Date.now() - 7 * 86_400_000);
    const naiveCves = () =>
      sql<{ n: number }>`select count(distinct uc.cve_id)::int as n from device_updates du
        join update_cves uc on uc.update_id = du.update_id
        where du.organization_id = ${org.id} and du.status in (${sql.join([...OUTSTANDING_STATUSES])})`.execute(
        db,
      );
    const naive = await time(3, async () => {
      const s = await summarizeNaive(db, ALL_ACCESS, set, since);
      const c = await naiveCves();
      return { ...s, cves: c.rows[0]!.n };
    });
    const s = summary.last;
    const agree =
      JSON.stringify(s.updates.bySeverity) === JSON.stringify(naive.last.bySeverity) &&
      JSON.stringify(s.devices) === JSON.stringify(naive.last.counts) &&
      s.cves.open === naive.last.cves;
    console.log(
      `summary: devices ${JSON.stringify(s.devices)}, totals ${JSON.stringify(s.updates.totals)}, open CVEs ${s.cves.open}`,
    );
    console.log(
      `organization summary: median ${summary.median} ms over ${RUNS} runs (${summary.runs.join(', ')})`,
    );
    console.log(`naive aggregate: median ${naive.median} ms over 3 runs (${naive.runs.join(', ')})`);
    console.log(`the two agree: ${agree}`);

    // custom severities: every update belongs to a bulletin (three updates each); three names share
    // three quarters of the bulletins, the last quarter has none
    const bulletinIds: number[] = [];
    for (let i = 0; i < BULLETINS; i++) {
      const b = await db
        .insertInto('bulletins')
        .values({ source: 'bench', external_id: `BENCH-${i}`, title: `bench ${i}`, data: {} })
        .returning('id')
        .executeTakeFirstOrThrow();
      bulletinIds.push(Number(b.id));
    }
    await sql`update updates u set bulletin_id = (${sql.val(bulletinIds)}::bigint[])[1 + (substr(u.name, 4)::int % ${BULLETINS})]`.execute(
      db,
    );
    const names = ['Patch Tuesday', 'Out of band', 'Next cycle', 'Never'];
    await replaceCustomSeverities(
      ctx,
      org.id,
      names.map((name, i) => ({
        order: i + 1,
        name,
        level: (['critical', 'high', 'low', 'none'] as const)[i]!,
      })),
    );
    const tAssign = performance.now();
    for (let k = 0; k < 3; k++)
      await setBulletinCustomSeverity(
        ctx,
        org.id,
        bulletinIds.filter((_, i) => i % 4 === k),
        names[k]!,
      );
    const assignMs = Math.round(performance.now() - tAssign);
    console.log(`custom severities given to ${Math.ceil((BULLETINS * 3) / 4)} bulletins in ${assignMs} ms`);
    await sql`vacuum analyze device_custom_compliance`.execute(db);
    await complianceSummary(ctx, { organizationId: org.id }); // warm up
    const custom = await time(RUNS, () => complianceSummary(ctx, { organizationId: org.id }));
    const customPart = await time(RUNS, () => summarizeByCustomSeverity(db, ALL_ACCESS, set));
    const customNaive = await time(3, () => summarizeByCustomSeverityNaive(db, ALL_ACCESS, set));
    const kept = Object.fromEntries(custom.last.updates.byCustomSeverity.map((c) => [c.name, c.counts]));
    const naiveByName = Object.fromEntries(
      names.map((n) => [n, customNaive.last.get(n) ?? { missing: 0, pending: 0, failed: 0, installed: 0 }]),
    );
    const agreeCustom =
      JSON.stringify(kept) === JSON.stringify(naiveByName) &&
      JSON.stringify(custom.last.updates.bySeverity) === JSON.stringify(s.updates.bySeverity);
    console.log(`by custom severity: ${JSON.stringify(kept)}`);
    console.log(
      `organization summary with custom severities: median ${custom.median} ms over ${RUNS} runs (${custom.runs.join(', ')})`,
    );
    console.log(`of which the counts by custom severity: median ${customPart.median} ms`);
    console.log(
      `naive custom aggregate: median ${customNaive.median} ms over 3 runs (${customNaive.runs.join(', ')})`,
    );
    console.log(`the two agree: ${agreeCustom}`);
    result = {
      name: 'compliance',
      devices: DEVICES,
      update_states: DEVICES * UPDATES,
      load_ms: loadMs,
      summary_ms: summary.median,
      naive_ms: naive.median,
      speedup: Math.round((naive.median / summary.median) * 10) / 10,
      agree,
      custom_summary_ms: custom.median,
      custom_counts_ms: customPart.median,
      custom_naive_ms: customNaive.median,
      custom_assign_ms: assignMs,
      custom_agree: agreeCustom,
      target_ms: TARGET_MS,
      pass: agree && agreeCustom && summary.median < TARGET_MS && custom.median < TARGET_MS,
    };
  } finally {
    await store.close();
  }
} finally {
  await admin(`drop database if exists ${name} with (force)`);
}
console.log(JSON.stringify(result ?? { name: 'compliance', pass: false }));
