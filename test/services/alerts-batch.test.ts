import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { consumeEvents, newConsumerState } from '../../src/services/alerts.ts';
import { Context, systemContext } from '../../src/services/context.ts';
import { record } from '../../src/services/events.ts';
import type { Store } from '../../src/store/db.ts';
import { countingStore } from '../support/counting-store.ts';
import { eachDriver } from '../support/store.ts';

// The alert consumer raises a batch's alerts in a fixed number of statements, whatever the number of
// events: a release day detects thousands of missing updates at once, and each detection drafts an
// "approval waiting" alert (one per update, the first detection's). Same alerts as one at a time.

eachDriver('alert consumer: a batch of detections', (h) => {
  /** `devices` × `updates` detections of missing updates; returns the statements consumeEvents sent */
  async function detect(store: Store, tag: string, devices: number, updates: number) {
    const db = store.db;
    const org = await db
      .insertInto('organizations')
      .values({ ref: tag, name: tag })
      .returning('id')
      .executeTakeFirstOrThrow();
    const group = await db
      .insertInto('groups')
      .values({ organization_id: org.id, name: 'root', is_root: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const deviceIds: number[] = [];
    for (let d = 0; d < devices; d++)
      deviceIds.push(
        (
          await db
            .insertInto('devices')
            .values({ organization_id: org.id, group_id: group.id, name: `${tag}-d${d}` })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    const updateIds: number[] = [];
    for (let u = 0; u < updates; u++)
      updateIds.push(
        (
          await db
            .insertInto('updates')
            .values({ natural_key: `simulated:${tag}-u${u}`, kind: 'simulated', name: `${tag}-u${u}` })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    const ctx = systemContext(store, 'scan');
    await store.transaction((tx) =>
      record(
        ctx,
        tx,
        deviceIds.flatMap((deviceId) =>
          updateIds.map((updateId) => ({
            kind: 'device_update.detected',
            organizationId: org.id,
            subjectType: 'device_update',
            subjectId: `${deviceId}:${updateId}`,
            deviceId,
            updateId,
            data: { from: null, to: 'missing', reason: 'scan' },
          })),
        ),
      ),
    );
    const counting = countingStore(store);
    const consumer = new Context(counting, systemContext(counting, 'alerts').actor, () => new Date());
    counting.reset();
    const read = await consumeEvents(consumer, newConsumerState(), { limit: 500 });
    assert.equal(read, devices * updates);
    const alerts = await sql<{ update_id: number; source_event_id: number; device_id: number | null }>`
      select update_id, source_event_id, device_id from alerts
      where organization_id = ${org.id} and kind = 'approval.waiting' order by update_id`.execute(db);
    // one alert per update, raised by its first detection (the first device's)
    const first = await sql<{ id: number; update_id: number }>`
      select min(id) as id, update_id from events where organization_id = ${org.id} group by update_id
      order by update_id`.execute(db);
    assert.deepEqual(
      alerts.rows.map((a) => [Number(a.update_id), Number(a.source_event_id), a.device_id]),
      first.rows.map((e) => [Number(e.update_id), Number(e.id), null]),
    );
    return counting.statements.length;
  }

  test('raises one alert per update in as many statements for 60 detections as for 2', async () => {
    const store = h.store();
    const small = await detect(store, 'batch-small', 1, 2);
    const large = await detect(store, 'batch-large', 6, 10);
    assert.equal(large, small);
  });
});
