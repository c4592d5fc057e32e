import {
  approvalOrigin,
  type ApprovalAction,
  type ApprovalLevel,
  type ApprovalOrigin,
  type ApprovalSource,
} from '../core/approvals.ts';
import { notFound } from '../core/errors.ts';
import { statusAfterRetry, UPDATE_STATUSES, type UpdateStatus } from '../core/status.ts';
import { deviceUpdateStates } from '../store/repos/updates-repo.ts';
import { applyApproval } from './approvals.ts';
import type { Context } from './context.ts';
import { queryDeviceUpdates, type DeviceUpdateView } from './device-updates.ts';
import { visibleDevice } from './devices.ts';

// The patches of one device, and decisions on some of them, as the device-centred dialects ask
// (N-sight's patch_list_all, patch_approve / _ignore / _do_nothing / _inherit, patch_retry / _reprocess).
// Every action names the device's own patches: when any id is not an update of the device (unknown,
// or of a device the caller does not see), the whole request fails naming them and nothing changes.

/** a device's update with where its governing decision comes from */
export interface DevicePatch extends DeviceUpdateView {
  readonly origin: ApprovalOrigin;
}

/** what a device lists as its patches: every update it has a state for, except those not applicable */
const LISTED: UpdateStatus[] = UPDATE_STATUSES.filter((s) => s !== 'not_applicable');

const PAGE = 500;

/** the view's approval (its values are the domain's, as text) read back into the domain's types */
const originOf = (a: DeviceUpdateView['approval']) =>
  approvalOrigin(
    a
      ? {
          action: a.action as ApprovalAction,
          level: a.level as ApprovalLevel,
          source: a.source as ApprovalSource,
        }
      : null,
  );

/** every update of a device, missing and installed, each with the origin of its governing decision */
export async function listDevicePatches(ctx: Context, deviceId: number): Promise<DevicePatch[]> {
  const out: DevicePatch[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const r = await queryDeviceUpdates(
      ctx,
      deviceId,
      { status: LISTED },
      { limit: PAGE, offset, sort: ['firstDetectedAt'] },
    );
    out.push(...r.items.map((i) => ({ ...i, origin: originOf(i.approval) })));
    if (offset + PAGE >= r.total || !r.items.length) return out;
  }
}

/** the device (in scope) and its states for `ids`; refuses ids that are not updates of the device */
async function statesOnDevice(ctx: Context, deviceId: number, updateIds: readonly number[]) {
  const device = await visibleDevice(ctx, deviceId);
  const ids = [...new Set(updateIds)];
  // the patches the device lists (one not applicable to it is none of its patches)
  const states = (await deviceUpdateStates(ctx.store.db, [device.id], ids)).filter((s) =>
    LISTED.includes(s.status as UpdateStatus),
  );
  const known = new Set(states.map((s) => s.update_id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length)
    throw notFound(
      unknown.length === 1 ? 'patch' : 'patches',
      `${unknown.join(', ')} on device ${device.id}`,
    );
  return { device, ids, states };
}

/** the decision a user sets on a device's patches: approve, ignore, do nothing, or inherit (clear) */
export type DevicePatchDecision = ApprovalAction | 'inherit';

/**
 * Sets a user's decision on some patches of one device (inherit removes it, so the group's, the
 * organization's or the policy's decision governs again). All or nothing, in one transaction.
 */
export async function decideDevicePatches(
  ctx: Context,
  deviceId: number,
  updateIds: readonly number[],
  decision: DevicePatchDecision,
) {
  ctx.authorize('approve');
  const { device, ids } = await statesOnDevice(ctx, deviceId, updateIds);
  return applyApproval(ctx, { deviceId: device.id }, ids, decision === 'inherit' ? 'clear' : decision);
}

export interface RetryOutcome {
  /** failed patches put back to wait for the next install */
  readonly retried: number[];
  /** patches named that had not failed (installed, waiting, ignored…): left as they are */
  readonly alreadyApplied: number[];
}

/**
 * Retries the failed patches among those named on one device: each goes back to its resting status
 * (pending when approved) and installs at the next install time; the others are named as already
 * applied. Unknown ids fail the whole request.
 */
export async function retryDevicePatches(
  ctx: Context,
  deviceId: number,
  updateIds: readonly number[],
): Promise<RetryOutcome> {
  ctx.authorize('approve');
  const { device, ids, states } = await statesOnDevice(ctx, deviceId, updateIds);
  const status = new Map(states.map((s) => [s.update_id, s.status as UpdateStatus]));
  // retryable: the status machine has a way back for it whatever the decision
  const retried = ids.filter(
    (id) => statusAfterRetry(status.get(id) as UpdateStatus, 'approve') !== undefined,
  );
  const alreadyApplied = ids.filter((id) => !retried.includes(id));
  if (retried.length) await applyApproval(ctx, { deviceId: device.id }, retried, 'retry');
  return { retried, alreadyApplied };
}
