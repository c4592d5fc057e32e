import { ancestorsOf } from '../core/access.ts';
import { effectiveDecision, type ApprovalAction, type Decision } from '../core/approvals.ts';
import { forbidden, notFound } from '../core/errors.ts';
import { statusAfterApproval, statusAfterRetry, type UpdateStatus } from '../core/status.ts';
import type { Db } from '../store/db.ts';
import {
  decisionsFor,
  deleteDecision,
  upsertDecision,
  type ApprovalRow,
  type DecisionTarget,
} from '../store/repos/approvals-repo.ts';
import { devicesInGroups } from '../store/repos/devices-repo.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import {
  deviceUpdateStates,
  existingUpdateIds,
  organizationUpdateStates,
  setDeviceUpdateStatus,
  type DeviceUpdateState,
} from '../store/repos/updates-repo.ts';
import { descendantsOf } from '../core/access.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';
import { record, type EventInput } from './events.ts';
import { visibleGroup } from './groups.ts';

/** what a user asks for on a set of updates */
export type ApprovalCommand = ApprovalAction | 'clear' | 'retry';
export type ApprovalScope = { deviceId: number } | { groupId: number } | { organizationId: number };

export interface EffectiveApproval extends Decision {
  readonly row: ApprovalRow;
}

/** The governing decision of each (device, update) pair, by the precedence rule of core/approvals.ts. */
export async function effectiveApprovals(
  db: Db,
  organizationId: number,
  states: readonly { device_id: number; group_id: number; update_id: number }[],
): Promise<Map<string, EffectiveApproval>> {
  const out = new Map<string, EffectiveApproval>();
  if (!states.length) return out;
  const tree = await groupTree(db, organizationId);
  const chains = new Map<number, number[]>(); // group → itself and its ancestors, nearest first
  for (const s of states)
    if (!chains.has(s.group_id)) chains.set(s.group_id, [s.group_id, ...ancestorsOf(tree, s.group_id)]);
  const groupIds = [...new Set([...chains.values()].flat())];
  const deviceIds = [...new Set(states.map((s) => s.device_id))];
  const updateIds = [...new Set(states.map((s) => s.update_id))];
  const rows = await decisionsFor(db, organizationId, deviceIds, groupIds, updateIds);
  const byUpdate = new Map<number, ApprovalRow[]>();
  for (const r of rows) byUpdate.set(r.update_id, [...(byUpdate.get(r.update_id) ?? []), r]);
  for (const s of states) {
    const chain = chains.get(s.group_id) ?? [];
    const candidates: EffectiveApproval[] = [];
    for (const r of byUpdate.get(s.update_id) ?? []) {
      const source = r.source === 'policy' || r.source === 'rule' ? r.source : 'user';
      const base = {
        action: r.action as ApprovalAction,
        source,
        setBy: r.set_by,
        setAt: r.set_at,
        row: r,
      } as const;
      if (r.level === 'device' && r.device_id === s.device_id) candidates.push({ ...base, level: 'device' });
      else if (r.level === 'group' && r.group_id !== null && chain.includes(r.group_id))
        candidates.push({ ...base, level: 'group', depth: chain.indexOf(r.group_id) });
      else if (r.level === 'organization') candidates.push({ ...base, level: 'organization' });
    }
    const best = effectiveDecision(candidates) as EffectiveApproval | undefined;
    if (best) out.set(`${s.device_id}:${s.update_id}`, best);
  }
  return out;
}

/** Moves each state to what its effective approval now implies, and writes the patch history. */
async function settle(
  ctx: Context,
  tx: Db,
  organizationId: number,
  states: DeviceUpdateState[],
  retry: boolean,
) {
  const effective = await effectiveApprovals(tx, organizationId, states);
  const events: EventInput[] = [];
  let changed = 0;
  for (const s of states) {
    const action = effective.get(`${s.device_id}:${s.update_id}`)?.action;
    const from = s.status as UpdateStatus;
    const to = retry ? statusAfterRetry(from, action) : statusAfterApproval(from, action);
    if (!to || to === from) continue;
    await setDeviceUpdateStatus(
      tx,
      s.device_id,
      s.update_id,
      to,
      retry ? { last_error: null, attempts: 0 } : {},
    );
    changed++;
    events.push({
      kind: 'device_update.status',
      organizationId,
      subjectType: 'device_update',
      subjectId: `${s.device_id}:${s.update_id}`,
      deviceId: s.device_id,
      updateId: s.update_id,
      data: { from, to, reason: retry ? 'retry' : `approval:${action ?? 'none-set'}` },
    });
  }
  if (events.length) await record(ctx, tx, events);
  return changed;
}

export interface ApprovalOutcome {
  decisions: number; // decisions written or removed
  changed: number; // device updates whose status moved
}

/**
 * approve / ignore / do nothing / clear / retry a set of updates on a device, a group or an organization.
 * `reason.policyId`: the decision is a policy's run ("run now", or its schedule firing): the policy is
 * kept on the decision and named in its event, so the approvals history says why.
 */
export async function applyApproval(
  ctx: Context,
  scope: ApprovalScope,
  updateIds: number[],
  command: ApprovalCommand,
  reason: { policyId?: number } = {},
): Promise<ApprovalOutcome> {
  ctx.authorize('read');
  let target: DecisionTarget;
  if ('deviceId' in scope) {
    const d = await visibleDevice(ctx, scope.deviceId);
    target = { organizationId: d.organization_id, level: 'device', groupId: null, deviceId: d.id };
  } else if ('groupId' in scope) {
    const g = await visibleGroup(ctx, scope.groupId);
    target = { organizationId: g.organization_id, level: 'group', groupId: g.id, deviceId: null };
  } else {
    ctx.seeOrganization(scope.organizationId);
    if (!ctx.ownsOrganization(scope.organizationId))
      throw forbidden('an organization-wide decision needs a scope that covers the whole organization');
    target = { organizationId: scope.organizationId, level: 'organization', groupId: null, deviceId: null };
  }
  ctx.authorize('approve');
  const ids = [...new Set(updateIds)];
  const known = new Set(await existingUpdateIds(ctx.store.db, ids, ctx.access));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) throw notFound(unknown.length === 1 ? 'update' : 'updates', unknown.join(', '));

  return ctx.store.transaction(async (tx) => {
    let decisions = 0;
    if (command !== 'retry') {
      const events: EventInput[] = [];
      for (const u of ids) {
        const { previous } =
          command === 'clear'
            ? await deleteDecision(tx, target, u, 'user')
            : await upsertDecision(tx, target, u, command, 'user', ctx.actor.name, reason.policyId ?? null);
        if (command === 'clear' && previous === undefined) continue;
        decisions++;
        events.push({
          kind: command === 'clear' ? 'approval.cleared' : 'approval.set',
          organizationId: target.organizationId,
          subjectType: target.level,
          subjectId: target.deviceId ?? target.groupId ?? target.organizationId,
          deviceId: target.deviceId,
          updateId: u,
          data: {
            level: target.level,
            action: command === 'clear' ? null : command,
            previous: previous ?? null,
            ...(reason.policyId !== undefined ? { policyId: reason.policyId } : {}),
          },
        });
      }
      if (events.length) await record(ctx, tx, events);
    }
    let states: DeviceUpdateState[];
    if (target.level === 'device') states = await deviceUpdateStates(tx, [target.deviceId as number], ids);
    else if (target.level === 'group') {
      const below = descendantsOf(await groupTree(tx, target.organizationId), target.groupId as number);
      const devices = await devicesInGroups(tx, below);
      states = await deviceUpdateStates(
        tx,
        devices.map((d) => d.id),
        ids,
      );
    } else states = await organizationUpdateStates(tx, target.organizationId, ids);
    const changed = await settle(ctx, tx, target.organizationId, states, command === 'retry');
    return { decisions, changed };
  });
}

/**
 * Decisions an auto-approval rule or a rollout ring makes on its own (source 'rule', on each device): they
 * give way to any person's or policy's decision (core/approvals.ts), so a device where someone decided
 * keeps that decision. Runs inside the caller's transaction; the caller authorized the use case and writes
 * its own event (`approval.rule_applied`, `rollout.ring_started`). Returns the device updates that moved.
 */
export async function applyRuleDecisions(
  ctx: Context,
  tx: Db,
  organizationId: number,
  pairs: readonly { deviceId: number; updateId: number }[],
  action: ApprovalAction,
  setBy: string,
): Promise<number> {
  if (!pairs.length) return 0;
  for (const p of pairs)
    await upsertDecision(
      tx,
      { organizationId, level: 'device', groupId: null, deviceId: p.deviceId },
      p.updateId,
      action,
      'rule',
      setBy,
    );
  const states = await deviceUpdateStates(
    tx,
    [...new Set(pairs.map((p) => p.deviceId))],
    [...new Set(pairs.map((p) => p.updateId))],
  );
  const wanted = new Set(pairs.map((p) => `${p.deviceId}:${p.updateId}`));
  return settle(
    ctx,
    tx,
    organizationId,
    states.filter((s) => wanted.has(`${s.device_id}:${s.update_id}`)),
    false,
  );
}
