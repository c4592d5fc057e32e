import { AUDIT_LISTS, type AuditKind, type AuditList } from '../core/audit/model.ts';
import { notFound } from '../core/errors.ts';
import type { ListQuery } from '../core/query.ts';
import {
  auditSnapshots,
  getAuditSummary,
  getWarranty,
  setWarranty,
  queryAuditList as auditListRows,
  queryAuditSummaries as summaryRows,
  upsertAudit,
} from '../store/repos/audits-repo.ts';
import type { Row } from '../store/schema.ts';
import type { AuditReport } from '../wire/audit.ts';
import type { Context } from './context.ts';
import { scheduleDeviceScan, type DeviceActionOptions } from './device-patching.ts';
import { visibleDevice } from './devices.ts';
import { record } from './events.ts';
import { runOnDevice } from './tasks.ts';
import type { Schedule } from '../core/schedule/model.ts';

// Audits (issue 16): an agent's report of what its machine has (core/audit/model.ts), kept per device as
// the latest, the baseline and the system-info snapshot, read back as lists, and asked for through scan
// jobs that carry `audit` (run now, or a scan schedule): the agent scans, then sends the audit.
//
// Which snapshots a report becomes (decided here, once):
// - latest: every latest or baseline report (the most recent configuration);
// - baseline: a baseline report, and the device's first report of any kind (the machine as first seen);
// - sysinfo: a sysinfo report (the hardware read last), which also becomes latest if there is none yet.

export type { AuditSummaryEntry } from '../store/repos/audits-repo.ts';

/** dates the OS gave, as ISO instants (or dropped when they are not real dates), so SQL can cast them */
function isoDate(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}
function normalized(r: AuditReport): AuditReport {
  const fix = <T extends { installedAt?: string }>(x: T): T => {
    const { installedAt, ...rest } = x;
    const iso = isoDate(installedAt);
    return (iso ? { ...rest, installedAt: iso } : rest) as T;
  };
  return { ...r, applications: r.applications.map(fix), licenses: r.licenses.map(fix) };
}

/** an agent's audit report (POST /agent/v1/audit) */
export async function reportAudit(ctx: Context, device: Row<'devices'>, report: AuditReport) {
  ctx.authorize('manage_devices');
  const d = await visibleDevice(ctx, device.id);
  const r = normalized(report);
  const have = new Set((await auditSnapshots(ctx.store.db, d.id)).map((s) => s.snapshot));
  const stored: AuditKind[] =
    r.kind === 'sysinfo'
      ? ['sysinfo', ...(have.has('latest') ? [] : (['latest'] as const))]
      : ['latest', ...(r.kind === 'baseline' || !have.has('baseline') ? (['baseline'] as const) : [])];
  await ctx.store.transaction(async (tx) => {
    for (const snapshot of stored)
      await upsertAudit(tx, {
        deviceId: d.id,
        organizationId: d.organization_id,
        snapshot,
        collectedAt: r.collectedAt,
        report: r,
      });
    await record(ctx, tx, {
      kind: 'device.audited',
      organizationId: d.organization_id,
      subjectType: 'device',
      subjectId: d.id,
      deviceId: d.id,
      data: { kind: r.kind, stored, collectedAt: r.collectedAt },
    });
  });
  return { kind: r.kind, stored };
}

/** one list of a device's audit (its latest snapshot unless another is named) */
export async function queryAuditList(
  ctx: Context,
  deviceId: number,
  list: AuditList,
  q: ListQuery,
  snapshot: AuditKind = 'latest',
) {
  ctx.authorize('read');
  await visibleDevice(ctx, deviceId);
  if (!Object.hasOwn(AUDIT_LISTS, list)) throw notFound('audit list', list);
  return auditListRows(ctx.store.db, deviceId, snapshot, list, q);
}

/** every visible device with its latest audit's summary */
export async function queryAuditSummaries(ctx: Context, q: ListQuery) {
  ctx.authorize('read');
  return summaryRows(ctx.store.db, ctx.access, q);
}

/** a device and its audit snapshots: when each was collected, and its summary */
export async function deviceAudit(ctx: Context, deviceId: number) {
  ctx.authorize('read');
  const device = await visibleDevice(ctx, deviceId);
  const [latest, baseline, sysinfo] = await Promise.all(
    (['latest', 'baseline', 'sysinfo'] as const).map((s) => getAuditSummary(ctx.store.db, deviceId, s)),
  );
  return { device, latest, baseline, sysinfo };
}

/** asks the device for an audit now: a scan job that also sends the audit */
export const runAuditNow = (ctx: Context, deviceId: number, kind: AuditKind) =>
  runOnDevice(ctx, deviceId, 'scan', { audit: kind });

/** a recurring (or one-off) audit of one device: a scan schedule whose jobs also send the audit */
export const scheduleAudit = (
  ctx: Context,
  deviceId: number,
  kind: AuditKind,
  schedule: Schedule,
  options: DeviceActionOptions = {},
) => scheduleDeviceScan(ctx, deviceId, schedule, { ...options, audit: kind });

/** a device's purchase and warranty expiration dates (null when nobody set them) */
export async function deviceWarranty(ctx: Context, deviceId: number) {
  ctx.authorize('read');
  await visibleDevice(ctx, deviceId);
  const w = await getWarranty(ctx.store.db, deviceId);
  return { purchaseDate: w?.purchase_date ?? null, warrantyExpireDate: w?.warranty_expire_date ?? null };
}

export async function setDeviceWarranty(
  ctx: Context,
  deviceId: number,
  dates: { purchaseDate: Date | null; warrantyExpireDate: Date | null },
) {
  ctx.authorize('manage_devices');
  const d = await visibleDevice(ctx, deviceId);
  await ctx.store.transaction(async (tx) => {
    await setWarranty(tx, { deviceId: d.id, ...dates });
    await record(ctx, tx, {
      kind: 'device.warranty_set',
      organizationId: d.organization_id,
      subjectType: 'device',
      subjectId: d.id,
      deviceId: d.id,
      data: {
        purchaseDate: dates.purchaseDate?.toISOString() ?? null,
        warrantyExpireDate: dates.warrantyExpireDate?.toISOString() ?? null,
      },
    });
  });
  return true;
}
