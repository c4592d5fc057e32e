import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { systemContext } from '../../../src/services/context.ts';
import { ingestScan } from '../../../src/services/scans.ts';
import type { Store } from '../../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { freshStore } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

// Risk-based auto-approval through the native API (issue #18): a KEV import makes a rule approve the
// matching missing update on the matching devices only; a person's earlier ignore still wins; the preview
// lists exactly the devices the rule then approves; another organization's rules and devices stay apart.
// One PGlite store for the file (the rule logic is the same on both stores; the SQL is shared).

/** a CISA KEV catalog in its published shape (fields as in the feed; entries for the test's CVEs) */
const kev = (cves: string[]) =>
  JSON.stringify({
    title: 'CISA Catalog of Known Exploited Vulnerabilities',
    catalogVersion: '2026.12.07',
    dateReleased: '2026-12-07T12:00:00.000Z',
    count: cves.length,
    vulnerabilities: cves.map((c) => ({
      cveID: c,
      vendorProject: 'Test',
      product: 'Test',
      vulnerabilityName: `${c} test entry`,
      dateAdded: '2026-12-07',
      shortDescription: 'test entry',
      requiredAction: 'Apply updates per vendor instructions.',
      dueDate: '2026-12-28',
      knownRansomwareCampaignUse: 'Unknown',
      notes: '',
      cwes: [],
    })),
  });

let store: Store;
let cleanup: () => Promise<void>;
let app: FastifyInstance;
let admin: Client;
let w: World;
let deviceA3: { id: number };

const statusOf = async (deviceId: number, name: string) => {
  const r = await admin.get(`/api/v1/devices/${deviceId}/updates?limit=500`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.items as { name: string; status: string }[]).find((u) => u.name === name)?.status;
};
const importKev = async (cves: string[]) => {
  const r = await admin.post('/api/v1/catalog/import', {
    format: 'kev',
    fileName: 'kev.json',
    content: kev(cves),
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
};
const rule = (groups: number[]) => ({
  name: 'known exploited on the web servers',
  conditions: { knownExploited: true, groups },
  action: 'approve',
});

before(async () => {
  ({ store, cleanup } = await freshStore('pglite'));
  app = await startApp(store);
  admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  w = await buildWorld(admin, store);
  // a third device of Alpha outside the Web group, with the same missing updates
  const d = await admin.post('/api/v1/devices', {
    organizationId: w.orgA.id,
    groupId: w.groupA.id,
    name: 'db-9',
    osFamily: 'linux',
  });
  assert.equal(d.status, 201);
  deviceA3 = d.body;
  await ingestScan(systemContext(store, 'test-agent'), deviceA3.id, {
    full: true,
    updates: [
      {
        kind: 'deb',
        name: 'liblzma5',
        version: '5.4.1-1+deb12u2',
        architecture: 'amd64',
        isSecurity: true,
        cves: ['CVE-2024-3094'],
        detection: 'missing',
      },
      {
        kind: 'deb',
        name: 'openssl',
        version: '3.0.22-1~deb12u2',
        architecture: 'amd64',
        isSecurity: true,
        cves: ['CVE-2026-0001'],
        detection: 'missing',
      },
    ],
  });
});
after(async () => {
  await app?.close();
  await cleanup?.();
});

test('the preview lists exactly the devices a rule then approves; a KEV import makes the rule act; a person still wins', async () => {
  // a person ignored both updates on web-2 earlier
  for (const u of [w.updates.liblzma5, w.updates.openssl]) {
    const r = await admin.post(`/api/v1/devices/${w.deviceA2.id}/updates/ignore`, { updateIds: [u] });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
  // the first KEV import lists the xz backdoor; no rule exists yet: nothing is approved
  await importKev(['CVE-2024-3094']);
  assert.equal(await statusOf(w.deviceA.id, 'liblzma5'), 'missing');

  const preview = await admin.post(
    `/api/v1/organizations/${w.orgA.id}/auto-approval/preview`,
    rule([w.subA.id]),
  );
  assert.equal(preview.status, 200, JSON.stringify(preview.body));
  assert.deepEqual(preview.body.updates, [
    { updateId: w.updates.liblzma5, name: 'liblzma5', devices: [{ id: w.deviceA.id }] },
  ]);
  assert.equal(preview.body.deviceCount, 1);
  // a rule over every group would also take db-9
  const wide = await admin.post(`/api/v1/organizations/${w.orgA.id}/auto-approval/preview`, {
    ...rule([]),
    conditions: { knownExploited: true },
  });
  assert.deepEqual(
    wide.body.updates[0].devices.map((d: { id: number }) => d.id).sort(),
    [w.deviceA.id, deviceA3.id].sort(),
  );

  // saved, the rule acts at once on what it previewed, and nowhere else
  const saved = await admin.post(`/api/v1/organizations/${w.orgA.id}/auto-approval-rules`, rule([w.subA.id]));
  assert.equal(saved.status, 201, JSON.stringify(saved.body));
  assert.equal(await statusOf(w.deviceA.id, 'liblzma5'), 'pending');
  assert.equal(await statusOf(w.deviceA2.id, 'liblzma5'), 'ignored', "the person's ignore wins");
  assert.equal(await statusOf(deviceA3.id, 'liblzma5'), 'missing', 'outside the rule’s groups');
  assert.equal(await statusOf(w.deviceB.id, 'liblzma5'), 'missing', 'another organization');
  assert.equal(await statusOf(w.deviceA.id, 'openssl'), 'missing', 'not known exploited (yet)');

  // a second KEV import names openssl's CVE: the rule approves it on the same devices only
  await importKev(['CVE-2024-3094', 'CVE-2026-0001']);
  assert.equal(await statusOf(w.deviceA.id, 'openssl'), 'pending');
  assert.equal(await statusOf(w.deviceA2.id, 'openssl'), 'ignored');
  assert.equal(await statusOf(deviceA3.id, 'openssl'), 'missing');
  assert.equal(await statusOf(w.deviceB.id, 'openssl'), 'missing');

  const ev = await admin.get(
    `/api/v1/events?organizationId=${w.orgA.id}&kind=approval.rule_applied&limit=50`,
  );
  assert.equal(ev.status, 200);
  const applied = (ev.body.items as { updateId: number; data: Record<string, unknown> }[])
    .map((e) => [e.updateId, e.data.devices, e.data.ruleName, e.data.organizationId])
    .sort();
  assert.deepEqual(
    applied,
    [
      [w.updates.liblzma5, [w.deviceA.id], 'known exploited on the web servers', w.orgA.id],
      [w.updates.openssl, [w.deviceA.id], 'known exploited on the web servers', w.orgA.id],
    ].sort(),
  );
  // the decision says where it came from, and a person can still take it back
  const clear = await admin.post(`/api/v1/devices/${w.deviceA.id}/updates/ignore`, {
    updateIds: [w.updates.openssl],
  });
  assert.ok(clear.status < 300, JSON.stringify(clear.body));
  assert.equal(await statusOf(w.deviceA.id, 'openssl'), 'ignored');
});

test('rules and their preview are tenant-scoped', async () => {
  const bravo = await scopedUser(admin, 'bravo-rules', w.orgB.id, 'Operator');
  const b = await signIn(app, bravo.user.username, bravo.password);
  const list = await b.get(`/api/v1/organizations/${w.orgA.id}/auto-approval-rules`);
  assert.equal(list.status, 404);
  const mine = await admin.get(`/api/v1/organizations/${w.orgA.id}/auto-approval-rules`);
  const id = mine.body.items[0].id as number;
  for (const r of [
    await b.get(`/api/v1/auto-approval-rules/${id}`),
    await b.call('PUT', `/api/v1/auto-approval-rules/${id}`, { name: 'hijack', action: 'ignore' }),
    await b.del(`/api/v1/auto-approval-rules/${id}`),
    await b.post(`/api/v1/organizations/${w.orgA.id}/auto-approval/preview`, {
      name: 'peek',
      action: 'approve',
    }),
    await b.post(`/api/v1/organizations/${w.orgA.id}/auto-approval-rules`, { name: 'x', action: 'approve' }),
  ])
    assert.equal(r.status, 404, JSON.stringify(r.body));
  // a rule of Bravo naming Alpha's group is refused, and Bravo's preview never shows Alpha's devices
  const bad = await b.post(`/api/v1/organizations/${w.orgB.id}/auto-approval-rules`, rule([w.subA.id]));
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  const p = await b.post(`/api/v1/organizations/${w.orgB.id}/auto-approval/preview`, {
    name: 'all kev',
    conditions: { knownExploited: true },
    action: 'approve',
  });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const devices = (p.body.updates as { devices: { id: number }[] }[]).flatMap((u) =>
    u.devices.map((d) => d.id),
  );
  assert.deepEqual([...new Set(devices)], [w.deviceB.id]);
  const after = await admin.get(`/api/v1/auto-approval-rules/${id}`);
  assert.equal(after.body.name, 'known exploited on the web servers', 'unchanged');
});

test('a rule approving into a plan starts a rollout there; the plan cannot be deleted under the rule', async () => {
  const plan = await admin.post('/api/v1/rollout-plans', {
    organizationId: w.orgA.id,
    name: 'tz rings',
    rings: [
      { name: 'first', devices: [w.deviceA.id] },
      { name: 'then', devices: [w.deviceA2.id] },
    ],
  });
  assert.equal(plan.status, 201, JSON.stringify(plan.body));
  const saved = await admin.post(`/api/v1/organizations/${w.orgA.id}/auto-approval-rules`, {
    name: 'tzdata through the rings',
    conditions: { package: 'tz*' },
    action: 'approve',
    planId: plan.body.id,
  });
  assert.equal(saved.status, 201, JSON.stringify(saved.body));
  const detail = await admin.get(`/api/v1/rollout-plans/${plan.body.id}`);
  assert.equal(detail.body.rollouts.length, 1);
  assert.equal(detail.body.rollouts[0].updateId, w.updates.tzdata);
  assert.equal(await statusOf(w.deviceA.id, 'tzdata'), 'pending', 'ring 1');
  assert.equal(await statusOf(w.deviceA2.id, 'tzdata'), 'missing', 'ring 2 waits for the gate');
  assert.equal(await statusOf(w.deviceB.id, 'tzdata'), 'missing', 'another organization');
  const refused = await admin.del(`/api/v1/rollout-plans/${plan.body.id}`);
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.equal((await admin.del(`/api/v1/auto-approval-rules/${saved.body.id}`)).status, 204);
  assert.equal((await admin.del(`/api/v1/rollout-plans/${plan.body.id}`)).status, 204);
});

test('rules are ordered: reordering them changes which rule decides', async () => {
  await ingestScan(systemContext(store, 'test-agent'), deviceA3.id, {
    full: false,
    updates: ['zz-curl', 'zz-bash'].map((name, i) => ({
      kind: 'deb' as const,
      name,
      version: '1.0-1',
      architecture: 'amd64',
      isSecurity: true,
      cves: [`CVE-2026-10${i}1`],
      detection: 'missing' as const,
    })),
  });
  const add = async (name: string, action: string) => {
    const r = await admin.post(`/api/v1/organizations/${w.orgA.id}/auto-approval-rules`, {
      name,
      conditions: { knownExploited: true, package: 'zz-*' },
      action,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as number;
  };
  const approveRule = await add('approve zz', 'approve');
  const ignoreRule = await add('ignore zz', 'ignore');
  // in this order the approving rule comes first and decides
  await importKev(['CVE-2024-3094', 'CVE-2026-0001', 'CVE-2026-1001']);
  assert.equal(await statusOf(deviceA3.id, 'zz-curl'), 'pending');

  const list = async () =>
    (
      (await admin.get(`/api/v1/organizations/${w.orgA.id}/auto-approval-rules`)).body.items as {
        id: number;
        position: number;
      }[]
    ).map((r) => r.id);
  const before = await list();
  const swapped = before.map((id) =>
    id === approveRule ? ignoreRule : id === ignoreRule ? approveRule : id,
  );
  // an order that leaves a rule out, or names another organization's, is refused and changes nothing
  const partial = await admin.call('PUT', `/api/v1/organizations/${w.orgA.id}/auto-approval-rules/order`, {
    ruleIds: [ignoreRule, approveRule],
  });
  assert.equal(partial.status, 400, JSON.stringify(partial.body));
  assert.match(JSON.stringify(partial.body), /must list every rule of the organization: add \d+/);
  assert.deepEqual(await list(), before);
  const bravo = await scopedUser(admin, 'bravo-order', w.orgB.id, 'Administrator');
  const b = await signIn(app, bravo.user.username, bravo.password);
  const foreign = await b.call('PUT', `/api/v1/organizations/${w.orgA.id}/auto-approval-rules/order`, {
    ruleIds: swapped,
  });
  assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
  assert.deepEqual(await list(), before);

  const reordered = await admin.call('PUT', `/api/v1/organizations/${w.orgA.id}/auto-approval-rules/order`, {
    ruleIds: swapped,
  });
  assert.equal(reordered.status, 200, JSON.stringify(reordered.body));
  assert.deepEqual(
    reordered.body.items.map((r: { id: number; position: number }) => [r.id, r.position]),
    swapped.map((id, i) => [id, i + 1]),
  );
  // now the ignoring rule comes first: the next KEV entry is ignored, not approved
  await importKev(['CVE-2024-3094', 'CVE-2026-0001', 'CVE-2026-1001', 'CVE-2026-1011']);
  assert.equal(await statusOf(deviceA3.id, 'zz-bash'), 'ignored');
  assert.equal(await statusOf(deviceA3.id, 'zz-curl'), 'pending', 'an earlier decision stays');
});

test('a scan runs the rules only when it brings new facts (an update detected or a status changed)', async () => {
  const scan = (names: string[]) =>
    ingestScan(systemContext(store, 'test-agent'), deviceA3.id, {
      full: false,
      updates: names.map((name) => ({
        kind: 'deb' as const,
        name,
        version: '2.0-1',
        architecture: 'amd64',
        detection: 'missing' as const,
      })),
    });
  await scan(['yy-one']);
  const id = (
    (await admin.get(`/api/v1/devices/${deviceA3.id}/updates?limit=500`)).body.items as {
      name: string;
      updateId: number;
    }[]
  ).find((u) => u.name === 'yy-one')!.updateId;
  const decide = async (action: string) => {
    const r = await admin.post(`/api/v1/devices/${deviceA3.id}/updates/${action}`, { updateIds: [id] });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  };
  // a person ignored it before the rule existed: the rule, saved, leaves it alone
  await decide('ignore');
  const rule = await admin.post(`/api/v1/organizations/${w.orgA.id}/auto-approval-rules`, {
    name: 'approve yy',
    conditions: { package: 'yy-*' },
    action: 'approve',
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  assert.equal(await statusOf(deviceA3.id, 'yy-one'), 'ignored');
  // the person takes the decision back: missing again, and no rule ran since
  await decide('clear');
  assert.equal(await statusOf(deviceA3.id, 'yy-one'), 'missing');
  // the same scan again brings nothing new: the rules do not run
  await scan(['yy-one']);
  assert.equal(await statusOf(deviceA3.id, 'yy-one'), 'missing');
  // a scan that finds a new update: the rules run over the device's missing updates
  await scan(['yy-one', 'yy-two']);
  assert.equal(await statusOf(deviceA3.id, 'yy-two'), 'pending');
  assert.equal(await statusOf(deviceA3.id, 'yy-one'), 'pending');
});
