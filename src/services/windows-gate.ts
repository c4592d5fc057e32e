import { ancestorsOf } from '../core/access.ts';
import { notFound } from '../core/errors.ts';
import { isWithinWindow } from '../core/schedule/occurrences.ts';
import { effectiveZone } from '../core/schedule/zones.ts';
import { installSchedule, PATCH_CLASSES, type MaintenanceWindowSettings } from '../core/windows/index.ts';
import type { Db } from '../store/db.ts';
import { policiesTargeting } from '../store/repos/agents-repo.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import { getPolicy } from '../store/repos/policies-repo.ts';
import { deviceZones, windowsAssignedTo } from '../store/repos/windows-repo.ts';
import { serverZone } from './policies.ts';
import { storedSettings } from './windows-crud.ts';

// Gating installs: whether the maintenance windows that apply to a device let an install run now.

/** whether one window lets installs run at `at` (in the device's zone) */
export function windowAllowsAt(s: MaintenanceWindowSettings, at: Date, deviceZone: string): boolean {
  for (const cls of PATCH_CLASSES) {
    const sched = installSchedule(s, cls);
    if (!sched) continue;
    if (sched.recurrence.kind === 'immediately') return true;
    if (isWithinWindow(sched, at, { deviceZone, zone: deviceZone, serverZone: serverZone() })) return true;
  }
  return false;
}

const overridesWindows = (behaviour: unknown) =>
  (behaviour as { overrideMaintenanceWindows?: unknown } | undefined)?.overrideMaintenanceWindows === true;

/**
 * Is an install allowed on the device at `at`? The windows that apply are those assigned to the device's
 * group or any ancestor group, and to the enabled policies that target the device (with `policyId`: to
 * that policy only; a policy that overrides maintenance windows is not gated at all). No window applies:
 * allowed. Otherwise allowed when at least one applicable window's install schedule is open at `at`.
 */
export async function installAllowedAt(
  db: Db,
  deviceId: number,
  at: Date,
  opts: { policyId?: number } = {},
): Promise<boolean> {
  const d = await deviceZones(db, deviceId);
  if (!d) throw notFound('device', deviceId);
  const tree = await groupTree(db, d.organization_id);
  const chain = [d.group_id, ...ancestorsOf(tree, d.group_id)];
  let policyIds: number[];
  if (opts.policyId !== undefined) {
    if (overridesWindows((await getPolicy(db, opts.policyId))?.behaviour)) return true;
    policyIds = [opts.policyId];
  } else {
    const rows = await policiesTargeting(db, d.organization_id, deviceId, chain);
    policyIds = rows.filter((r) => !overridesWindows(r.behaviour)).map((r) => r.id);
  }
  const windows = await windowsAssignedTo(db, chain, policyIds);
  if (!windows.length) return true;
  const zone = effectiveZone({ device: d.time_zone, organization: d.org_zone, server: serverZone() });
  return windows.some((w) => windowAllowsAt(storedSettings(w), at, zone));
}

/**
 * installAllowedAt for many devices of one policy's organization (the policy preview): the group tree is
 * read once by the caller and the windows once per group, not four queries per device. The caller has
 * checked that the policy does not override maintenance windows.
 */
export function policyInstallGate(db: Db, tree: Parameters<typeof ancestorsOf>[0], policyId: number) {
  const byGroup = new Map<number, Promise<Awaited<ReturnType<typeof windowsAssignedTo>>>>();
  return async (
    d: { group_id: number; time_zone: string | null; org_zone: string | null },
    at: Date,
  ): Promise<boolean> => {
    let windows = byGroup.get(d.group_id);
    if (!windows) {
      windows = windowsAssignedTo(db, [d.group_id, ...ancestorsOf(tree, d.group_id)], [policyId]);
      byGroup.set(d.group_id, windows);
    }
    const list = await windows;
    if (!list.length) return true;
    const zone = effectiveZone({ device: d.time_zone, organization: d.org_zone, server: serverZone() });
    return list.some((w) => windowAllowsAt(storedSettings(w), at, zone));
  };
}
