import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { createAlertEngine, type AlertEngine } from '../../src/engine/alerts.ts';
import { systemContext } from '../../src/services/context.ts';
import { record } from '../../src/services/events.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../support/api.ts';
import { pgliteTemplate } from '../support/store.ts';
import { buildWorld, type World } from '../support/world.ts';

// Alerts end to end on the embedded store kept on disk (so that a restart really closes and reopens it):
// the event-log consumer, webhook deliveries to a local receiver that is down for a while and comes back
// after a server restart, an e-mail digest received by a real local SMTP server (smtp-server), a
// rollout.gate_failed event written through the events service, and tenant isolation. Time is the
// engine's injected clock; retries are seconds apart here, never hours of sleep.

// the receiver is on 127.0.0.1: the operator's switch lets webhooks point there (docs/alerts.md)
process.env.PATCHLINE_WEBHOOK_ALLOW_PRIVATE = '1';

interface Hook {
  deliveryId: string;
  signature: string;
  event: string;
  body: string;
  parsed: {
    deliveryId: number;
    subscriptionId: number;
    alert: { id: number; kind: string; organizationId: number };
  };
  path: string;
}

/** a local webhook receiver on 127.0.0.1: records every POST; `failNext` answers 500 to the next ones */
class Receiver {
  hooks: Hook[] = [];
  failNext = 0;
  server?: Server;
  port = 0;
  async up() {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.hooks.push({
          deliveryId: String(req.headers['x-patchline-delivery']),
          signature: String(req.headers['x-patchline-signature']),
          event: String(req.headers['x-patchline-event']),
          body,
          parsed: JSON.parse(body) as Hook['parsed'],
          path: req.url ?? '',
        });
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(500).end('receiver hiccup');
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  async down() {
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server?.closeAllConnections();
  }
  /** each delivery once, as a receiver that dedupes on the delivery id sees them */
  unique(path?: string) {
    const seen = new Set<string>();
    return this.hooks.filter(
      (h) => (path === undefined || h.path === path) && !seen.has(h.deliveryId) && seen.add(h.deliveryId),
    );
  }
}

interface Mail {
  to: string[];
  raw: string;
}

const SECRET_A = 'alpha-webhook-secret-0001';
const SECRET_B = 'bravo-webhook-secret-0001';
const sign = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('alerts: event log to webhooks and e-mail, across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchline-alerts-'));
  const receiver = new Receiver();
  const mails: Mail[] = [];
  let smtp: SMTPServer;
  let smtpPort = 0;
  let store: Store;
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let engine: AlertEngine;
  let t = new Date('2026-12-01T10:00:00Z');
  const subs: Record<string, number> = {};

  const openAll = async (first: boolean) => {
    store = await openStore({ dataDir: dir, ...(first ? { loadDataDir: await pgliteTemplate() } : {}) });
    app = await startApp(store);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    engine = createAlertEngine({
      store,
      now: () => t,
      smtp: { url: `smtp://127.0.0.1:${smtpPort}`, from: 'patchline@test.invalid' },
      retry: { baseMs: 1_000, maxDelayMs: 8_000, giveUpAfterMs: 86_400_000 },
      checkEveryMs: Number.MAX_SAFE_INTEGER,
      leaseMs: 5_000,
      settleMs: 0,
      timeoutMs: 5_000,
    });
  };
  const closeAll = async () => {
    await engine.stop();
    await app.close();
    await store.close();
  };
  const advance = (ms: number) => {
    t = new Date(t.getTime() + ms);
  };
  const gateFailed = (org: number, ring: number, reason: string) =>
    record(systemContext(store, 'rollouts'), store.db, {
      kind: 'rollout.gate_failed',
      organizationId: org,
      subjectType: 'rollout_plan',
      subjectId: 7,
      data: { organization: org, plan: 'three-rings', ring, reason, counts: { installed: 1, failed: 2 } },
    });
  const deliveries = async (subscriptionId: number) => {
    const r = await admin.get(`/api/v1/alert-deliveries?subscriptionId=${subscriptionId}&sort=id&limit=500`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items as {
      id: number;
      alertId: number;
      status: string;
      attempts: number;
      error: string | null;
      responseStatus: number | null;
      batch: string | null;
    }[];
  };

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    await receiver.up();
    await openAll(true);
    world = await buildWorld(admin, store);
    // the world's own events (scans) become alerts before anyone subscribes: they are not news to them
    await engine.tick();
    for (const [key, org, path, secret] of [
      ['hookA', world.orgA.id, '/alpha', SECRET_A],
      ['hookB', world.orgB.id, '/bravo', SECRET_B],
    ] as const) {
      const r = await admin.post('/api/v1/alert-subscriptions', {
        organizationId: org,
        name: `${key} webhook`,
        kinds: ['rollout.gate_failed', 'install.failed'],
        channel: 'webhook',
        url: `http://127.0.0.1:${receiver.port}${path}`,
        secret,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.secret, secret, 'the secret is answered once, on creation');
      subs[key] = r.body.id;
    }
    const mail = await admin.post('/api/v1/alert-subscriptions', {
      organizationId: world.orgA.id,
      name: 'alpha on-call',
      kinds: ['rollout.gate_failed'],
      channel: 'email',
      recipients: ['oncall@alpha.test'],
      options: { digestMinutes: 30 },
    });
    assert.equal(mail.status, 201, JSON.stringify(mail.body));
    subs.mailA = mail.body.id;
  });
  after(async () => {
    await closeAll().catch(() => undefined);
    await receiver.down().catch(() => undefined);
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("the world's scans raised alerts: critical updates missing, approvals waiting (no subscriber yet)", async () => {
    const r = await admin.get(`/api/v1/alerts?organizationId=${world.orgA.id}&limit=500`);
    assert.equal(r.status, 200);
    const kinds = new Set(r.body.items.map((a: { kind: string }) => a.kind));
    assert.ok(kinds.has('update.critical_missing'), JSON.stringify([...kinds]));
    assert.ok(kinds.has('approval.waiting'));
    const critical = r.body.items.filter((a: { kind: string }) => a.kind === 'update.critical_missing');
    // liblzma5 is critical, on both of Alpha's devices; openssl (high) and tzdata (low) are not
    assert.deepEqual(critical.map((a: { deviceName: string }) => a.deviceName).sort(), ['web-1', 'web-2']);
    assert.ok(critical.every((a: { subject: string }) => /liblzma5/.test(a.subject)));
    assert.equal(receiver.hooks.length, 0);
    assert.equal((await deliveries(subs.hookA!)).length, 0);
  });

  test('a receiver down for a while and a server restart: every delivery arrives after, in order, once', async () => {
    await receiver.down();
    for (let ring = 1; ring <= 3; ring++)
      await gateFailed(world.orgA.id, ring, `ring ${ring}: 2 of 3 failed`);
    await gateFailed(world.orgB.id, 1, 'bravo ring 1 failed');
    await engine.tick();
    advance(60_000);
    await engine.tick();
    let log = await deliveries(subs.hookA!);
    assert.equal(log.length, 3);
    // only the head of the queue is tried; the others wait behind it (order is kept)
    assert.equal(log[0]!.status, 'pending');
    assert.ok(log[0]!.attempts >= 2, JSON.stringify(log[0]));
    assert.match(log[0]!.error ?? '', /ECONNREFUSED/);
    assert.deepEqual(
      log.slice(1).map((d) => d.attempts),
      [0, 0],
    );

    // the server restarts while the receiver is still down: nothing of the queue is lost
    await closeAll();
    await openAll(false);
    advance(60_000);
    await engine.tick();
    assert.equal(receiver.hooks.length, 0);

    await receiver.up();
    receiver.failNext = 1; // the first delivery after the comeback is received but answered 500
    for (let i = 0; i < 8; i++) {
      advance(10_000);
      await engine.tick();
    }
    log = await deliveries(subs.hookA!);
    assert.deepEqual(
      log.map((d) => d.status),
      ['delivered', 'delivered', 'delivered'],
      JSON.stringify(log),
    );
    const alpha = receiver.unique('/alpha');
    assert.deepEqual(
      alpha.map((h) => Number(h.deliveryId)),
      log.map((d) => d.id),
      'each delivery received once (deduped on its id), in the order the alerts were raised',
    );
    assert.deepEqual(
      alpha.map((h) => h.parsed.alert.id),
      [...alpha.map((h) => h.parsed.alert.id)].sort((a, b) => a - b),
    );
    // the answer-500 delivery was sent again with the same delivery id
    const first = receiver.hooks.filter((h) => h.deliveryId === alpha[0]!.deliveryId);
    assert.equal(first.length, 2);
    assert.equal(first[0]!.body, first[1]!.body);
    for (const h of receiver.hooks) {
      const secret = h.path === '/alpha' ? SECRET_A : SECRET_B;
      assert.equal(h.signature, sign(secret, h.body), 'signed with the subscription secret');
      assert.equal(h.event, 'rollout.gate_failed');
      assert.equal(String(h.parsed.deliveryId), h.deliveryId);
    }
    assert.deepEqual(
      alpha.map((h) => h.parsed.alert.kind),
      ['rollout.gate_failed', 'rollout.gate_failed', 'rollout.gate_failed'],
    );
  });

  test("one organization's subscription never gets another's alerts", async () => {
    const alpha = receiver.hooks.filter((h) => h.path === '/alpha');
    const bravo = receiver.hooks.filter((h) => h.path === '/bravo');
    assert.ok(alpha.length >= 3 && bravo.length >= 1);
    assert.ok(alpha.every((h) => h.parsed.alert.organizationId === world.orgA.id));
    assert.ok(bravo.every((h) => h.parsed.alert.organizationId === world.orgB.id));
    assert.equal(receiver.unique('/bravo').length, 1);
  });

  test('a gate failure reaches the e-mail subscription as one digest per period, text and HTML', async () => {
    const before = mails.length;
    // the three Alpha gate failures above wait in the digest (30 minutes from the first)
    advance(31 * 60_000);
    await engine.tick();
    assert.equal(mails.length, before + 1, 'one mail for the period, not one per alert');
    const mail = mails.at(-1)!;
    assert.deepEqual(mail.to, ['oncall@alpha.test']);
    assert.match(mail.raw, /Subject: \[Patchline\] Alpha: 3 alerts/);
    assert.match(mail.raw, /Content-Type: text\/plain/);
    assert.match(mail.raw, /Content-Type: text\/html/);
    const text = mail.raw.replace(/=\r?\n/g, '');
    assert.match(text, /the gate after ring 1 failed/);
    assert.match(text, /the gate after ring 3 failed/);
    assert.doesNotMatch(text, /bravo ring 1 failed/);
    const log = await deliveries(subs.mailA!);
    assert.equal(log.length, 3);
    assert.ok(log.every((d) => d.status === 'delivered'));
    assert.equal(new Set(log.map((d) => d.batch)).size, 1, 'one batch');

    // a new gate failure: a webhook delivery at once, an e-mail at the end of the next period
    await gateFailed(world.orgA.id, 2, 'ring 2: 1 of 4 failed');
    await engine.tick();
    assert.equal(receiver.unique('/alpha').length, 4);
    assert.equal(mails.length, before + 1);
    advance(31 * 60_000);
    await engine.tick();
    assert.equal(mails.length, before + 2);
    assert.match(mails.at(-1)!.raw, /Subject: \[Patchline\] Alpha: 1 alert - Rollout three-rings: the gate/);
  });

  test('an SMTP server that refuses: retried with backoff until it accepts', async () => {
    const before = mails.length;
    const port = smtpPort;
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await gateFailed(world.orgA.id, 3, 'ring 3 again');
    await engine.tick();
    advance(31 * 60_000);
    await engine.tick();
    const failing = (await deliveries(subs.mailA!)).at(-1)!;
    assert.equal(failing.status, 'pending');
    assert.equal(failing.attempts, 1);
    assert.ok(failing.error, 'the error is in the delivery log');
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', () => resolve()));
    advance(10_000);
    await engine.tick();
    assert.equal(mails.length, before + 1);
    assert.equal((await deliveries(subs.mailA!)).at(-1)!.status, 'delivered');
  });

  test('alerts are listed and closed through the API; a closed alert cannot be closed twice', async () => {
    const list = await admin.get(
      `/api/v1/alerts?organizationId=${world.orgA.id}&kind=rollout.gate_failed&state=open`,
    );
    assert.equal(list.status, 200);
    const id = list.body.items[0].id as number;
    const closed = await admin.post(`/api/v1/alerts/${id}/close`, { notes: 'rolled back by hand' });
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.equal(closed.body.state, 'closed');
    assert.equal(closed.body.closeNotes, 'rolled back by hand');
    assert.equal((await admin.post(`/api/v1/alerts/${id}/close`, {})).status, 409);
    const events = await admin.get(`/api/v1/events?kind=alert.closed&limit=5`);
    assert.equal(events.body.items[0].subjectId, String(id));
  });

  test('a subscription with a bad URL, an unknown kind or a bad address is refused, naming each problem', async () => {
    const r = await admin.post('/api/v1/alert-subscriptions', {
      organizationId: world.orgA.id,
      name: 'bad',
      kinds: ['install.failed'],
      channel: 'webhook',
      url: 'ftp://example.invalid/x',
    });
    assert.equal(r.status, 400);
    assert.match(JSON.stringify(r.body), /\/url/);
    const e = await admin.post('/api/v1/alert-subscriptions', {
      organizationId: world.orgA.id,
      name: 'bad mail',
      kinds: ['install.failed'],
      channel: 'email',
      recipients: ['not an address'],
    });
    assert.equal(e.status, 400);
    assert.match(JSON.stringify(e.body), /recipients\/0/);
    const k = await admin.post('/api/v1/alert-subscriptions', {
      organizationId: world.orgA.id,
      name: 'bad kind',
      kinds: ['nothing.happened'],
      channel: 'email',
      recipients: ['a@b.test'],
    });
    assert.equal(k.status, 400);
    // without the operator's switch, loopback, private and link-local addresses are refused at save time
    delete process.env.PATCHLINE_WEBHOOK_ALLOW_PRIVATE;
    try {
      for (const url of [
        `http://127.0.0.1:${receiver.port}/alpha`,
        'http://localhost:8080/x',
        'https://10.1.2.3/x',
        'http://169.254.169.254/latest/meta-data',
        'http://[::1]/x',
        'http://[fe80::1]/x',
      ]) {
        const p = await admin.post('/api/v1/alert-subscriptions', {
          organizationId: world.orgA.id,
          name: 'inward',
          kinds: ['install.failed'],
          channel: 'webhook',
          url,
        });
        assert.equal(p.status, 400, `${url}: ${JSON.stringify(p.body)}`);
        assert.match(JSON.stringify(p.body), /public addresses only.*PATCHLINE_WEBHOOK_ALLOW_PRIVATE=1/, url);
      }
      const moved = await admin.call('PATCH', `/api/v1/alert-subscriptions/${subs.hookA}`, {
        url: 'http://192.168.1.10/hook',
      });
      assert.equal(moved.status, 400, JSON.stringify(moved.body));
      const ok = await admin.post('/api/v1/alert-subscriptions', {
        organizationId: world.orgA.id,
        name: 'outward',
        kinds: ['install.failed'],
        channel: 'webhook',
        url: 'https://203.0.113.7/hook',
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal((await admin.del(`/api/v1/alert-subscriptions/${ok.body.id}`)).status, 204);
    } finally {
      process.env.PATCHLINE_WEBHOOK_ALLOW_PRIVATE = '1';
    }
  });
});
