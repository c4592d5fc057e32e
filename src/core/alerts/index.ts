// Alerts and notifications (issue 18, item 3): the kinds of alert, which event-log entries raise which
// alert, the subscription options, the webhook retry schedule and the e-mail digest. Pure: the engine's
// alert consumer (engine/alerts.ts) reads the log and the store and hands the facts here.

export const ALERT_KINDS = [
  'update.critical_missing', // a known-exploited (CISA KEV) or critical update became missing on a device
  'install.failed', // an install failed on a device
  'reboot.pending', // a device has waited for a reboot longer than N days
  'device.silent', // a device stopped checking in (N hours)
  'rollout.gate_failed', // a rollout's promotion gate failed (the rollout stopped)
  'rollout.ring_finished', // a rollout ring finished
  'approval.waiting', // an update became missing with no decision: someone must approve or ignore it
  'window.ended', // a maintenance window's occurrence ended (with its summary)
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const isAlertKind = (k: string): k is AlertKind => (ALERT_KINDS as readonly string[]).includes(k);

export const ALERT_STATES = ['open', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_CHANNELS = ['webhook', 'email'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** a subscription's options; each has a default, and the thresholds are per organization (the smallest) */
export interface SubscriptionOptions {
  /** reboot.pending: days a device has waited for a reboot */
  rebootDays?: number;
  /** device.silent: hours since the device last checked in */
  silentHours?: number;
  /** e-mail: minutes between digests (all the period's alerts in one mail) */
  digestMinutes?: number;
}
export const OPTION_LIMITS = {
  rebootDays: { min: 1, max: 365, default: 7 },
  silentHours: { min: 1, max: 24 * 90, default: 24 },
  digestMinutes: { min: 1, max: 24 * 60, default: 60 },
} as const satisfies Record<keyof SubscriptionOptions, { min: number; max: number; default: number }>;

export const optionOf = (o: SubscriptionOptions, name: keyof SubscriptionOptions): number =>
  o[name] ?? OPTION_LIMITS[name].default;

/** An alert to raise: `key` names the condition; while an alert of that key is open no second one opens. */
export interface AlertDraft {
  kind: AlertKind;
  key: string;
  deviceId: number | null;
  updateId: number | null;
  subject: string;
  message: string;
  data: Record<string, unknown>;
}

/** an event-log entry, as the consumer reads it */
export interface LoggedEvent {
  id: number;
  at: Date;
  organizationId: number | null;
  kind: string;
  deviceId: number | null;
  updateId: number | null;
  data: Record<string, unknown>;
}

/** what the catalog and the directory say about the event's device and update */
export interface EventFacts {
  deviceName?: string | null;
  update?: { name: string; severity: string; kev: boolean } | null;
}

/** the update-status event kinds whose `data.to` is the device update's new status */
const STATUS_EVENTS = new Set(['device_update.status', 'device_update.detected']);
/** the rollout event kinds (written by rollouts, h-ro's contract) that raise an alert */
const ROLLOUT_ALERTS: Record<string, AlertKind> = {
  'rollout.gate_failed': 'rollout.gate_failed',
  'rollout.ring_finished': 'rollout.ring_finished',
};

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);

/** Which of the kinds an event-log entry raises (none for most). */
export function alertsFromEvent(e: LoggedEvent, f: EventFacts = {}): AlertDraft[] {
  const out: AlertDraft[] = [];
  const device = f.deviceName ?? (e.deviceId === null ? null : `device ${e.deviceId}`);
  if (STATUS_EVENTS.has(e.kind) && e.deviceId !== null && e.updateId !== null) {
    const to = str(e.data.to);
    const update = f.update?.name ?? `update ${e.updateId}`;
    const base = { deviceId: e.deviceId, updateId: e.updateId };
    if (to === 'failed')
      out.push({
        ...base,
        kind: 'install.failed',
        key: `install.failed:${e.deviceId}:${e.updateId}`,
        subject: `Install of ${update} failed on ${device}`,
        message: `The install of ${update} on ${device} failed${str(e.data.reason) ? ` (${str(e.data.reason)})` : ''}.`,
        data: { device, update, reason: e.data.reason ?? null },
      });
    if (to === 'missing' && f.update && (f.update.kev || f.update.severity === 'critical'))
      out.push({
        ...base,
        kind: 'update.critical_missing',
        key: `update.critical_missing:${e.deviceId}:${e.updateId}`,
        subject: `${f.update.kev ? 'Known-exploited' : 'Critical'} update ${update} is missing on ${device}`,
        message:
          `${update} (severity ${f.update.severity}${f.update.kev ? ', listed in CISA KEV' : ''}) ` +
          `became missing on ${device}.`,
        data: { device, update, severity: f.update.severity, kev: f.update.kev },
      });
    // status missing is "detected, no decision" (approved is pending, ignored is ignored): someone must
    // decide. One alert per update, not per device: the decision is the organization's
    if (to === 'missing' && e.kind === 'device_update.detected')
      out.push({
        kind: 'approval.waiting',
        key: `approval.waiting:${e.updateId}`,
        deviceId: null,
        updateId: e.updateId,
        subject: `${update} waits for an approval`,
        message: `${update} is missing on ${device} and nobody has approved or ignored it yet.`,
        data: { update, firstDevice: device },
      });
  }
  const rollout = ROLLOUT_ALERTS[e.kind];
  if (rollout) {
    // rollouts (services/rollouts.ts) write planName, planId, ring (its index) and ringName; the contract's
    // first form had plan and ring: both are read
    const plan = str(e.data.planName) ?? str(e.data.plan) ?? str(e.data.planId) ?? '?';
    const ring = str(e.data.ringName) ?? str(e.data.ring) ?? '?';
    const reason = str(e.data.reason);
    const failed = rollout === 'rollout.gate_failed';
    out.push({
      kind: rollout,
      // every occurrence is news: the event id keeps two gate failures of one plan apart
      key: `${rollout}:${plan}:${ring}:${e.id}`,
      deviceId: null,
      updateId: e.updateId,
      subject: failed
        ? `Rollout ${plan}: the gate after ring ${ring} failed`
        : `Rollout ${plan}: ring ${ring} finished`,
      message: failed
        ? `The promotion gate after ring ${ring} of plan ${plan} failed${reason ? `: ${reason}` : ''}. The rollout stopped.`
        : `Ring ${ring} of plan ${plan} finished${reason ? `: ${reason}` : ''}.`,
      data: { ...e.data },
    });
  }
  return out;
}

// ---- periodic conditions -----------------------------------------------------------------------------

export interface RebootWaiting {
  deviceId: number;
  deviceName: string;
  /** since when the device has said it needs a reboot */
  since: Date;
}
export const rebootAlert = (d: RebootWaiting, days: number): AlertDraft => ({
  kind: 'reboot.pending',
  key: `reboot.pending:${d.deviceId}`,
  deviceId: d.deviceId,
  updateId: null,
  subject: `${d.deviceName} has waited for a reboot for more than ${days} days`,
  message: `${d.deviceName} has needed a reboot since ${d.since.toISOString()}.`,
  data: { device: d.deviceName, since: d.since.toISOString(), thresholdDays: days },
});

export interface SilentDevice {
  deviceId: number;
  deviceName: string;
  lastSeenAt: Date;
}
export const silentAlert = (d: SilentDevice, hours: number): AlertDraft => ({
  kind: 'device.silent',
  key: `device.silent:${d.deviceId}`,
  deviceId: d.deviceId,
  updateId: null,
  subject: `${d.deviceName} has not checked in for more than ${hours} hours`,
  message: `${d.deviceName} last checked in at ${d.lastSeenAt.toISOString()}.`,
  data: { device: d.deviceName, lastSeenAt: d.lastSeenAt.toISOString(), thresholdHours: hours },
});

export interface WindowSummary {
  windowId: number;
  windowName: string;
  start: Date;
  end: Date;
  installed: number;
  failed: number;
  devices: number;
}
export const windowEndedAlert = (w: WindowSummary): AlertDraft => ({
  kind: 'window.ended',
  key: `window.ended:${w.windowId}:${w.end.toISOString()}`,
  deviceId: null,
  updateId: null,
  subject: `Maintenance window ${w.windowName} ended: ${w.installed} installed, ${w.failed} failed`,
  message:
    `The maintenance window ${w.windowName} (${w.start.toISOString()} to ${w.end.toISOString()}) ended: ` +
    `${w.installed} updates installed and ${w.failed} failed on ${w.devices} devices.`,
  data: {
    window: w.windowName,
    windowId: w.windowId,
    start: w.start.toISOString(),
    end: w.end.toISOString(),
    installed: w.installed,
    failed: w.failed,
    devices: w.devices,
  },
});

// ---- delivery ----------------------------------------------------------------------------------------

export interface RetryPolicy {
  /** the first retry's delay */
  baseMs: number;
  /** the longest delay between two attempts */
  maxDelayMs: number;
  /** how long a delivery is retried before it is marked failed (it then waits for a person) */
  giveUpAfterMs: number;
}
/** one day of retries: 30 s, 1 min, 2 min, … up to an hour apart */
export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 30_000,
  maxDelayMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
};

/** the delay before the next attempt after `attempts` failed ones (exponential, capped) */
export const retryDelay = (attempts: number, p: RetryPolicy): number =>
  Math.min(p.maxDelayMs, p.baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));

/** the alert as it leaves the server, in webhook bodies and e-mails */
export interface AlertMessage {
  id: number;
  organizationId: number;
  organizationName: string;
  kind: AlertKind;
  subject: string;
  message: string;
  deviceId: number | null;
  updateId: number | null;
  data: Record<string, unknown>;
  createdAt: string;
}

/** a webhook's JSON body: `deliveryId` stays the same on every retry, so a receiver dedupes on it */
export const webhookBody = (deliveryId: number, subscriptionId: number, alert: AlertMessage) =>
  JSON.stringify({ deliveryId, subscriptionId, alert });

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** one e-mail for all the alerts of a subscription's period: plain text and HTML */
export function digestMail(subscriptionName: string, organizationName: string, alerts: AlertMessage[]) {
  const n = alerts.length;
  const subject = `[Patchline] ${organizationName}: ${n} alert${n === 1 ? '' : 's'}${n === 1 ? ` - ${alerts[0]!.subject}` : ''}`;
  const lines = alerts.map(
    (a) => `- [${a.kind}] ${a.subject}\n  ${a.message} (alert ${a.id}, ${a.createdAt})`,
  );
  const text =
    `${n} alert${n === 1 ? '' : 's'} for ${organizationName} (subscription "${subscriptionName}"):\n\n` +
    `${lines.join('\n')}\n`;
  const rows = alerts
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.kind)}</td><td><strong>${escapeHtml(a.subject)}</strong><br>` +
        `${escapeHtml(a.message)}</td><td>${escapeHtml(a.createdAt)}</td></tr>`,
    )
    .join('');
  const html =
    `<!doctype html><html><body><h1>${escapeHtml(organizationName)}: ${n} alert${n === 1 ? '' : 's'}</h1>` +
    `<p>Subscription "${escapeHtml(subscriptionName)}"</p>` +
    `<table border="1" cellpadding="4"><thead><tr><th>Kind</th><th>Alert</th><th>Time</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></body></html>`;
  return { subject, text, html };
}
