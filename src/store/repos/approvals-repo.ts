import type { Db } from '../db.ts';
import type { Row } from '../schema.ts';

export type ApprovalRow = Row<'approvals'>;

/** every decision that can govern these devices' updates: on the devices, their groups, their organization */
export async function decisionsFor(
  db: Db,
  organizationId: number,
  deviceIds: number[],
  groupIds: number[],
  updateIds?: number[],
): Promise<ApprovalRow[]> {
  let q = db
    .selectFrom('approvals')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where((eb) =>
      eb.or([
        eb('level', '=', 'organization'),
        eb.and([eb('level', '=', 'group'), eb('group_id', 'in', groupIds.length ? groupIds : [0])]),
        eb.and([eb('level', '=', 'device'), eb('device_id', 'in', deviceIds.length ? deviceIds : [0])]),
      ]),
    );
  if (updateIds) q = q.where('update_id', 'in', updateIds.length ? updateIds : [0]);
  return q.execute();
}

export interface DecisionTarget {
  organizationId: number;
  level: 'organization' | 'group' | 'device';
  groupId: number | null;
  deviceId: number | null;
}

export async function upsertDecision(
  db: Db,
  t: DecisionTarget,
  updateId: number,
  action: string,
  source: 'user' | 'policy' | 'rule',
  setBy: string,
  policyId: number | null = null,
): Promise<{ previous: string | undefined }> {
  const existing = await findDecision(db, t, updateId, source);
  if (existing) {
    await db
      .updateTable('approvals')
      .set({ action, set_by: setBy, set_at: new Date(), policy_id: policyId })
      .where('id', '=', existing.id)
      .execute();
    return { previous: existing.action };
  }
  await db
    .insertInto('approvals')
    .values({
      organization_id: t.organizationId,
      level: t.level,
      group_id: t.groupId,
      device_id: t.deviceId,
      update_id: updateId,
      action,
      source,
      set_by: setBy,
      policy_id: policyId,
    })
    .execute();
  return { previous: undefined };
}

function findDecision(db: Db, t: DecisionTarget, updateId: number, source: string) {
  let q = db
    .selectFrom('approvals')
    .select(['id', 'action'])
    .where('organization_id', '=', t.organizationId)
    .where('level', '=', t.level)
    .where('update_id', '=', updateId)
    .where('source', '=', source);
  q = t.groupId === null ? q.where('group_id', 'is', null) : q.where('group_id', '=', t.groupId);
  q = t.deviceId === null ? q.where('device_id', 'is', null) : q.where('device_id', '=', t.deviceId);
  return q.executeTakeFirst();
}

export async function deleteDecision(
  db: Db,
  t: DecisionTarget,
  updateId: number,
  source: 'user' | 'policy' | 'rule',
) {
  const existing = await findDecision(db, t, updateId, source);
  if (!existing) return { previous: undefined };
  await db.deleteFrom('approvals').where('id', '=', existing.id).execute();
  return { previous: existing.action };
}

export async function listDecisions(db: Db, t: Partial<DecisionTarget>, updateIds?: number[]) {
  let q = db.selectFrom('approvals').selectAll();
  if (t.organizationId !== undefined) q = q.where('organization_id', '=', t.organizationId);
  if (t.level) q = q.where('level', '=', t.level);
  if (t.groupId) q = q.where('group_id', '=', t.groupId);
  if (t.deviceId) q = q.where('device_id', '=', t.deviceId);
  if (updateIds?.length) q = q.where('update_id', 'in', updateIds);
  return q.orderBy('id').limit(1000).execute();
}
