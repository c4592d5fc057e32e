import { sql, type Kysely } from 'kysely';

// Alerts and notifications (issue 18, item 3).
// - alerts: what needs someone's attention in an organization (core/alerts: kinds), open until closed by
//   a person or resolved by the engine (the condition went away). `dedupe_key` names the condition
//   ("reboot_pending:device:5"): at most one open alert per key and organization.
// - alert_subscriptions: per organization, which kinds go where (webhook or e-mail) with their options
//   (thresholds, digest period); a webhook's secret signs every body (HMAC-SHA256).
// - alert_deliveries: one row per (subscription, alert), in alert order; webhook rows are sent one by one
//   in id order per subscription (a failing head blocks the rest: never skipped, never reordered), e-mail
//   rows are sent together as one digest (`batch`). The row id is the delivery id receivers dedupe on.
// - alert_cursors: how far the alert consumer has read the event log (survives restarts).
const KINDS = `'update.critical_missing', 'install.failed', 'reboot.pending', 'device.silent',
  'rollout.gate_failed', 'rollout.ring_finished', 'approval.waiting', 'window.ended'`;
const statements = [
  `create table alerts (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    kind text not null,
    dedupe_key text not null,
    device_id bigint references devices(id) on delete set null,
    update_id bigint references updates(id) on delete set null,
    subject text not null,
    message text not null default '',
    data jsonb not null default '{}',
    state text not null default 'open',
    source_event_id bigint,
    created_at timestamptz not null default now(),
    closed_at timestamptz,
    closed_by text,
    close_notes text,
    check (kind in (${KINDS})),
    check (state in ('open', 'closed'))
  )`,
  `create unique index alerts_open_key on alerts (organization_id, dedupe_key) where state = 'open'`,
  `create index alerts_org on alerts (organization_id, id)`,
  `create index alerts_device on alerts (device_id, id) where device_id is not null`,
  `create table alert_subscriptions (
    id bigint generated always as identity primary key,
    organization_id bigint not null references organizations(id) on delete cascade,
    name text not null,
    kinds text[] not null,
    channel text not null,
    url text,
    secret text,
    recipients text[] not null default '{}',
    options jsonb not null default '{}',
    enabled boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (channel in ('webhook', 'email')),
    check (channel <> 'webhook' or (url is not null and secret is not null)),
    check (channel <> 'email' or cardinality(recipients) > 0)
  )`,
  `create index alert_subscriptions_org on alert_subscriptions (organization_id, id)`,
  `create table alert_deliveries (
    id bigint generated always as identity primary key,
    subscription_id bigint not null references alert_subscriptions(id) on delete cascade,
    alert_id bigint not null references alerts(id) on delete cascade,
    organization_id bigint not null references organizations(id) on delete cascade,
    channel text not null,
    status text not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    last_attempt_at timestamptz,
    delivered_at timestamptz,
    response_status integer,
    response_excerpt text,
    error text,
    batch text,
    created_at timestamptz not null,
    check (status in ('pending', 'delivered', 'failed')),
    unique (subscription_id, alert_id)
  )`,
  `create index alert_deliveries_due on alert_deliveries (subscription_id, id) where status <> 'delivered'`,
  `create index alert_deliveries_org on alert_deliveries (organization_id, id)`,
  `create table alert_cursors (
    name text primary key,
    last_event_id bigint not null default 0,
    checked_at timestamptz
  )`,
  // the consumer starts at the end of the log as it is when alerts arrive: history is not news
  `insert into alert_cursors (name, last_event_id) select 'alerts', coalesce(max(id), 0) from events`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['alert_cursors', 'alert_deliveries', 'alert_subscriptions', 'alerts'])
    await sql.raw(`drop table ${t}`).execute(db);
}
