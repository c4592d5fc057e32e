import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { eachDriver } from '../support/store.ts';
import { migrate, openStore } from '../../src/store/db.ts';
import { migrationNames } from '../../src/store/migrations/index.ts';
import { DataDirInUseError } from '../../src/store/lock.ts';
import { useNonce } from '../../src/store/repos/identity-repo.ts';

eachDriver('store', (h) => {
  test('the schema covers the whole domain model and migrating again changes nothing', async () => {
    const db = h.store().db;
    const tables = await sql<{
      table_name: string;
    }>`select table_name from information_schema.tables where table_schema = 'public' order by 1`.execute(db);
    const names = tables.rows.map((r) => r.table_name);
    for (const t of [
      'organizations',
      'groups',
      'devices',
      'users',
      'roles',
      'scopes',
      'scope_entries',
      'api_keys',
      'sessions',
      'vendors',
      'products',
      'bulletins',
      'updates',
      'cves',
      'bulletin_supersedence',
      'update_supersedence',
      'device_updates',
      'approvals',
      'policies',
      'maintenance_windows',
      'schedules',
      'tasks',
      'task_instances',
      'task_instance_devices',
      'jobs',
      'events',
      'custom_severities',
      'packages',
    ])
      assert.ok(names.includes(t), `table ${t}`);
    assert.deepEqual(await migrate(db), [], 'already up to date');
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    assert.deepEqual(
      applied.rows.map((r) => r.name),
      migrationNames,
    );
  });

  test('values come back the same on both drivers', async () => {
    const db = h.store().db;
    const org = await db
      .insertInto('organizations')
      .values({ ref: `types-${h.driver}`, name: 'Types', attributes: { tier: 'gold', n: 3 } })
      .returning(['id', 'created_at', 'attributes'])
      .executeTakeFirstOrThrow();
    assert.equal(typeof org.id, 'number');
    assert.ok(org.created_at instanceof Date);
    assert.deepEqual(org.attributes, { tier: 'gold', n: 3 });
    await db
      .insertInto('cves')
      .values({ id: 'CVE-2024-3094', cvss_score: '10.0', kev_added_at: '2024-04-01', epss_probability: 0.5 })
      .execute();
    const cve = await db
      .selectFrom('cves')
      .selectAll()
      .where('id', '=', 'CVE-2024-3094')
      .executeTakeFirstOrThrow();
    assert.equal(cve.cvss_score, '10.0');
    assert.equal(cve.kev_added_at as unknown, '2024-04-01');
    assert.equal(cve.epss_probability, 0.5);
    const g = await db
      .insertInto('groups')
      .values({ organization_id: org.id, name: 'g' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const dev = await db
      .insertInto('devices')
      .values({ organization_id: org.id, group_id: g.id, name: 'd', tags: ['a', 'b'] })
      .returning(['tags', 'scan_sequence'])
      .executeTakeFirstOrThrow();
    assert.deepEqual(dev.tags, ['a', 'b']);
    assert.equal(dev.scan_sequence, 0);
    const n = await sql<{ n: number }>`select count(*) as n from devices`.execute(db);
    assert.equal(typeof n.rows[0]!.n, 'number', 'int8 counts are numbers');
  });

  test('a failed transaction leaves nothing behind; unique violations carry their SQLSTATE', async () => {
    const s = h.store();
    await assert.rejects(
      s.transaction(async (tx) => {
        await tx.insertInto('organizations').values({ ref: 'rolled-back', name: 'R' }).execute();
        await tx.insertInto('organizations').values({ ref: 'rolled-back', name: 'R again' }).execute();
      }),
      (e: { code?: string }) => e.code === '23505',
    );
    const left = await s.db
      .selectFrom('organizations')
      .select('id')
      .where('ref', '=', 'rolled-back')
      .execute();
    assert.equal(left.length, 0);
  });

  test('a one-time value is accepted once until it expires', async () => {
    const db = h.store().db;
    const soon = new Date(Date.now() + 60_000);
    assert.equal(await useNonce(db, 'kaseya', '12345', soon), true);
    assert.equal(await useNonce(db, 'kaseya', '12345', soon), false);
    assert.equal(await useNonce(db, 'other', '12345', soon), true);
  });

  test('advisory locks serialize across connections', async () => {
    const s = h.store();
    const r = await s.transaction(async (tx) => {
      await sql`select pg_advisory_xact_lock(42)`.execute(tx);
      return (await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(42) as ok`.execute(tx)).rows[0]!.ok;
    });
    assert.equal(r, true, 'the holder may take it again');
  });
});

test('two processes never open one embedded data folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchline-lock-'));
  try {
    writeFileSync(join(dir, 'patchline.pid'), String(process.ppid)); // a live process holds it
    await assert.rejects(
      openStore({ dataDir: dir, migrate: false }),
      (e: unknown) => e instanceof DataDirInUseError && /in use by process/.test((e as Error).message),
    );
    writeFileSync(join(dir, 'patchline.pid'), '999999999'); // a dead one: taken over
    const s = await openStore({ dataDir: dir });
    await assert.rejects(openStore({ dataDir: dir }), DataDirInUseError, 'held while open');
    await s.db.insertInto('organizations').values({ ref: 'kept', name: 'Kept' }).execute();
    await s.close();
    const again = await openStore({ dataDir: dir });
    assert.equal(
      (await again.db.selectFrom('organizations').select('name').executeTakeFirst())?.name,
      'Kept',
      'data survives a reopen',
    );
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
