import {
  CVE_PATTERN,
  naturalKey,
  normalizeCve,
  normalizeKb,
  supersededPairs,
  updateSeverity,
  versionSchemeOfKind,
  type ReportedUpdate,
} from '../core/updates.ts';
import { IN_FLIGHT, inGroup, SETTLED, statusAfterDetection, type UpdateStatus } from '../core/status.ts';
import { invalid } from '../core/errors.ts';
import {
  deviceUpdateStates,
  moveDeviceUpdateStatus,
  packageVersionsOf,
  upsertDeviceUpdates,
  upsertUpdates,
  type DeviceUpdateRow,
} from '../store/repos/updates-repo.ts';
import { announceDeviceChange, updateDevice as updateDeviceRow } from '../store/repos/devices-repo.ts';
import {
  insertUpdateSupersedence,
  linkUpdateCves,
  linkUpdatesToAdvisories,
  linkUpdateSupersedence,
  recordLearned,
} from '../store/repos/catalog-repo.ts';
import { evaluateRules } from './auto-approval.ts';
import type { Row } from '../store/schema.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';
import { effectiveApprovals } from './approvals.ts';
import { record, type EventInput } from './events.ts';

export interface ScanReport {
  /** a full snapshot replaces what the device reported before; a delta only adds and changes */
  full: boolean;
  updates: ReportedUpdate[];
  rebootRequired?: boolean;
  /** the agent's sequence number of the report, stored with it (in the same transaction) */
  sequence?: number;
}

/**
 * Stores a device's scan: the updates it needs or has, each linked to the catalog by its natural key,
 * with the workflow status that detection and the effective approval imply. Every status change is
 * an event in the device's patch history. In a full snapshot, an update the device no longer reports
 * as missing counts as installed (unless an install of it is in flight).
 */
export async function ingestScan(ctx: Context, of: number | Row<'devices'>, report: ScanReport) {
  ctx.authorize('manage_devices');
  const deviceId = typeof of === 'number' ? of : of.id;
  // a caller that has just read the device's row passes it (one read less per report)
  const device = await visibleDevice(ctx, deviceId, typeof of === 'number' ? undefined : of);
  const rows = report.updates.map((u, i) => {
    try {
      return {
        natural_key: naturalKey(u),
        kind: u.kind,
        name: u.name,
        // a KB article of another kind of update (a simulated Windows machine's) is kept as reported
        kb: u.kind === 'kb' ? normalizeKb(u.kb ?? u.name) : u.kb ? normalizeKb(u.kb) : null,
        package_name: u.packageName ?? (u.kind === 'kb' ? null : u.name),
        version: u.version ?? null,
        architecture: u.architecture ?? null,
        os_family: u.osFamily ?? device.os_family,
        classification: u.classification ?? (u.isSecurity ? 'security' : 'other'),
        is_security: u.isSecurity ?? false,
        is_optional: u.isOptional ?? false,
        severity: updateSeverity(u),
        reboot_behavior: u.rebootBehavior ?? 'may',
        size_bytes: u.sizeBytes ?? null,
        patch_source: u.patchSource ?? '',
      };
    } catch (e) {
      const issues = (e as { issues?: { path: string; message: string }[] }).issues ?? [];
      throw invalid(
        `update ${i} of the report is invalid`,
        issues.map((x) => ({ ...x, path: `/updates/${i}${x.path}` })),
      );
    }
  });
  for (const [i, u] of report.updates.entries())
    for (const c of u.cves ?? [])
      if (!CVE_PATTERN.test(normalizeCve(c)))
        throw invalid('invalid CVE id', [{ path: `/updates/${i}/cves`, message: `'${c}' is not a CVE id` }]);

  // One transaction, a fixed number of statements whatever the report's size: the updates, their links
  // and the device's states are written as sets, the status changes worked out in one pass in memory.
  const result = await ctx.store.transaction(async (tx) => {
    const ids = await upsertUpdates(tx, rows);
    // match the reported updates to the advisories already imported (idempotent; importing later links too)
    await linkUpdatesToAdvisories(tx, [...new Set(ids.values())]);
    const links: { updateId: number; cve: string }[] = [];
    report.updates.forEach((u, i) => {
      const id = ids.get(rows[i]!.natural_key)!;
      for (const c of u.cves ?? []) links.push({ updateId: id, cve: normalizeCve(c) });
    });
    await linkUpdateCves(tx, links);
    // what the device reported is its organization's until an advisory knows it (migration 0012)
    await recordLearned(
      tx,
      device.organization_id,
      [...ids.values()],
      links.map((l) => l.cve),
    );

    const current = new Map((await deviceUpdateStates(tx, [deviceId])).map((s) => [s.update_id, s]));
    const reported = report.updates.map((u, i) => ({ u, updateId: ids.get(rows[i]!.natural_key)! }));
    // supersedence (core/updates.ts): the vendor's word on the reported updates, and this device's package
    // manager's: the versions of a package it had and the ones it reports now are of one release
    await linkUpdateSupersedence(tx, [...new Set(ids.values())]);
    const ofPackages = reported.filter((r) => r.u.detection !== 'not_applicable');
    await insertUpdateSupersedence(
      tx,
      supersededPairs(
        await packageVersionsOf(
          tx,
          [...new Set([...current.keys(), ...ofPackages.map((r) => r.updateId)])],
          ofPackages.flatMap((r) => (versionSchemeOfKind(r.u.kind) ? [r.u.packageName ?? r.u.name] : [])),
        ),
      ),
    );
    const approvals = await effectiveApprovals(
      tx,
      device.organization_id,
      reported.map((r) => ({ device_id: deviceId, group_id: device.group_id, update_id: r.updateId })),
    );
    const now = ctx.now();
    const events: EventInput[] = [];
    // the state each update ends in (an update reported twice: as last reported)
    const writes = new Map<number, DeviceUpdateRow>();
    for (const { u, updateId } of reported) {
      const before = current.get(updateId)?.status as UpdateStatus | undefined;
      const next = statusAfterDetection(
        before,
        u.detection,
        approvals.get(`${deviceId}:${updateId}`)?.action,
      );
      writes.delete(updateId);
      writes.set(updateId, {
        device_id: deviceId,
        update_id: updateId,
        organization_id: device.organization_id,
        detection: u.detection,
        status: next,
        installed_version: u.installedVersion ?? null,
        available_version: u.version ?? null,
        last_detected_at: now,
        status_changed_at: now,
        installed_at: next === 'installed' ? now : null,
      });
      if (before !== next)
        events.push({
          kind: before ? 'device_update.status' : 'device_update.detected',
          organizationId: device.organization_id,
          subjectType: 'device_update',
          subjectId: `${deviceId}:${updateId}`,
          deviceId,
          updateId,
          data: { from: before ?? null, to: next, reason: 'scan' },
        });
    }
    if (report.full) {
      for (const s of current.values()) {
        if (writes.has(s.update_id)) continue;
        if (inGroup(SETTLED, s.status) || inGroup(IN_FLIGHT, s.status)) continue;
        const next: UpdateStatus = s.status === 'reboot_required' ? 'reboot_required' : 'installed';
        if (next === s.status) continue;
        writes.set(s.update_id, {
          device_id: deviceId,
          update_id: s.update_id,
          organization_id: device.organization_id,
          detection: 'installed',
          status: next,
          installed_version: null,
          available_version: null,
          last_detected_at: now,
          status_changed_at: now,
          installed_at: now,
        });
        events.push({
          kind: 'device_update.status',
          organizationId: device.organization_id,
          subjectType: 'device_update',
          subjectId: `${deviceId}:${s.update_id}`,
          deviceId,
          updateId: s.update_id,
          data: { from: s.status, to: next, reason: 'scan: no longer missing' },
        });
      }
    }
    await upsertDeviceUpdates(tx, [...writes.values()]);
    // the machine says it needs no reboot (it restarted): what waited for one is installed now
    const waiting = (id: number) => (writes.get(id) ?? current.get(id))?.status === 'reboot_required';
    if (report.rebootRequired === false && [...current.keys(), ...writes.keys()].some(waiting))
      for (const updateId of await moveDeviceUpdateStatus(
        tx,
        deviceId,
        'reboot_required',
        'installed',
        new Date(),
      ))
        events.push({
          kind: 'device_update.status',
          organizationId: device.organization_id,
          subjectType: 'device_update',
          subjectId: `${deviceId}:${updateId}`,
          deviceId,
          updateId,
          data: { from: 'reboot_required', to: 'installed', reason: 'scan: restarted' },
        });
    await updateDeviceRow(tx, deviceId, {
      last_scan_at: now,
      ...(report.rebootRequired !== undefined ? { reboot_required: report.rebootRequired } : {}),
      ...(report.sequence !== undefined ? { scan_sequence: report.sequence } : {}),
    });
    if (events.length) await record(ctx, tx, events);
    return { updates: reported.length, changes: events.length };
  });
  // the other replicas learn the device's scan sequence (their check-ins answer it) once it is stored
  if (report.sequence !== undefined) await announceDeviceChange(ctx.store.db, deviceId);
  // new facts about the device (an update detected, a status changed): its organization's auto-approval
  // rules run over its missing updates; a scan that changed nothing leaves them alone
  if (result.changes > 0) await evaluateRules(ctx, device.organization_id, { deviceIds: [deviceId] });
  return result;
}
