import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alertsFromEvent,
  DEFAULT_RETRY,
  digestMail,
  retryDelay,
  webhookBody,
  type AlertMessage,
  type LoggedEvent,
} from '../../src/core/alerts/index.ts';

// Which event-log entries raise which alerts, the retry schedule and the e-mail digest.

const ev = (kind: string, data: Record<string, unknown>, more: Partial<LoggedEvent> = {}): LoggedEvent => ({
  id: 10,
  at: new Date('2026-12-01T10:00:00Z'),
  organizationId: 1,
  kind,
  deviceId: 5,
  updateId: 7,
  data,
  ...more,
});
const critical = { name: 'liblzma5', severity: 'critical', kev: false };
const kev = { name: 'openssl', severity: 'high', kev: true };
const low = { name: 'tzdata', severity: 'low', kev: false };

test('event-log entries and the alerts they raise', () => {
  const cases: [string, LoggedEvent, { update?: typeof low }, string[]][] = [
    [
      'an install failed',
      ev('device_update.status', { from: 'installing', to: 'failed' }),
      { update: low },
      ['install.failed'],
    ],
    [
      'a critical update detected missing',
      ev('device_update.detected', { from: null, to: 'missing' }),
      { update: critical },
      ['update.critical_missing', 'approval.waiting'],
    ],
    [
      'a KEV update missing again',
      ev('device_update.status', { from: 'installed', to: 'missing' }),
      { update: kev },
      ['update.critical_missing'],
    ],
    [
      'a low update detected missing',
      ev('device_update.detected', { from: null, to: 'missing' }),
      { update: low },
      ['approval.waiting'],
    ],
    [
      'an approved update detected (pending)',
      ev('device_update.detected', { from: null, to: 'pending' }),
      { update: critical },
      [],
    ],
    [
      'installed',
      ev('device_update.status', { from: 'installing', to: 'installed' }),
      { update: critical },
      [],
    ],
    [
      'a gate failed',
      ev('rollout.gate_failed', { plan: 'p', ring: 1, reason: 'r' }, { deviceId: null, updateId: null }),
      {},
      ['rollout.gate_failed'],
    ],
    [
      'a ring finished',
      ev('rollout.ring_finished', { plan: 'p', ring: 2 }, { deviceId: null, updateId: null }),
      {},
      ['rollout.ring_finished'],
    ],
    [
      'a gate passed',
      ev('rollout.gate_passed', { plan: 'p', ring: 1 }, { deviceId: null, updateId: null }),
      {},
      [],
    ],
    ['a policy changed', ev('policy.updated', {}, { deviceId: null, updateId: null }), {}, []],
  ];
  for (const [name, e, facts, kinds] of cases)
    assert.deepEqual(
      alertsFromEvent(e, { deviceName: 'web-1', ...facts }).map((a) => a.kind),
      kinds,
      name,
    );
});

test('keys: one open alert per condition; every gate failure is its own', () => {
  const a = alertsFromEvent(ev('device_update.status', { to: 'failed' }), { update: low })[0]!;
  assert.equal(a.key, 'install.failed:5:7');
  assert.match(a.subject, /tzdata failed on device 5/);
  const g1 = alertsFromEvent(ev('rollout.gate_failed', { plan: 'p', ring: 1, reason: 'too few' }))[0]!;
  const g2 = alertsFromEvent(ev('rollout.gate_failed', { plan: 'p', ring: 1 }, { id: 11 }))[0]!;
  assert.notEqual(g1.key, g2.key);
  assert.match(g1.message, /too few\. The rollout stopped/);
  // as services/rollouts.ts writes it
  const r = alertsFromEvent(
    ev(
      'rollout.gate_failed',
      { planId: 4, planName: 'three rings', ring: 0, ringName: 'canary', reason: '1 of 3' },
      { deviceId: null },
    ),
  )[0]!;
  assert.equal(r.subject, 'Rollout three rings: the gate after ring canary failed');
  assert.equal(r.updateId, 7);
  assert.equal(
    alertsFromEvent(ev('device_update.detected', { to: 'missing' }), { update: low })[0]!.key,
    'approval.waiting:7',
  );
});

test('retries back off exponentially, capped, for a day', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 8, 20, 40].map((n) => retryDelay(n, DEFAULT_RETRY)),
    [30_000, 60_000, 120_000, 240_000, 3_600_000, 3_600_000, 3_600_000],
  );
  assert.equal(DEFAULT_RETRY.giveUpAfterMs, 86_400_000);
});

test('the digest has every alert in text and HTML, escaped; the webhook body carries the delivery id', () => {
  const alerts: AlertMessage[] = [1, 2].map((id) => ({
    id,
    organizationId: 1,
    organizationName: 'Alpha',
    kind: 'install.failed',
    subject: `Install <b>${id}</b> failed`,
    message: 'dpkg & friends',
    deviceId: 5,
    updateId: 7,
    data: {},
    createdAt: '2026-12-01T10:00:00.000Z',
  }));
  const m = digestMail('on-call', 'Alpha', alerts);
  assert.equal(m.subject, '[Patchline] Alpha: 2 alerts');
  assert.match(m.text, /Install <b>1<\/b> failed[\s\S]*Install <b>2<\/b> failed/);
  assert.match(m.html, /Install &lt;b&gt;2&lt;\/b&gt; failed/);
  assert.match(m.html, /dpkg &amp; friends/);
  assert.doesNotMatch(m.html, /<b>1<\/b>/);
  assert.deepEqual(JSON.parse(webhookBody(42, 3, alerts[0]!)), {
    deliveryId: 42,
    subscriptionId: 3,
    alert: alerts[0],
  });
});
