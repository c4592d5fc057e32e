import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { SEVERITIES, type Severity } from '../../src/core/severity.ts';
import {
  BUCKETS,
  COMPLIANCE_BUCKETS,
  inGroup,
  OUTSTANDING,
  UPDATE_STATUSES,
  type ComplianceBucket,
  type UpdateStatus,
} from '../../src/core/status.ts';
import type { Db } from '../../src/store/db.ts';
import { eachDriver } from '../support/store.ts';

// The compliance triggers of migrations 0005 (device_compliance) and 0008 (device_custom_compliance)
// spell their status lists out, since a landed migration is never edited; core/status.ts holds the named
// groups everything else derives from. This test is the link: for every status it inserts, updates and
// deletes a device update and checks that exactly the columns the core groups name move. A change of a
// group in core without a migration that rewrites the triggers fails here.

const NAME = 'Patch first'; // the custom severity the update's bulletin has in the organization

const bucketOf = (s: UpdateStatus): ComplianceBucket | undefined =>
  BUCKETS.find((b) => inGroup(COMPLIANCE_BUCKETS[b], s));

/** the counts 0005 must keep for one device update in status `s` of severity `sev`: the non-zero ones */
function expectedSummary(s: UpdateStatus, sev: Severity): Record<string, number> {
  const out: Record<string, number> = {};
  const b = bucketOf(s);
  if (b) out[`${b}_${sev}`] = 1;
  if (inGroup(OUTSTANDING, s)) out.outstanding = 1;
  if (s === 'reboot_required') out.reboot_pending = 1;
  return out;
}

/** the counts 0008 must keep under the custom severity's name: the non-zero ones */
function expectedCustom(s: UpdateStatus): Record<string, Record<string, number>> {
  const b = bucketOf(s);
  return b ? { [NAME]: { [b]: 1 } } : {};
}

const nonZero = (row: Record<string, unknown>, skip: string[]) =>
  Object.fromEntries(
    Object.entries(row)
      .filter(([k, v]) => !skip.includes(k) && Number(v) !== 0)
      .map(([k, v]) => [k, Number(v)]),
  );

async function summary(db: Db, deviceId: number): Promise<Record<string, number>> {
  const r = await sql<Record<string, unknown>>`
    select * from device_compliance where device_id = ${deviceId}`.execute(db);
  return r.rows[0] ? nonZero(r.rows[0], ['device_id', 'organization_id']) : {};
}

async function custom(db: Db, deviceId: number): Promise<Record<string, Record<string, number>>> {
  const r = await sql<Record<string, unknown> & { name: string }>`
    select * from device_custom_compliance where device_id = ${deviceId}`.execute(db);
  const out: Record<string, Record<string, number>> = {};
  for (const row of r.rows) {
    const counts = nonZero(row, ['device_id', 'organization_id', 'name']);
    if (Object.keys(counts).length) out[row.name] = counts;
  }
  return out;
}

eachDriver('compliance triggers against the status groups of core', (h) => {
  const ids = { org: 0, device: 0, update: 0, bulletin: 0 };

  before(async () => {
    const db = h.store().db;
    const org = await db
      .insertInto('organizations')
      .values({ ref: 'status-groups', name: 'Status groups' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const group = await db
      .insertInto('groups')
      .values({ organization_id: org.id, name: 'root', is_root: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const device = await db
      .insertInto('devices')
      .values({ organization_id: org.id, group_id: group.id, name: 'd' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const bulletin = await db
      .insertInto('bulletins')
      .values({ source: 'manual', external_id: 'STATUS-GROUPS-1' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const update = await db
      .insertInto('updates')
      .values({
        natural_key: 'simulated:status-groups',
        kind: 'simulated',
        name: 'status-groups',
        severity: 'high',
        bulletin_id: bulletin.id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('bulletin_custom_severities')
      .values({ organization_id: org.id, bulletin_id: bulletin.id, name: NAME })
      .execute();
    Object.assign(ids, { org: org.id, device: device.id, update: update.id, bulletin: bulletin.id });
  });

  const setStatus = (db: Db, status: UpdateStatus) =>
    db
      .updateTable('device_updates')
      .set({ status })
      .where('device_id', '=', ids.device)
      .where('update_id', '=', ids.update)
      .execute();

  const check = async (db: Db, s: UpdateStatus, sev: Severity, what: string) => {
    assert.deepEqual(await summary(db, ids.device), expectedSummary(s, sev), `0005, ${what}`);
    assert.deepEqual(await custom(db, ids.device), expectedCustom(s), `0008, ${what}`);
  };

  /** a failing status leaves the next one a clean start: no device update, severity high, name given */
  const reset = async (db: Db) => {
    await db.deleteFrom('device_updates').where('device_id', '=', ids.device).execute();
    await db.updateTable('updates').set({ severity: 'high' }).where('id', '=', ids.update).execute();
    await db
      .insertInto('bulletin_custom_severities')
      .values({ organization_id: ids.org, bulletin_id: ids.bulletin, name: NAME })
      .onConflict((oc) => oc.columns(['organization_id', 'bulletin_id']).doNothing())
      .execute();
  };

  for (const s of UPDATE_STATUSES)
    test(`a device update '${s}' moves the columns its groups name, and only those`, async (t) => {
      const db = h.store().db;
      t.after(() => reset(db));
      assert.deepEqual(await summary(db, ids.device), {}, 'nothing counted before');
      assert.deepEqual(await custom(db, ids.device), {}, 'nothing counted before (custom)');

      // insert trigger
      await db
        .insertInto('device_updates')
        .values({
          device_id: ids.device,
          update_id: ids.update,
          organization_id: ids.org,
          detection: 'missing',
          status: s,
        })
        .execute();
      await check(db, s, 'high', `inserted as '${s}'`);

      // update trigger: from s to every status (and back)
      for (const to of UPDATE_STATUSES) {
        await setStatus(db, to);
        await check(db, to, 'high', `'${s}' changed to '${to}'`);
        await setStatus(db, s);
        await check(db, s, 'high', `'${to}' changed back to '${s}'`);
      }

      // 0005's recount when the update's severity changes
      for (const sev of SEVERITIES) {
        await db.updateTable('updates').set({ severity: sev }).where('id', '=', ids.update).execute();
        await check(db, s, sev, `'${s}' of severity ${sev}`);
      }
      await db.updateTable('updates').set({ severity: 'high' }).where('id', '=', ids.update).execute();

      // 0008's triggers on the bulletin's custom severity: taken away, given again
      await db
        .deleteFrom('bulletin_custom_severities')
        .where('organization_id', '=', ids.org)
        .where('bulletin_id', '=', ids.bulletin)
        .execute();
      assert.deepEqual(await custom(db, ids.device), {}, `0008, '${s}' without a custom severity`);
      await db
        .insertInto('bulletin_custom_severities')
        .values({ organization_id: ids.org, bulletin_id: ids.bulletin, name: NAME })
        .execute();
      await check(db, s, 'high', `'${s}' given its custom severity again`);

      // delete trigger
      await db
        .deleteFrom('device_updates')
        .where('device_id', '=', ids.device)
        .where('update_id', '=', ids.update)
        .execute();
      assert.deepEqual(await summary(db, ids.device), {}, `0005, '${s}' deleted`);
      assert.deepEqual(await custom(db, ids.device), {}, `0008, '${s}' deleted`);
    });

  test('every status the summaries count falls in exactly one bucket', () => {
    for (const s of UPDATE_STATUSES)
      assert.ok(BUCKETS.filter((b) => inGroup(COMPLIANCE_BUCKETS[b], s)).length <= 1, s);
    for (const s of OUTSTANDING) assert.ok(bucketOf(s), `outstanding '${s}' is counted`);
  });
});
