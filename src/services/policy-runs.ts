import { descendantsOf } from '../core/access.ts';
import { invalid } from '../core/errors.ts';
import type { Schedule } from '../core/schedule/model.ts';
import { activeDevicesTargeted } from '../store/repos/devices-repo.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import { policyTargets } from '../store/repos/policies-repo.ts';
import type { Context } from './context.ts';
import { installOnDevices, scanDevicesNow, type InstallOutcome } from './device-patching.ts';
import { getPolicy, listPolicies, type PolicyView } from './policies.ts';
import { previewPolicy } from './preview.ts';
import { listScriptRuns, runPolicyNow, type ScriptRunView } from './scripts.ts';
import { startRollouts } from './rollouts.ts';

// Running a policy now and its compliance per policy, for every kind, so that every face that runs a
// policy ("remediate", "run now") does the same thing:
// - a patch policy installs what its selection (services/preview.ts, the rule evaluation the console's
//   preview shows) picks on each device; a device is compliant when it selects nothing more;
// - a worklet or required-software policy runs its scripts (services/scripts.ts, refused while the
//   organization's switch is off); a device is compliant when the last step of its latest run succeeded
//   (the evaluation passed, or the remediation / installation succeeded); a device never run is not.

/** a one-off schedule at an instant (rounded up to its minute), in UTC */
const onceAt = (at: Date): Schedule => ({
  recurrence: { kind: 'once' },
  start: new Date(Math.ceil(at.getTime() / 60_000) * 60_000).toISOString().slice(0, 16),
  zone: { kind: 'named', name: 'UTC' },
  end: { kind: 'never' },
});

/**
 * Runs a policy on every device it targets (or on one of them). For a patch policy each device
 * installs the updates the policy selects for it (naming them approves them on the device, so it needs
 * the approve privilege besides manage_policies; devices with nothing selected are left alone).
 * `when`: `now`, or `next-occurrence`: each device installs at the policy's next occurrence for it (its
 * distribution offset included), through a one-off task the engine fires then; a device for which the
 * policy has no occurrence left installs now. A script policy runs now either way.
 */
export async function remediatePolicy(
  ctx: Context,
  policyId: number,
  deviceId?: number,
  when: 'now' | 'next-occurrence' = 'now',
): Promise<InstallOutcome[]> {
  ctx.authorize('manage_policies');
  const policy = await getPolicy(ctx, policyId);
  if (policy.kind !== 'patch') {
    await runPolicyNow(ctx, policyId, deviceId === undefined ? {} : { deviceId });
    return [];
  }
  // a policy targeting a plan installs ring by ring: running it approves its selection into the plan
  if (policy.targets.rolloutPlan !== null) {
    ctx.authorize('approve');
    await approveSelectionIntoPlan(ctx, policyId);
    return [];
  }
  const preview = await previewPolicy(ctx, policyId);
  const devices =
    deviceId === undefined ? preview.devices : preview.devices.filter((d) => d.deviceId === deviceId);
  if (deviceId !== undefined && !devices.length)
    throw invalid(`device ${deviceId} is not targeted by policy ${policyId}`, [
      { path: 'serverId', message: `is not a device that policy ${policyId} targets` },
    ]);
  const out: InstallOutcome[] = [];
  for (const d of devices) {
    const updateIds = d.updates.map((u) => u.updateId);
    if (!updateIds.length) continue;
    const later = when === 'next-occurrence' && d.nextOccurrence && d.nextOccurrence > ctx.now();
    out.push(
      ...(await installOnDevices(ctx, {
        deviceIds: [d.deviceId],
        updateIds,
        policyId,
        ...(later ? { schedule: onceAt(d.nextOccurrence!) } : {}),
      })),
    );
  }
  return out;
}

/**
 * A policy targeting a rollout plan, run (its schedule fired, or run now): every update it selects on the
 * plan's devices is approved into the plan (one rollout each, named after the policy; an update already
 * in the plan stays as it is). Each ring that starts then approves the update on its devices and queues
 * the policy's install there (services/rollouts.ts). Returns the rollouts started.
 */
export async function approveSelectionIntoPlan(ctx: Context, policyId: number): Promise<number[]> {
  const policy = await getPolicy(ctx, policyId);
  const planId = policy.targets.rolloutPlan;
  if (policy.kind !== 'patch' || planId === null || !policy.enabled) return [];
  const preview = await previewPolicy(ctx, policyId);
  const updateIds = [...new Set(preview.devices.flatMap((d) => d.updates.map((u) => u.updateId)))].sort(
    (a, b) => a - b,
  );
  if (!updateIds.length) return [];
  return ctx.store.transaction((tx) =>
    startRollouts(ctx, tx, planId, updateIds, `policy '${policy.name}'`, policyId),
  );
}

/**
 * Tests a policy on one device it targets, changing nothing: a patch policy scans the device (the policy
 * is then evaluated on fresh data; `wouldInstall` is its selection on the data known now); a worklet or
 * required-software policy runs its evaluation alone on the device (refused while scripts are off).
 */
export async function testPolicy(
  ctx: Context,
  policyId: number,
  deviceId: number,
): Promise<{ instanceIds: number[]; scriptRunIds: number[]; wouldInstall: number[] }> {
  ctx.authorize('manage_policies');
  const policy = await getPolicy(ctx, policyId);
  if (policy.kind !== 'patch') {
    const r = await runPolicyNow(ctx, policyId, { deviceId, evaluateOnly: true });
    const [skip] = r.skipped;
    if (skip) throw invalid(skip.reason, [{ path: 'deviceId', message: skip.reason }]);
    return { instanceIds: [], scriptRunIds: r.runs.map((x) => x.id), wouldInstall: [] };
  }
  const preview = await previewPolicy(ctx, policyId);
  const d = preview.devices.find((x) => x.deviceId === deviceId);
  if (!d)
    throw invalid(`device ${deviceId} is not targeted by policy ${policyId}`, [
      { path: 'deviceId', message: `is not a device that policy ${policyId} targets` },
    ]);
  const [scan] = await scanDevicesNow(ctx, [deviceId]);
  return {
    instanceIds: scan ? [scan.id] : [],
    scriptRunIds: [],
    wouldInstall: d.updates.map((u) => u.updateId),
  };
}

export interface PolicyCompliance {
  policyId: number;
  organizationId: number;
  name: string;
  kind: PolicyView['kind'];
  /** targeted devices on which the policy has nothing left to do */
  compliant: number;
  /** targeted devices on which the policy still has something to do */
  nonCompliant: number;
  compliantDevices: number[];
  nonCompliantDevices: number[];
}

/** whether a device's latest run of a script policy leaves it compliant (steps newest first) */
function scriptCompliant(runs: readonly ScriptRunView[]): boolean {
  const latest = runs[0];
  if (!latest) return false;
  const sameJob = runs.filter((r) => r.jobId === latest.jobId);
  return sameJob[0]!.status === 'succeeded';
}

async function scriptPolicyDevices(ctx: Context, p: PolicyView) {
  const db = ctx.store.db;
  const targets = (await policyTargets(db, [p.id])).get(p.id)!;
  const tree = await groupTree(db, p.organizationId);
  const groupIds = [...new Set(targets.groups.flatMap((g) => descendantsOf(tree, g)))];
  const devices = await activeDevicesTargeted(db, p.organizationId, { deviceIds: targets.devices, groupIds });
  return devices.filter((d) => ctx.seesGroup(p.organizationId, d.group_id)).map((d) => d.id);
}

/** For each policy of an organization the caller sees: how many of its devices it leaves compliant. */
export async function policyCompliance(ctx: Context, organizationId: number): Promise<PolicyCompliance[]> {
  const policies = await listPolicies(ctx, { organizationId });
  const out: PolicyCompliance[] = [];
  for (const p of policies) {
    let compliantDevices: number[];
    let nonCompliantDevices: number[];
    if (p.kind === 'patch') {
      const preview = await previewPolicy(ctx, p.id);
      compliantDevices = preview.devices.filter((d) => !d.updates.length).map((d) => d.deviceId);
      nonCompliantDevices = preview.devices.filter((d) => d.updates.length).map((d) => d.deviceId);
    } else {
      const devices = await scriptPolicyDevices(ctx, p);
      const runs = (await listScriptRuns(ctx, { policyId: p.id }, { limit: 10_000, offset: 0, sort: [] }))
        .items;
      compliantDevices = devices.filter((d) => scriptCompliant(runs.filter((r) => r.deviceId === d)));
      nonCompliantDevices = devices.filter((d) => !compliantDevices.includes(d));
    }
    out.push({
      policyId: p.id,
      organizationId: p.organizationId,
      name: p.name,
      kind: p.kind,
      compliant: compliantDevices.length,
      nonCompliant: nonCompliantDevices.length,
      compliantDevices,
      nonCompliantDevices,
    });
  }
  return out;
}
