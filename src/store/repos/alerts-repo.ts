import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import type { ListQuery } from '../../core/query.ts';
import { groupVisible, orgOwned } from '../access.ts';
import type { Db } from '../db.ts';
import { paginate, type Page } from '../paging.ts';
import { pageThrough, type Columns } from '../query.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

// Alerts, their subscriptions and deliveries, the alert consumer's cursor over the event log, and the
// facts the engine's periodic checks read (migration 0020).

export type AlertRow = Row<'alerts'>;
export type SubscriptionRow = Row<'alert_subscriptions'>;
export type DeliveryRow = Row<'alert_deliveries'>;

// ---- the consumer's cursor ---------------------------------------------------------------------------

/** the cursor, locked until the transaction ends (one consumer at a time across replicas) */
export async function lockCursor(db: Db, name: string) {
  await db
    .insertInto('alert_cursors')
    .values({ name, last_event_id: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return db
    .selectFrom('alert_cursors')
    .selectAll()
    .where('name', '=', name)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export const moveCursor = (db: Db, name: string, patch: RowPatch<'alert_cursors'>) =>
  db.updateTable('alert_cursors').set(patch).where('name', '=', name).execute();

/** log entries after `id`, oldest first */
export const eventsAfter = (db: Db, id: number, limit: number) =>
  db.selectFrom('events').selectAll().where('id', '>', id).orderBy('id').limit(limit).execute();

// ---- facts for the rules -----------------------------------------------------------------------------

/** name, KB, severity and whether CISA lists it, of each update named (by id) */
export async function updateFactsOf(db: Db, updateIds: readonly number[]) {
  if (!updateIds.length)
    return new Map<number, { name: string; kb: string | null; severity: string; kev: boolean }>();
  const rows = await db
    .selectFrom('updates as u')
    .select(['u.id', 'u.name', 'u.kb', 'u.severity'])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('update_cves as uc')
            .innerJoin('cves as c', 'c.id', 'uc.cve_id')
            .select('uc.update_id')
            .whereRef('uc.update_id', '=', 'u.id')
            .where('c.kev_added_at', 'is not', null),
        )
        .as('kev'),
    )
    .where('u.id', 'in', updateIds)
    .execute();
  return new Map(
    rows.map((r) => [Number(r.id), { name: r.name, kb: r.kb, severity: r.severity, kev: !!r.kev }]),
  );
}

/** the name of each device named (by id) */
export async function deviceNames(db: Db, ids: readonly number[]) {
  if (!ids.length) return new Map<number, string>();
  const rows = await db.selectFrom('devices').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [Number(r.id), r.name]));
}

/** devices that say they need a reboot, and since when (the oldest update waiting for it) */
export const rebootWaiting = (db: Db, organizationId: number) =>
  db
    .selectFrom('devices as d')
    .innerJoin('device_updates as du', (j) =>
      j.onRef('du.device_id', '=', 'd.id').on('du.status', '=', 'reboot_required'),
    )
    .select(['d.id as deviceId', 'd.name as deviceName'])
    .select(sql<Date>`min(du.status_changed_at)`.as('since'))
    .where('d.organization_id', '=', organizationId)
    .where('d.status', '<>', 'retired')
    .groupBy(['d.id', 'd.name'])
    .execute();

/** devices that checked in once and not since `before` */
export const silentDevices = (db: Db, organizationId: number, before: Date) =>
  db
    .selectFrom('devices')
    .select(['id as deviceId', 'name as deviceName', 'last_seen_at as lastSeenAt'])
    .where('organization_id', '=', organizationId)
    .where('status', '<>', 'retired')
    .where('last_seen_at', '<', before)
    .execute() as Promise<{ deviceId: number; deviceName: string; lastSeenAt: Date }[]>;

export const organizationsWithNames = (db: Db) =>
  db.selectFrom('organizations').select(['id', 'name']).orderBy('id').execute();

export const windowsOf = (db: Db) =>
  db.selectFrom('maintenance_windows').select(['id', 'organization_id', 'name']).orderBy('id').execute();

/** what happened to installs in an organization between two times: the summary of a window */
export async function installOutcomes(db: Db, organizationId: number, from: Date, to: Date) {
  const r = await db
    .selectFrom('events')
    .select([
      sql<number>`count(*) filter (where data->>'to' in ('installed', 'reboot_required'))::int`.as(
        'installed',
      ),
      sql<number>`count(*) filter (where data->>'to' = 'failed')::int`.as('failed'),
      sql<number>`count(distinct device_id)::int`.as('devices'),
    ])
    .where('organization_id', '=', organizationId)
    .where('kind', '=', 'device_update.status')
    .where(sql<string>`data->>'to'`, 'in', ['installed', 'reboot_required', 'failed'])
    .where('at', '>=', from)
    .where('at', '<', to)
    .executeTakeFirstOrThrow();
  return r;
}

// ---- alerts ------------------------------------------------------------------------------------------

/** opens an alert unless one of the same key is open; undefined when it was */
/**
 * opens the alerts `rows` names in one statement, skipping a key that is open already (the partial
 * unique index); returns the alerts opened, in the order given. Keys must be distinct among `rows`.
 */
export const openAlerts = async (db: Db, rows: NewRow<'alerts'>[]) =>
  rows.length
    ? (
        await db
          .insertInto('alerts')
          .values(rows)
          // the partial index's predicate as a literal: PostgreSQL cannot match it against a bound parameter
          .onConflict((oc) =>
            oc
              .columns(['organization_id', 'dedupe_key'])
              .where(sql<boolean>`state = 'open'`)
              .doNothing(),
          )
          .returning(['id', 'kind'])
          .execute()
      ).sort((a, b) => a.id - b.id)
    : [];

/** closes the open alerts of a periodic kind whose condition is gone (their keys are not in `still`) */
export const resolveGone = (db: Db, organizationId: number, kind: string, still: string[], at: Date) =>
  db
    .updateTable('alerts')
    .set({ state: 'closed', closed_at: at, closed_by: 'system', close_notes: 'resolved' })
    .where('organization_id', '=', organizationId)
    .where('kind', '=', kind)
    .where('state', '=', 'open')
    .$if(still.length > 0, (q) => q.where('dedupe_key', 'not in', still))
    .returning('id')
    .execute();

export const closeAlertRow = (db: Db, id: number, by: string, notes: string | null, at: Date) =>
  db
    .updateTable('alerts')
    .set({ state: 'closed', closed_at: at, closed_by: by, close_notes: notes })
    .where('id', '=', id)
    .where('state', '=', 'open')
    .returningAll()
    .executeTakeFirst();

const alertBase = (db: Db, access: Access) =>
  db
    .selectFrom('alerts as a')
    .innerJoin('organizations as o', 'o.id', 'a.organization_id')
    .leftJoin('devices as d', 'd.id', 'a.device_id')
    .selectAll('a')
    .select(['o.name as organization_name', 'd.name as device_name', 'd.group_id as group_id'])
    .where(
      sql<boolean>`(${orgOwned(access, 'a.organization_id')} or ${groupVisible(access, 'a.organization_id', 'd.group_id')})`,
    );

export type AlertEntry = Awaited<ReturnType<typeof getAlert>> & object;

export const getAlert = (db: Db, access: Access, id: number) =>
  alertBase(db, access).where('a.id', '=', id).executeTakeFirst();

export interface AlertFilter {
  organizationId?: number;
  deviceId?: number;
  kind?: string;
  state?: string;
  /** alerts after this id (a client's "only new ones since") */
  afterId?: number;
}

export function listAlerts(db: Db, access: Access, f: AlertFilter, page: Page) {
  let q = alertBase(db, access);
  if (f.organizationId !== undefined) q = q.where('a.organization_id', '=', f.organizationId);
  if (f.deviceId !== undefined) q = q.where('a.device_id', '=', f.deviceId);
  if (f.kind !== undefined) q = q.where('a.kind', '=', f.kind);
  if (f.state !== undefined) q = q.where('a.state', '=', f.state);
  if (f.afterId !== undefined) q = q.where('a.id', '>', f.afterId);
  const sorted = { ...page, sort: page.sort.length ? page.sort : ['-id'] };
  return paginate(q, sorted, { id: 'a.id', createdAt: 'a.created_at', kind: 'a.kind' }, 'a.id', (r) => r);
}

/** the alerts as a queryable list (the Kaseya face's OData): fields are the domain names below */
const alertColumns: Columns = {
  id: 'a.id',
  organizationId: 'a.organization_id',
  kind: 'a.kind',
  subject: 'a.subject',
  message: 'a.message',
  state: 'a.state',
  deviceId: 'a.device_id',
  deviceName: 'd.name',
  groupName: 'g.name',
  createdAt: 'a.created_at',
  closedBy: 'a.closed_by',
};
export const queryAlerts = (db: Db, access: Access, q: ListQuery, extra: AlertFilter = {}) => {
  let base = alertBase(db, access)
    .leftJoin('groups as g', 'g.id', 'd.group_id')
    .select('g.name as group_name');
  if (extra.deviceId !== undefined) base = base.where('a.device_id', '=', extra.deviceId);
  if (extra.afterId !== undefined) base = base.where('a.id', '>', extra.afterId);
  return pageThrough(base, q, alertColumns, ['a.id']);
};

// ---- subscriptions -----------------------------------------------------------------------------------

export const insertSubscription = (db: Db, row: NewRow<'alert_subscriptions'>) =>
  db.insertInto('alert_subscriptions').values(row).returningAll().executeTakeFirstOrThrow();

export const updateSubscription = (db: Db, id: number, patch: RowPatch<'alert_subscriptions'>) =>
  db
    .updateTable('alert_subscriptions')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();

export const deleteSubscription = (db: Db, id: number) =>
  db.deleteFrom('alert_subscriptions').where('id', '=', id).execute();

export const getSubscription = (db: Db, id: number) =>
  db.selectFrom('alert_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();

export function listSubscriptions(db: Db, access: Access, organizationId: number | undefined, page: Page) {
  let q = db.selectFrom('alert_subscriptions').selectAll().where(orgOwned(access, 'organization_id'));
  if (organizationId !== undefined) q = q.where('organization_id', '=', organizationId);
  return paginate(q, page, { id: 'id', name: 'name', createdAt: 'created_at' }, 'id', (r) => r);
}

/** an organization's enabled subscriptions */
export const subscriptionsOf = (db: Db, organizationId: number) =>
  db
    .selectFrom('alert_subscriptions')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('enabled', '=', true)
    .orderBy('id')
    .execute();

// ---- deliveries --------------------------------------------------------------------------------------

export async function insertDeliveries(db: Db, rows: NewRow<'alert_deliveries'>[]) {
  if (rows.length)
    await db
      .insertInto('alert_deliveries')
      .values(rows)
      .onConflict((oc) => oc.columns(['subscription_id', 'alert_id']).doNothing())
      .execute();
}

/** each enabled webhook subscription's first delivery not yet delivered (its queue's head), if due */
export const dueWebhookHeads = (db: Db, now: Date) =>
  db
    .selectFrom(
      db
        .selectFrom('alert_deliveries as d')
        .innerJoin('alert_subscriptions as s', 's.id', 'd.subscription_id')
        .selectAll('d')
        .select(['s.url', 's.secret'])
        .distinctOn('d.subscription_id')
        .where('s.enabled', '=', true)
        .where('s.channel', '=', 'webhook')
        .where('d.status', '<>', 'delivered')
        .orderBy('d.subscription_id')
        .orderBy('d.id')
        .as('h'),
    )
    .selectAll()
    .where('h.status', '=', 'pending')
    .where('h.next_attempt_at', '<=', now)
    .orderBy('h.id')
    .execute();

/** takes a due delivery for one attempt (pushes its next attempt out by the lease); false when taken */
export async function claimDelivery(db: Db, id: number, now: Date, until: Date) {
  const r = await db
    .updateTable('alert_deliveries')
    .set({ next_attempt_at: until })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export const updateDeliveries = (db: Db, ids: number[], patch: RowPatch<'alert_deliveries'>) =>
  db.updateTable('alert_deliveries').set(patch).where('id', 'in', ids).execute();

/** e-mail subscriptions with deliveries waiting, with the oldest one's time */
export const pendingDigests = (db: Db) =>
  db
    .selectFrom('alert_deliveries as d')
    .innerJoin('alert_subscriptions as s', 's.id', 'd.subscription_id')
    .select(['s.id as subscriptionId'])
    .select(sql<Date>`min(d.created_at)`.as('oldest'))
    .select(sql<Date>`min(d.next_attempt_at)`.as('due'))
    .where('s.enabled', '=', true)
    .where('s.channel', '=', 'email')
    .where('d.status', '=', 'pending')
    .groupBy('s.id')
    .execute();

export const pendingOf = (db: Db, subscriptionId: number) =>
  db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'pending')
    .orderBy('id')
    .execute();

/** the alerts as they leave the server, by id */
export const alertsForMessage = (db: Db, ids: number[]) =>
  ids.length
    ? db
        .selectFrom('alerts as a')
        .innerJoin('organizations as o', 'o.id', 'a.organization_id')
        .selectAll('a')
        .select('o.name as organization_name')
        .where('a.id', 'in', ids)
        .orderBy('a.id')
        .execute()
    : Promise.resolve([]);

export interface DeliveryFilter {
  organizationId?: number;
  subscriptionId?: number;
  alertId?: number;
  status?: string;
}

export function listDeliveries(db: Db, access: Access, f: DeliveryFilter, page: Page) {
  let q = db.selectFrom('alert_deliveries').selectAll().where(orgOwned(access, 'organization_id'));
  if (f.organizationId !== undefined) q = q.where('organization_id', '=', f.organizationId);
  if (f.subscriptionId !== undefined) q = q.where('subscription_id', '=', f.subscriptionId);
  if (f.alertId !== undefined) q = q.where('alert_id', '=', f.alertId);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  const sorted = { ...page, sort: page.sort.length ? page.sort : ['-id'] };
  return paginate(q, sorted, { id: 'id', createdAt: 'created_at' }, 'id', (r) => r);
}

/** a subscription's failed deliveries go back to the queue (a person resumed it) */
export const requeueFailed = (db: Db, subscriptionId: number, now: Date) =>
  db
    .updateTable('alert_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, created_at: now })
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'failed')
    .returning('id')
    .execute();
