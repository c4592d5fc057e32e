import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, type World } from '../../support/world.ts';

// What GET /api/v1/policies/{id} answers, sent unchanged to PUT /api/v1/policies/{id}, is accepted and
// changes none of the policy's settings: the rule and the behaviour render in the shape the policy parser
// reads (the body of create), and the read-only fields of the answer (id, organizationId, taskId,
// nextRunAt, createdBy, createdAt, updatedAt) are accepted and ignored. One case per rule kind.

const weekly = {
  recurrence: { kind: 'weekly', every: 1, days: ['tue', 'thu'] },
  start: '2026-01-05T22:00',
  zone: { kind: 'named', name: 'Europe/Berlin' },
  end: { kind: 'never' },
};

/** every behaviour setting away from its default, the reboot postponed within an interval */
const behaviour = {
  autoInstall: true,
  autoReboot: false,
  suppressReboot: false,
  rebootPostponement: {
    mode: 'within-interval',
    afterMinutes: 30,
    message: 'Rebooting soon',
    between: { start: '01:00', end: '05:30' },
  },
  whenRebootPending: 'wait-until-reboot',
  notifications: {
    beforeInstall: true,
    beforeReboot: true,
    installMessage: 'Installing updates',
    rebootMessage: null,
    installMessageMac: null,
    rebootMessageMac: 'Reboot',
    deferralPeriodsHours: [1, 4],
    maxDeferrals: 3,
  },
  runMissedAsap: true,
  overrideMaintenanceWindows: true,
  download: { cachingServers: ['cache-a', 'cache-b'], directDownloadFallback: false },
};

/** the settings of a policy as GET renders them: everything but the read-only fields */
const settings = (p: Record<string, unknown>) => {
  const { id: _i, taskId: _t, nextRunAt: _n, updatedAt: _u, ...rest } = p;
  return rest;
};

eachDriver('policies: GET → PUT round trip', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  /** [title, the rule as created, more of the body] (a function: the world exists once `before` ran) */
  const cases = (w: World): [string, Record<string, unknown>, Record<string, unknown>][] => [
    ['all', { kind: 'all' }, {}],
    ['include', { kind: 'include', patterns: ['openssl*', 'KB50*'] }, { schedule: weekly }],
    ['exclude', { kind: 'exclude', patterns: ['tzdata'] }, { targets: { devices: [w.deviceA.id] } }],
    ['severity', { kind: 'severity', severities: ['critical', 'high'] }, { behaviour }],
    [
      'advanced',
      {
        kind: 'advanced',
        filters: [
          { field: 'severity', condition: 'greater-than-or-equal-to', value: 'medium' },
          'patch-source is apt',
          { field: 'kb', condition: 'is', value: '5034441' },
        ],
      },
      { notes: 'advanced lines, one as text' },
    ],
    ['manual', { kind: 'manual' }, { enabled: false, schedule: weekly }],
    ['list', { kind: 'list', updates: [w.updates.openssl, w.updates.liblzma5] }, {}],
    [
      'filter: vendors and products, classes, optional updates',
      {
        kind: 'all',
        vendorProducts: {
          mode: 'exclude',
          pairs: [
            { os: 'windows', vendor: 'Microsoft', products: ['Edge*'] },
            { vendor: 'Oracle', products: [] },
          ],
        },
        classes: { security: true, nonSecurity: false, manuallyApproved: true },
        includeOptional: true,
      },
      { targets: { groups: [w.groupA.id], devices: [w.deviceA2.id] }, schedule: weekly, behaviour },
    ],
    [
      'reboot postponed automatically after a while',
      { kind: 'severity', severities: ['low'] },
      {
        behaviour: {
          rebootPostponement: { mode: 'automatic-after', afterMinutes: 10, message: 'bye' },
        },
      },
    ],
  ];

  describe('every rule kind', () => {
    const placeholder = { deviceA: {}, deviceA2: {}, groupA: {}, updates: {} } as unknown as World;
    for (const [title] of cases(placeholder)) {
      test(title, async () => {
        const [, rule, more] = cases(w).find(([t]) => t === title)!;
        const created = await admin.post('/api/v1/policies', {
          organizationId: w.orgA.id,
          name: `round trip: ${title}`,
          rule,
          ...more,
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const url = `/api/v1/policies/${created.body.id}`;
        const got = await admin.get(url);
        assert.equal(got.status, 200, JSON.stringify(got.body));

        const put = await admin.call('PUT', url, got.body);
        assert.equal(put.status, 200, JSON.stringify(put.body));
        const again = await admin.get(url);
        assert.deepEqual(settings(again.body), settings(got.body));
        assert.equal(again.body.id, got.body.id);
        assert.equal(again.body.nextRunAt, got.body.nextRunAt);
        assert.equal(again.body.taskId === null, got.body.taskId === null);

        // and once more: the answer of PUT is itself a body PUT takes
        const twice = await admin.call('PUT', url, put.body);
        assert.equal(twice.status, 200, JSON.stringify(twice.body));
        assert.deepEqual(settings(twice.body), settings(got.body));
      });
    }
  });

  test('the rule renders as the body of create: its kind, not the parsed match', async () => {
    const created = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'rendered rule',
      rule: { kind: 'include', patterns: ['openssl*'] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.rule, {
      kind: 'include',
      patterns: ['openssl*'],
      vendorProducts: null,
      classes: { security: true, nonSecurity: true, manuallyApproved: true },
      includeOptional: false,
    });
  });

  test('read-only fields are ignored, but an id or organization of another policy is refused', async () => {
    const a = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'read-only A',
      rule: { kind: 'all' },
    });
    const b = await admin.post('/api/v1/policies', {
      organizationId: w.orgB.id,
      name: 'read-only B',
      rule: { kind: 'manual' },
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    const url = `/api/v1/policies/${a.body.id}`;
    const renamed = await admin.call('PUT', url, {
      ...a.body,
      name: 'read-only A2',
      createdAt: '2000-01-01T00:00:00.000Z',
      createdBy: 'someone else',
      taskId: 424242,
      nextRunAt: null,
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'read-only A2');
    assert.equal(renamed.body.createdAt, a.body.createdAt);
    assert.equal(renamed.body.createdBy, a.body.createdBy);
    assert.equal(renamed.body.taskId, null);

    const otherId = await admin.call('PUT', url, { ...a.body, id: b.body.id });
    assert.equal(otherId.status, 400, JSON.stringify(otherId.body));
    assert.match(JSON.stringify(otherId.body), /\bid\b/);
    const otherOrg = await admin.call('PUT', url, { ...a.body, organizationId: w.orgB.id });
    assert.equal(otherOrg.status, 400, JSON.stringify(otherOrg.body));
    const badDate = await admin.call('PUT', url, { ...a.body, createdAt: 'yesterday' });
    assert.equal(badDate.status, 400, JSON.stringify(badDate.body));
    assert.equal((await admin.get(url)).body.name, 'read-only A2');
  });
});
