import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  ALERT_CHANNELS,
  OPTION_LIMITS,
  alertsFromEvent,
  isAlertKind,
  optionOf,
  rebootAlert,
  silentAlert,
  windowEndedAlert,
  type AlertChannel,
  type AlertDraft,
  type AlertKind,
  type AlertMessage,
  type AlertState,
  type DeliveryStatus,
  type SubscriptionOptions,
} from '../core/alerts/index.ts';
import { conflict, invalid, notFound, type FieldIssue } from '../core/errors.ts';
import type { ListQuery } from '../core/query.ts';
import type { Db } from '../store/db.ts';
import type { Page } from '../store/paging.ts';
import * as repo from '../store/repos/alerts-repo.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';
import { visibleDevice } from './devices.ts';
import { windowOccurrences } from './windows-occurrences.ts';
import { getOrganization } from './organizations.ts';
import { blockedAddressKind } from './importers.ts';

// Alerts and notifications (issue 18, item 3; docs/alerts.md). Alerts come from two sources, both run by
// the engine (engine/alerts.ts) with the system's context: the event log, read by a durable consumer
// (its cursor is a row, moved in the transaction that raises the alerts, so a restart neither repeats
// nor misses an entry), and periodic checks of conditions (reboot pending, device silent, window ended).
// Raising an alert queues one delivery per matching subscription of its organization, in alert order.
// People read and close alerts (read / manage_devices), and manage their organization's subscriptions
// (administer over the whole organization).

export interface AlertView {
  id: number;
  organizationId: number;
  organizationName: string;
  kind: AlertKind;
  state: AlertState;
  subject: string;
  message: string;
  deviceId: number | null;
  deviceName: string | null;
  groupId: number | null;
  updateId: number | null;
  data: Record<string, unknown>;
  createdAt: Date;
  closedAt: Date | null;
  closedBy: string | null;
  closeNotes: string | null;
}

type AlertEntryRow = repo.AlertRow & {
  organization_name: string;
  device_name: string | null;
  group_id: number | null;
};
export const alertView = (r: AlertEntryRow): AlertView => ({
  id: r.id,
  organizationId: r.organization_id,
  organizationName: r.organization_name,
  kind: r.kind as AlertKind,
  state: r.state as AlertState,
  subject: r.subject,
  message: r.message,
  deviceId: r.device_id,
  deviceName: r.device_name,
  groupId: r.group_id,
  updateId: r.update_id,
  data: r.data,
  createdAt: r.created_at,
  closedAt: r.closed_at,
  closedBy: r.closed_by,
  closeNotes: r.close_notes,
});

export interface AlertFilter {
  organizationId?: number;
  deviceId?: number;
  kind?: AlertKind;
  state?: AlertState;
}

export async function listAlerts(ctx: Context, f: AlertFilter, page: Page) {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const r = await repo.listAlerts(ctx.store.db, ctx.access, f, page);
  return { ...r, items: r.items.map(alertView) };
}

export async function getAlert(ctx: Context, id: number): Promise<AlertView> {
  ctx.authorize('read');
  const r = await repo.getAlert(ctx.store.db, ctx.access, id);
  if (!r) throw notFound('alert', id);
  return alertView(r);
}

/** the alerts as a queryable list (product dialects' filters), optionally those of one device */
export async function queryAlerts(
  ctx: Context,
  q: ListQuery,
  extra: { deviceId?: number; afterId?: number } = {},
) {
  ctx.authorize('read');
  const r = await repo.queryAlerts(ctx.store.db, ctx.access, q, extra);
  return { total: r.total, records: r.records.map((x) => ({ ...alertView(x), groupName: x.group_name })) };
}

/** closes an open alert; closing a closed one is a conflict */
export async function closeAlert(ctx: Context, id: number, notes: string | null = null): Promise<AlertView> {
  ctx.authorize('manage_devices');
  const before = await repo.getAlert(ctx.store.db, ctx.access, id);
  if (!before) throw notFound('alert', id);
  if (notes !== null && notes.length > 2000)
    throw invalid('notes are at most 2000 characters', [{ path: '/notes', message: 'too long' }]);
  return ctx.store.transaction(async (tx) => {
    const closed = await repo.closeAlertRow(tx, id, ctx.actor.name, notes, ctx.now());
    if (!closed) throw conflict(`alert ${id} is closed already`);
    await record(ctx, tx, {
      kind: 'alert.closed',
      organizationId: closed.organization_id,
      subjectType: 'alert',
      subjectId: id,
      deviceId: closed.device_id,
      data: { kind: closed.kind, notes },
    });
    return alertView({ ...before, ...closed });
  });
}

// ---- subscriptions -----------------------------------------------------------------------------------

export interface SubscriptionView {
  id: number;
  organizationId: number;
  name: string;
  kinds: AlertKind[];
  channel: AlertChannel;
  url: string | null;
  recipients: string[];
  options: SubscriptionOptions;
  enabled: boolean;
  /** a webhook's signing secret is shown once, when the subscription is created or the secret replaced */
  secretSet: boolean;
  secret?: string;
  createdAt: Date;
  updatedAt: Date;
}

const subscriptionView = (r: repo.SubscriptionRow, secret?: string): SubscriptionView => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  kinds: r.kinds as AlertKind[],
  channel: r.channel as AlertChannel,
  url: r.url,
  recipients: r.recipients,
  options: r.options as SubscriptionOptions,
  enabled: r.enabled,
  secretSet: r.secret !== null,
  ...(secret ? { secret } : {}),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface SubscriptionInput {
  organizationId: number;
  name: string;
  kinds: string[];
  channel: AlertChannel;
  url?: string | null;
  secret?: string | null;
  recipients?: string[];
  options?: SubscriptionOptions;
  enabled?: boolean;
}
export type SubscriptionPatch = Partial<Omit<SubscriptionInput, 'organizationId' | 'channel'>>;

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

// Where a webhook may point: the server posts to it, so a URL naming the server itself or its network
// would let a subscriber reach what is not theirs (SSRF). Checked when a subscription is saved: an IP
// literal in the ranges imports refuse (services/importers.ts), or a `localhost` name. Host names are
// not resolved here (a name that resolves to a private address is not caught at save time).

/** set to 1 (or true) to let webhooks point at loopback, link-local, private and unspecified addresses */
export const WEBHOOK_ALLOW_PRIVATE_ENV = 'PATCHLINE_WEBHOOK_ALLOW_PRIVATE';

export function webhooksAllowPrivateAddresses(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'true', 'yes'].includes((env[WEBHOOK_ALLOW_PRIVATE_ENV] ?? '').trim().toLowerCase());
}

/** why a webhook URL's host is refused ('a loopback address 127.0.0.1'), or null; read at each save */
function privateWebhookHost(u: URL): string | null {
  if (webhooksAllowPrivateAddresses()) return null;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  if (!isIP(host)) return null;
  const kind = blockedAddressKind(host);
  return kind ? `${host} is a ${kind} address` : null;
}

/** the subscription's fields as they will be stored, or invalid with every problem named */
function checkSubscription(s: Omit<SubscriptionInput, 'organizationId'>): void {
  const issues: FieldIssue[] = [];
  if (!s.name.trim()) issues.push({ path: '/name', message: 'must not be empty' });
  if (!s.kinds.length) issues.push({ path: '/kinds', message: 'name at least one alert kind' });
  for (const [i, k] of s.kinds.entries())
    if (!isAlertKind(k)) issues.push({ path: `/kinds/${i}`, message: `'${k}' is not an alert kind` });
  if (!(ALERT_CHANNELS as readonly string[]).includes(s.channel))
    issues.push({ path: '/channel', message: 'is webhook or email' });
  if (s.channel === 'webhook') {
    let u: URL | undefined;
    try {
      u = new URL(s.url ?? '');
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password)
      issues.push({ path: '/url', message: 'a webhook needs an http or https URL (no credentials in it)' });
    else {
      const refused = privateWebhookHost(u);
      if (refused)
        issues.push({
          path: '/url',
          message:
            `${refused}: webhooks go to public addresses only ` +
            `(an operator allows others with ${WEBHOOK_ALLOW_PRIVATE_ENV}=1)`,
        });
    }
    if (s.secret !== undefined && s.secret !== null && s.secret.length < 16)
      issues.push({ path: '/secret', message: 'at least 16 characters' });
  }
  if (s.channel === 'email') {
    if (!s.recipients?.length)
      issues.push({ path: '/recipients', message: 'an e-mail subscription needs recipients' });
    for (const [i, r] of (s.recipients ?? []).entries())
      if (!EMAIL.test(r))
        issues.push({ path: `/recipients/${i}`, message: `'${r}' is not an e-mail address` });
  }
  for (const [name, v] of Object.entries(s.options ?? {})) {
    const limit = OPTION_LIMITS[name as keyof SubscriptionOptions];
    if (!limit) issues.push({ path: `/options/${name}`, message: 'is not an option' });
    else if (!Number.isInteger(v) || (v as number) < limit.min || (v as number) > limit.max)
      issues.push({ path: `/options/${name}`, message: `an integer from ${limit.min} to ${limit.max}` });
  }
  if (issues.length)
    throw invalid(
      `the subscription is not valid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    );
}

function authorizeSubscriptions(ctx: Context, organizationId: number) {
  ctx.authorize('administer');
  ctx.seeOrganization(organizationId);
  if (!ctx.ownsOrganization(organizationId)) throw notFound('organization', organizationId);
}

async function visibleSubscription(ctx: Context, id: number, write: boolean) {
  const row = await repo.getSubscription(ctx.store.db, id);
  if (!row || !ctx.ownsOrganization(row.organization_id)) throw notFound('subscription', id);
  if (write) authorizeSubscriptions(ctx, row.organization_id);
  return row;
}

const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

export async function createSubscription(ctx: Context, input: SubscriptionInput): Promise<SubscriptionView> {
  authorizeSubscriptions(ctx, input.organizationId);
  await getOrganization(ctx, input.organizationId); // and it exists
  checkSubscription(input);
  const secret = input.channel === 'webhook' ? (input.secret ?? newSecret()) : null;
  return ctx.store.transaction(async (tx) => {
    const row = await repo.insertSubscription(tx, {
      organization_id: input.organizationId,
      name: input.name.trim(),
      kinds: [...new Set(input.kinds)],
      channel: input.channel,
      url: input.channel === 'webhook' ? (input.url ?? null) : null,
      secret,
      recipients: input.channel === 'email' ? (input.recipients ?? []) : [],
      options: { ...input.options },
      enabled: input.enabled ?? true,
    });
    await record(ctx, tx, {
      kind: 'alert_subscription.created',
      organizationId: row.organization_id,
      subjectType: 'alert_subscription',
      subjectId: row.id,
      data: { name: row.name, channel: row.channel, kinds: row.kinds },
    });
    return subscriptionView(row, secret ?? undefined);
  });
}

export async function getSubscription(ctx: Context, id: number) {
  ctx.authorize('read');
  return subscriptionView(await visibleSubscription(ctx, id, false));
}

export async function listSubscriptions(ctx: Context, organizationId: number | undefined, page: Page) {
  ctx.authorize('read');
  if (organizationId !== undefined) ctx.seeOrganization(organizationId);
  const r = await repo.listSubscriptions(ctx.store.db, ctx.access, organizationId, page);
  return { ...r, items: r.items.map((x) => subscriptionView(x)) };
}

export async function updateSubscription(
  ctx: Context,
  id: number,
  patch: SubscriptionPatch & { newSecret?: boolean },
) {
  ctx.authorize('administer');
  const row = await visibleSubscription(ctx, id, true);
  const next = {
    name: patch.name ?? row.name,
    kinds: patch.kinds ?? row.kinds,
    channel: row.channel as AlertChannel,
    url: patch.url !== undefined ? patch.url : row.url,
    secret: patch.secret !== undefined ? patch.secret : undefined,
    recipients: patch.recipients ?? row.recipients,
    options: patch.options ?? (row.options as SubscriptionOptions),
  };
  checkSubscription(next);
  const secret =
    row.channel === 'webhook' && (patch.newSecret || (patch.secret ?? null) !== null)
      ? (patch.secret ?? newSecret())
      : undefined;
  return ctx.store.transaction(async (tx) => {
    const updated = await repo.updateSubscription(tx, id, {
      name: next.name.trim(),
      kinds: [...new Set(next.kinds)],
      url: row.channel === 'webhook' ? next.url : null,
      recipients: row.channel === 'email' ? next.recipients : [],
      options: { ...next.options },
      ...(secret ? { secret } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    });
    await record(ctx, tx, {
      kind: 'alert_subscription.updated',
      organizationId: row.organization_id,
      subjectType: 'alert_subscription',
      subjectId: id,
      data: { fields: Object.keys(patch), secretReplaced: !!secret },
    });
    return subscriptionView(updated, secret);
  });
}

export async function deleteSubscription(ctx: Context, id: number) {
  ctx.authorize('administer');
  const row = await visibleSubscription(ctx, id, true);
  await ctx.store.transaction(async (tx) => {
    await repo.deleteSubscription(tx, id);
    await record(ctx, tx, {
      kind: 'alert_subscription.deleted',
      organizationId: row.organization_id,
      subjectType: 'alert_subscription',
      subjectId: id,
      data: { name: row.name },
    });
  });
}

/** puts a subscription's failed deliveries (retried for a day in vain) back in its queue, in order */
export async function resumeSubscription(ctx: Context, id: number) {
  ctx.authorize('administer');
  const row = await visibleSubscription(ctx, id, true);
  return ctx.store.transaction(async (tx) => {
    const requeued = await repo.requeueFailed(tx, id, ctx.now());
    await record(ctx, tx, {
      kind: 'alert_subscription.resumed',
      organizationId: row.organization_id,
      subjectType: 'alert_subscription',
      subjectId: id,
      data: { requeued: requeued.length },
    });
    return { requeued: requeued.length };
  });
}

// ---- deliveries --------------------------------------------------------------------------------------

export interface DeliveryView {
  id: number;
  subscriptionId: number;
  alertId: number;
  organizationId: number;
  channel: AlertChannel;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  responseStatus: number | null;
  responseExcerpt: string | null;
  error: string | null;
  batch: string | null;
  createdAt: Date;
}
const deliveryView = (r: repo.DeliveryRow): DeliveryView => ({
  id: r.id,
  subscriptionId: r.subscription_id,
  alertId: r.alert_id,
  organizationId: r.organization_id,
  channel: r.channel as AlertChannel,
  status: r.status as DeliveryStatus,
  attempts: r.attempts,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  lastAttemptAt: r.last_attempt_at,
  deliveredAt: r.delivered_at,
  responseStatus: r.response_status,
  responseExcerpt: r.response_excerpt,
  error: r.error,
  batch: r.batch,
  createdAt: r.created_at,
});

export async function listDeliveries(ctx: Context, f: repo.DeliveryFilter, page: Page) {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  if (f.subscriptionId !== undefined) await visibleSubscription(ctx, f.subscriptionId, false);
  const r = await repo.listDeliveries(ctx.store.db, ctx.access, f, page);
  return { ...r, items: r.items.map(deliveryView) };
}

// ---- raising alerts (the engine, with the system's context) ------------------------------------------

const messageOf = (a: Awaited<ReturnType<typeof repo.alertsForMessage>>[number]): AlertMessage => ({
  id: a.id,
  organizationId: a.organization_id,
  organizationName: a.organization_name,
  kind: a.kind as AlertKind,
  subject: a.subject,
  message: a.message,
  deviceId: a.device_id,
  updateId: a.update_id,
  data: a.data,
  createdAt: a.created_at.toISOString(),
});
export const alertMessages = async (db: Db, ids: number[]) =>
  (await repo.alertsForMessage(db, ids)).map(messageOf);

/** opens the drafts that are not open already and queues them for the organization's subscriptions */
export const raiseAlerts = (
  ctx: Context,
  tx: Db,
  organizationId: number,
  drafts: AlertDraft[],
  sourceEventId: number | null = null,
): Promise<number[]> =>
  openDrafts(
    ctx,
    tx,
    organizationId,
    drafts.map((draft) => ({ draft, sourceEventId })),
  );

/**
 * `raiseAlerts` for drafts of several events of one organization, in three statements whatever their
 * number: a key drafted twice opens one alert, from its first draft, as drafts raised one at a time would.
 */
async function openDrafts(
  ctx: Context,
  tx: Db,
  organizationId: number,
  items: { draft: AlertDraft; sourceEventId: number | null }[],
): Promise<number[]> {
  if (!items.length) return [];
  const now = ctx.now();
  const first = new Map<string, (typeof items)[number]>();
  for (const it of items) if (!first.has(it.draft.key)) first.set(it.draft.key, it);
  const subs = await repo.subscriptionsOf(tx, organizationId);
  const opened = await repo.openAlerts(
    tx,
    [...first.values()].map(({ draft: d, sourceEventId }) => ({
      organization_id: organizationId,
      kind: d.kind,
      dedupe_key: d.key,
      device_id: d.deviceId,
      update_id: d.updateId,
      subject: d.subject,
      message: d.message,
      data: d.data,
      source_event_id: sourceEventId,
      created_at: now,
    })),
  );
  await repo.insertDeliveries(
    tx,
    opened.flatMap((row) =>
      subs
        .filter((s) => s.kinds.includes(row.kind))
        .map((s) => ({
          subscription_id: s.id,
          alert_id: row.id,
          organization_id: organizationId,
          channel: s.channel,
          created_at: now,
          // an e-mail waits for its digest: all the alerts of the period go in one mail
          next_attempt_at:
            s.channel === 'email'
              ? new Date(now.getTime() + optionOf(s.options as SubscriptionOptions, 'digestMinutes') * 60_000)
              : now,
        })),
    ),
  );
  return opened.map((r) => r.id);
}

export interface ConsumerState {
  /** ids missing from the log (a transaction not committed yet, or rolled back), first seen at (ms) */
  gaps: Map<number, number>;
}
export const newConsumerState = (): ConsumerState => ({ gaps: new Map() });

/**
 * Reads the event log from the cursor and raises the alerts its entries call for. An id missing from
 * the sequence may belong to a transaction that commits later: the consumer waits for it up to
 * `settleMs` (of its own clock), then counts it as rolled back and goes on. Returns the entries read.
 */
export async function consumeEvents(
  ctx: Context,
  state: ConsumerState,
  o: { limit?: number; settleMs?: number; clock?: () => number } = {},
): Promise<number> {
  const clock = o.clock ?? Date.now;
  const settleMs = o.settleMs ?? 10_000;
  return ctx.store.transaction(async (tx) => {
    const cursor = await repo.lockCursor(tx, 'alerts');
    const events = await repo.eventsAfter(tx, cursor.last_event_id, o.limit ?? 500);
    let last = cursor.last_event_id;
    let read = 0;
    // the facts the entries name, read for the whole batch at once (not two queries per entry)
    const named = (k: 'device_id' | 'update_id') => [
      ...new Set(events.flatMap((e) => (e.organization_id !== null && e[k] !== null ? [Number(e[k])] : []))),
    ];
    const names = await repo.deviceNames(tx, named('device_id'));
    const updates = await repo.updateFactsOf(tx, named('update_id'));
    // the batch's drafts, per organization in the order of the log, raised together after the loop
    const drafted = new Map<number, Parameters<typeof openDrafts>[3]>();
    for (const e of events) {
      if (e.id !== last + 1) {
        const seen = state.gaps.get(last + 1) ?? clock();
        state.gaps.set(last + 1, seen);
        if (clock() - seen < settleMs) break;
        state.gaps.delete(last + 1);
      }
      if (e.organization_id !== null) {
        const facts = {
          deviceName: e.device_id === null ? null : (names.get(Number(e.device_id)) ?? null),
          update: e.update_id === null ? null : (updates.get(Number(e.update_id)) ?? null),
        };
        const drafts = alertsFromEvent(
          {
            id: e.id,
            at: e.at,
            organizationId: e.organization_id,
            kind: e.kind,
            deviceId: e.device_id,
            updateId: e.update_id,
            data: e.data,
          },
          {
            deviceName: facts.deviceName,
            update: facts.update
              ? {
                  name: facts.update.kb ?? facts.update.name,
                  severity: facts.update.severity,
                  kev: !!facts.update.kev,
                }
              : null,
          },
        );
        let of = drafted.get(e.organization_id);
        if (!of) drafted.set(e.organization_id, (of = []));
        for (const draft of drafts) of.push({ draft, sourceEventId: e.id });
      }
      last = e.id;
      read++;
    }
    for (const [organizationId, items] of drafted) await openDrafts(ctx, tx, organizationId, items);
    if (last !== cursor.last_event_id) await repo.moveCursor(tx, 'alerts', { last_event_id: last });
    return read;
  });
}

/**
 * The periodic conditions, per organization: devices waiting for a reboot longer than the threshold,
 * devices silent longer than theirs (the smallest of the organization's subscriptions' options, else the
 * default), and window occurrences that ended since the last check. An alert whose condition is gone is
 * closed by the system (resolved).
 */
export async function checkConditions(ctx: Context): Promise<number> {
  const now = ctx.now();
  let raised = 0;
  const db = ctx.store.db;
  const lastCheck = await ctx.store.transaction(async (tx) => {
    const c = await repo.lockCursor(tx, 'conditions');
    await repo.moveCursor(tx, 'conditions', { checked_at: now });
    return c.checked_at;
  });
  for (const org of await repo.organizationsWithNames(db)) {
    const subs = await repo.subscriptionsOf(db, org.id);
    const threshold = (kind: AlertKind, name: 'rebootDays' | 'silentHours') => {
      const values = subs
        .filter((s) => s.kinds.includes(kind))
        .map((s) => optionOf(s.options as SubscriptionOptions, name));
      return values.length ? Math.min(...values) : OPTION_LIMITS[name].default;
    };
    const days = threshold('reboot.pending', 'rebootDays');
    const hours = threshold('device.silent', 'silentHours');
    const reboots = (await repo.rebootWaiting(db, org.id))
      .filter((d) => now.getTime() - new Date(d.since).getTime() > days * 86_400_000)
      .map((d) => rebootAlert({ ...d, since: new Date(d.since) }, days));
    const silent = (await repo.silentDevices(db, org.id, new Date(now.getTime() - hours * 3_600_000))).map(
      (d) => silentAlert({ ...d, lastSeenAt: new Date(d.lastSeenAt) }, hours),
    );
    raised += await ctx.store.transaction(async (tx) => {
      await repo.resolveGone(
        tx,
        org.id,
        'reboot.pending',
        reboots.map((a) => a.key),
        now,
      );
      await repo.resolveGone(
        tx,
        org.id,
        'device.silent',
        silent.map((a) => a.key),
        now,
      );
      return (await raiseAlerts(ctx, tx, org.id, [...reboots, ...silent])).length;
    });
  }
  // windows: the occurrences that ended since the last check (none on the very first check)
  if (lastCheck)
    for (const w of await repo.windowsOf(db)) {
      const from = new Date(lastCheck.getTime() - 86_400_000);
      const days = Math.min(92, Math.max(1, Math.ceil((now.getTime() - from.getTime()) / 86_400_000) + 1));
      let occurrences;
      try {
        occurrences = (await windowOccurrences(ctx, w.id, { from, days })).occurrences;
      } catch {
        continue; // a window whose schedule cannot be read has no occurrences to report
      }
      const ended = occurrences.filter(
        (o) => o.end !== null && o.end > lastCheck && o.end <= now && o.uses.some((u) => u !== 'scan'),
      );
      const seen = new Set<string>();
      for (const o of ended) {
        const key = `${o.start.toISOString()}/${o.end!.toISOString()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const outcome = await repo.installOutcomes(db, w.organization_id, o.start, o.end!);
        const draft = windowEndedAlert({
          windowId: w.id,
          windowName: w.name,
          start: o.start,
          end: o.end!,
          ...outcome,
        });
        raised += (await ctx.store.transaction((tx) => raiseAlerts(ctx, tx, w.organization_id, [draft])))
          .length;
      }
    }
  return raised;
}

/** the alerts of one device as a queryable list (a product's per-agent alarm log) */
export async function queryDeviceAlerts(ctx: Context, deviceId: number, q: ListQuery) {
  ctx.authorize('read');
  await visibleDevice(ctx, deviceId);
  return queryAlerts(ctx, q, { deviceId });
}

/**
 * The alerts in scope raised since this caller's session last asked (a product's "only new alarms"), and
 * the mark moved past them. The mark is per session (per API key when there is none).
 */
export async function queryNewAlerts(ctx: Context, q: ListQuery) {
  ctx.authorize('read');
  const who =
    ctx.actor.sessionId !== undefined
      ? `session:${ctx.actor.sessionId}`
      : `${ctx.actor.type}:${ctx.actor.id}`;
  const name = `alerts-seen:${who}`;
  return ctx.store.transaction(async (tx) => {
    const mark = await repo.lockCursor(tx, name);
    const r = await repo.queryAlerts(tx, ctx.access, q, { afterId: mark.last_event_id });
    const last = Math.max(mark.last_event_id, ...r.records.map((x) => x.id));
    if (last !== mark.last_event_id) await repo.moveCursor(tx, name, { last_event_id: last });
    return { total: r.total, records: r.records.map((x) => ({ ...alertView(x), groupName: x.group_name })) };
  });
}
