import { invalid } from '../core/errors.ts';
import type { Context } from './context.ts';
import { installOnDevices, type InstallOutcome } from './device-patching.ts';
import { listPolicies } from './policies.ts';
import { previewPolicy } from './preview.ts';

// Running a policy now and its compliance per policy, from the policy's own selection (services/preview.ts:
// the same rule evaluation the console's preview shows), so every face that runs a policy ("remediate",
// "run now") installs exactly what the preview lists.

/**
 * Runs a policy now on every device it targets (or on one of them): each device installs the updates
 * the policy selects for it. Naming them approves them on the device (installOnDevices), so it needs
 * the approve privilege besides manage_policies. Devices with nothing selected are left alone.
 */
export async function remediatePolicy(
  ctx: Context,
  policyId: number,
  deviceId?: number,
): Promise<InstallOutcome[]> {
  ctx.authorize('manage_policies');
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
    out.push(...(await installOnDevices(ctx, { deviceIds: [d.deviceId], updateIds })));
  }
  return out;
}

export interface PolicyCompliance {
  policyId: number;
  organizationId: number;
  name: string;
  /** targeted devices on which the policy selects nothing more to install */
  compliant: number;
  /** targeted devices on which the policy still selects updates */
  nonCompliant: number;
  /** compliant devices' ids and non-compliant devices' ids */
  compliantDevices: number[];
  nonCompliantDevices: number[];
}

/** For each policy of an organization the caller sees: how many of its devices it leaves compliant. */
export async function policyCompliance(ctx: Context, organizationId: number): Promise<PolicyCompliance[]> {
  const policies = await listPolicies(ctx, { organizationId });
  const out: PolicyCompliance[] = [];
  for (const p of policies) {
    const preview = await previewPolicy(ctx, p.id);
    const compliantDevices = preview.devices.filter((d) => !d.updates.length).map((d) => d.deviceId);
    const nonCompliantDevices = preview.devices.filter((d) => d.updates.length).map((d) => d.deviceId);
    out.push({
      policyId: p.id,
      organizationId: p.organizationId,
      name: p.name,
      compliant: compliantDevices.length,
      nonCompliant: nonCompliantDevices.length,
      compliantDevices,
      nonCompliantDevices,
    });
  }
  return out;
}
