// The memory of devices for idle check-ins (services/device-cache.ts): what a read puts in memory, and
// what it must not (a device the change feed dropped while it was read, an entry a check-in remembered
// meanwhile), without a database: the reads are functions here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeviceMemory, type WarmRow } from '../../src/services/device-cache.ts';

const row = (id: number, over: Partial<WarmRow> = {}): WarmRow => ({
  id,
  organization_id: 1,
  group_id: 2,
  status: 'active',
  scan_sequence: 0,
  agent_version: '1.0.0',
  reboot_required: false,
  time_zone: 'UTC',
  checkin_interval_seconds: 300,
  settings_key: 'key',
  settings_hash: 'hash',
  machine_id: null,
  credential_hash: `h${id}`,
  org_settings_revision: 1,
  has_open_jobs: false,
  ...over,
});

/** a memory whose feed listens (epoch 1) */
function listening() {
  const m = new DeviceMemory();
  m.epoch = 1;
  return m;
}

describe('device memory: reads', () => {
  test('a read remembers its rows under the epoch it began in', async () => {
    const m = listening();
    const r = await m.readIn(async () => [row(1), row(2, { has_open_jobs: true })]);
    assert.deepEqual([r.remembered, r.lost], [2, false]);
    const e = m.get('h2', Date.now());
    assert.ok(e);
    assert.deepEqual([e.id, e.epoch, e.open_jobs, e.revision], [2, 1, true, 1]);
  });

  test('a device the feed drops while it is read is not remembered (its row may be stale)', async () => {
    const m = listening();
    const r = await m.readIn(async () => {
      m.apply('d:1'); // the feed's payload for device 1
      return [row(1), row(2)];
    });
    assert.equal(r.remembered, 1);
    assert.equal(m.get('h1', Date.now()), undefined);
    assert.ok(m.get('h2', Date.now()));
  });

  test('an entry a check-in remembered during the read is kept (it is fresher)', async () => {
    const m = listening();
    await m.readIn(async () => {
      m.remember(
        'h1',
        { ...row(1), open_jobs: true, revision: 1, epoch: 1, until: Date.now() + 500 },
        m.generation,
      );
      return [row(1)];
    });
    assert.equal(m.get('h1', Date.now())?.open_jobs, true);
  });

  test('a read during which the feed was lost remembers nothing', async () => {
    const m = listening();
    const r = await m.readIn(async () => {
      m.epoch = 0;
      return [row(1)];
    });
    assert.deepEqual([r.remembered, r.lost], [0, true]);
    assert.equal(m.byHash.size, 0);
  });

  test('an entry no longer trusted is replaced by a read', async () => {
    const m = listening();
    m.remember('h1', { ...row(1), open_jobs: true, revision: 1, epoch: 0, until: 0 }, m.generation);
    assert.equal(m.get('h1', Date.now()), undefined);
    await m.readIn(async () => [row(1)]);
    assert.equal(m.get('h1', Date.now())?.open_jobs, false);
  });

  test('the warm-up reads page after page until the end, and says it is done', async () => {
    const m = listening();
    const all = [row(1), row(2), row(3), row(4), row(5)];
    const asked: number[] = [];
    const n = await m.warm(async (after) => {
      asked.push(after);
      return all.filter((r) => r.id > after).slice(0, 2);
    });
    assert.deepEqual([n, m.warming, asked], [5, 'done', [0, 2, 4, 5]]);
  });

  test('the warm-up stops when the feed stops listening', async () => {
    const m = listening();
    const n = await m.warm(async (after) => {
      if (after >= 2) m.epoch = 0;
      return [row(after + 1), row(after + 2)];
    });
    assert.deepEqual([n, m.warming], [2, 'stopped']);
  });
});
