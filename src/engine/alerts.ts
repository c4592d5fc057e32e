import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import {
  DEFAULT_RETRY,
  digestMail,
  retryDelay,
  webhookBody,
  type RetryPolicy,
} from '../core/alerts/index.ts';
import {
  alertMessages,
  checkConditions,
  consumeEvents,
  newConsumerState,
  type ConsumerState,
} from '../services/alerts.ts';
import { Context, systemContext } from '../services/context.ts';
import type { Store } from '../store/db.ts';
import * as repo from '../store/repos/alerts-repo.ts';

/** event-log entries read per transaction (services/alerts.ts consumeEvents) */
const EVENT_BATCH = 100;

// The alert engine: every few seconds it reads the event log into alerts (services/alerts.ts), checks the
// periodic conditions (less often), and sends what is due:
// - webhooks: per subscription, the oldest undelivered delivery first and nothing after it until it is
//   delivered (order kept, nothing skipped). A POST with the JSON body, `X-Patchline-Signature:
//   sha256=<hex HMAC-SHA256 of the body with the subscription's secret>`, `X-Patchline-Delivery: <id>`
//   (the same on every retry: receivers dedupe on it), `X-Patchline-Event: <alert kind>`. A 2xx answer
//   delivers it; anything else is retried with exponential backoff, for a day, then the delivery is
//   failed and the subscription's queue waits for a person (POST …/resume).
// - e-mail: all the alerts of a subscription's digest period in one mail (plain text and HTML) through
//   the SMTP server the operator configured; retried like webhooks when the server refuses.
// Each attempt's outcome (status, the first 500 characters of the answer, the error) is the delivery log.

export interface SmtpSettings {
  /** smtp://user:pass@host:port or smtps://… */
  url: string;
  from: string;
}

export interface AlertEngineOptions {
  store: Store;
  smtp?: SmtpSettings;
  retry?: RetryPolicy;
  /** the clock of alerts, deliveries and retries (tests move it) */
  now?: () => Date;
  /** how often the conditions are checked (they read every device) */
  checkEveryMs?: number;
  /** how long an id missing from the event log is waited for (services/alerts.ts consumeEvents) */
  settleMs?: number;
  /** a webhook attempt's time limit */
  timeoutMs?: number;
  /** how long a delivery being sent stays claimed */
  leaseMs?: number;
  onError?: (e: unknown) => void;
}

export interface AlertEngine {
  /** one pass: read the log, check conditions when due, send what is due; returns deliveries attempted */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

export const signBody = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const EXCERPT = 500;

export function createAlertEngine(o: AlertEngineOptions): AlertEngine {
  const now = o.now ?? (() => new Date());
  const withClock = new Context(o.store, systemContext(o.store, 'alerts').actor, now);
  const retry = o.retry ?? DEFAULT_RETRY;
  const state: ConsumerState = newConsumerState();
  const mailer = o.smtp ? nodemailer.createTransport(o.smtp.url) : null;
  let lastCheck = -Infinity;

  /** the outcome of one attempt of deliveries `ids`, first created at `created` */
  async function settle(
    ids: number[],
    attempts: number,
    created: Date,
    r: { ok: boolean; status?: number; excerpt?: string; error?: string; batch?: string },
  ) {
    const at = now();
    const base = {
      attempts: attempts + 1,
      last_attempt_at: at,
      response_status: r.status ?? null,
      response_excerpt: r.excerpt ?? null,
      error: r.error ?? null,
      ...(r.batch ? { batch: r.batch } : {}),
    };
    if (r.ok)
      return repo.updateDeliveries(o.store.db, ids, { ...base, status: 'delivered', delivered_at: at });
    const next = new Date(at.getTime() + retryDelay(attempts + 1, retry));
    const givenUp = next.getTime() - created.getTime() > retry.giveUpAfterMs;
    return repo.updateDeliveries(o.store.db, ids, {
      ...base,
      status: givenUp ? 'failed' : 'pending',
      next_attempt_at: next,
    });
  }

  async function sendWebhooks(): Promise<number> {
    const heads = await repo.dueWebhookHeads(o.store.db, now());
    await Promise.all(
      heads.map(async (d) => {
        if (
          !(await repo.claimDelivery(
            o.store.db,
            d.id,
            now(),
            new Date(now().getTime() + (o.leaseMs ?? 60_000)),
          ))
        )
          return;
        const [alert] = await alertMessages(o.store.db, [d.alert_id]);
        if (!alert) return;
        const body = webhookBody(d.id, d.subscription_id, alert);
        try {
          const res = await fetch(d.url ?? '', {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'Patchline-Alerts',
              'x-patchline-delivery': String(d.id),
              'x-patchline-event': alert.kind,
              'x-patchline-signature': signBody(d.secret ?? '', body),
            },
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
          });
          const text = (await res.text().catch(() => '')).slice(0, EXCERPT);
          await settle([d.id], d.attempts, d.created_at, {
            ok: res.status >= 200 && res.status < 300,
            status: res.status,
            excerpt: text,
            ...(res.status >= 300 ? { error: `HTTP ${res.status}` } : {}),
          });
        } catch (e) {
          const err = e as Error & { cause?: { code?: string; message?: string } };
          await settle([d.id], d.attempts, d.created_at, {
            ok: false,
            error: `${err.cause?.code ?? err.name}: ${err.cause?.message ?? err.message}`.slice(0, EXCERPT),
          });
        }
      }),
    );
    return heads.length;
  }

  async function sendDigests(): Promise<number> {
    const t = now();
    let sent = 0;
    for (const p of await repo.pendingDigests(o.store.db)) {
      if (new Date(p.due) > t) continue;
      const sub = await repo.getSubscription(o.store.db, p.subscriptionId);
      if (!sub) continue;
      const rows = await repo.pendingOf(o.store.db, sub.id);
      const ids = rows.map((r) => r.id);
      const attempts = Math.max(...rows.map((r) => r.attempts));
      const created = new Date(p.oldest);
      if (!ids.length) continue;
      if (
        !(
          await Promise.all(
            ids.map((id) =>
              repo.claimDelivery(o.store.db, id, t, new Date(t.getTime() + (o.leaseMs ?? 60_000))),
            ),
          )
        ).every(Boolean)
      )
        continue;
      sent++;
      if (!mailer || !o.smtp) {
        await settle(ids, attempts, created, {
          ok: false,
          error: 'no SMTP server is configured (PATCHLINE_SMTP_URL)',
        });
        continue;
      }
      const alerts = await alertMessages(
        o.store.db,
        rows.map((r) => r.alert_id),
      );
      const mail = digestMail(sub.name, alerts[0]?.organizationName ?? '', alerts);
      const batch = `digest-${sub.id}-${ids[0]}`;
      try {
        const info = (await mailer.sendMail({
          from: o.smtp.from,
          to: sub.recipients,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: { 'X-Patchline-Digest': batch },
        })) as { response?: string };
        await settle(ids, attempts, created, {
          ok: true,
          excerpt: (info.response ?? '').slice(0, EXCERPT),
          batch,
        });
      } catch (e) {
        const err = e as Error & { responseCode?: number; response?: string };
        await settle(ids, attempts, created, {
          ok: false,
          ...(err.responseCode ? { status: err.responseCode } : {}),
          error: (err.response ?? err.message).slice(0, EXCERPT),
        });
      }
    }
    return sent;
  }

  return {
    async tick() {
      // in short batches with a turn of the event loop between them: on the embedded store (one
      // connection) a long backlog, such as a demo's six weeks of history at the first start, must let
      // requests in between instead of holding the server for its whole length (measured: 45 s)
      while (
        (await consumeEvents(withClock, state, { settleMs: o.settleMs, limit: EVENT_BATCH })) >= EVENT_BATCH
      )
        await new Promise((r) => setImmediate(r));
      if (now().getTime() - lastCheck >= (o.checkEveryMs ?? 60_000)) {
        lastCheck = now().getTime();
        await checkConditions(withClock);
      }
      return (await sendWebhooks()) + (await sendDigests());
    },
    async stop() {
      mailer?.close();
    },
  };
}

/** runs the alert engine's loop every `pollMs` until stopped */
export function startAlertEngine(o: AlertEngineOptions & { pollMs?: number }): AlertEngine {
  const engine = createAlertEngine(o);
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  const loop = () => {
    if (!running) return;
    current = engine
      .tick()
      .catch((e) => (o.onError ?? ((err) => console.error('alert engine:', err)))(e))
      .finally(() => {
        if (running) timer = setTimeout(loop, o.pollMs ?? 2000);
      });
  };
  loop();
  return {
    tick: engine.tick,
    async stop() {
      running = false;
      clearTimeout(timer);
      await current;
      await engine.stop();
    },
  };
}
