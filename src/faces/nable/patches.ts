import type { ApprovalAction } from '../../core/approvals.ts';
import type { UpdateStatus } from '../../core/status.ts';
import type { Context } from '../../services/context.ts';
import {
  decideDevicePatches,
  listDevicePatches,
  retryDevicePatches,
  type DevicePatch,
  type DevicePatchDecision,
} from '../../services/device-patch-actions.ts';
import { idListParam, idParam, type Params } from './params.ts';
import { el, fields, type XmlElement } from './xml.ts';

// The patch services (seed 001 and N-sight's reference): patch_list_all, patch_approve, patch_ignore,
// patch_do_nothing, patch_inherit, patch_retry, patch_reprocess. Translation only: what a status or a
// decision means is core/status.ts and core/approvals.ts (approvalOrigin), the use cases are
// services/device-patch-actions.ts; the tables below only rename domain values to N-sight's numbers.

/** N-sight's status numbers (seed 001) for Patchline's update statuses; an install under way is queued */
const STATUS_CODE: Record<Exclude<UpdateStatus, 'not_applicable'>, number> = {
  missing: 1,
  pending: 2,
  queued: 4,
  installing: 4,
  installed: 8,
  failed: 16,
  ignored: 23,
  reboot_required: 64,
};
const STATUS_LABEL: Record<number, string> = {
  1: 'Missing',
  2: 'Pending',
  4: 'Queued',
  8: 'Installed',
  16: 'Failed',
  23: 'Ignored',
  64: 'Reboot Required',
};

/** N-sight's policy numbers for the governing decision; a user's decision on the device adds 64 */
const POLICY_CODE: Record<ApprovalAction, number> = { ignore: 1, approve: 2, none: 4 };
const POLICY_LABEL: Record<ApprovalAction, string> = {
  ignore: 'Ignore',
  approve: 'Approve',
  none: 'Do Nothing',
};
const SET_BY_USER = 64;

export const statusCode = (s: string): number => STATUS_CODE[s as keyof typeof STATUS_CODE] ?? 0;
export const policyCode = (p: DevicePatch['origin']): number =>
  POLICY_CODE[p.action] | (p.override ? SET_BY_USER : 0);

const stamp = (d: Date | null | undefined) =>
  d
    ? new Date(d)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, '')
    : null;

function patchElement(p: DevicePatch): XmlElement {
  const status = statusCode(p.status);
  return el(
    'patch',
    fields({
      patchid: p.updateId,
      policy: policyCode(p.origin),
      policyLabel: POLICY_LABEL[p.origin.action],
      status,
      statusLabel: STATUS_LABEL[status] ?? '',
      title: p.name,
      kbid: p.kb ?? '',
      package: p.packageName ?? '',
      version: p.version ?? '',
      severity: p.severity,
      category: p.classification,
      security: p.isSecurity,
      reboot: p.rebootBehavior,
      discovered: stamp(p.firstDetectedAt),
      installed_date: stamp(p.installedAt),
      status_changed: stamp(p.statusChangedAt),
      attempts: p.attempts,
      error: p.lastError ?? '',
    }),
  );
}

/** patch_list_all: the answer's root is <patches> (as N-sight documents it), one <patch> each */
export async function patchListAll(ctx: Context, p: Params): Promise<XmlElement[]> {
  const patches = await listDevicePatches(ctx, idParam(p, 'deviceid'));
  return patches.map(patchElement);
}

/** approve, ignore, do nothing, inherit: an empty OK result */
export const patchDecision =
  (decision: DevicePatchDecision) =>
  async (ctx: Context, p: Params): Promise<XmlElement[]> => {
    const deviceId = idParam(p, 'deviceid');
    const ids = idListParam(p, 'patchids');
    await decideDevicePatches(ctx, deviceId, ids, decision);
    return [];
  };

/** retry and reprocess (the same, seed 001): <msg> naming the patches retried and those already applied */
export async function patchRetry(ctx: Context, p: Params): Promise<XmlElement[]> {
  const deviceId = idParam(p, 'deviceid');
  const ids = idListParam(p, 'patchids');
  const r = await retryDevicePatches(ctx, deviceId, ids);
  const parts = [
    ...(r.retried.length ? [`Retrying patches: ${r.retried.join(',')}`] : []),
    ...(r.alreadyApplied.length ? [`Patches already applied: ${r.alreadyApplied.join(',')}`] : []),
  ];
  return [el('msg', parts.join(' '))];
}
