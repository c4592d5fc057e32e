import { descendantsOf } from '../core/access.ts';
import { conflict, forbidden, invalid, notFound } from '../core/errors.ts';
import { isUniqueViolation, type Page } from '../store/paging.ts';
import {
  deleteGroup as deleteRow,
  getGroup as getRow,
  groupContents,
  groupTree,
  insertGroup,
  listGroups as listRows,
  updateGroup as updateRow,
  type GroupRow,
} from '../store/repos/groups-repo.ts';
import { getOrganization as getOrgRow } from '../store/repos/organizations-repo.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';
import { checkName } from './validate.ts';

export interface GroupView {
  id: number;
  organizationId: number;
  parentId: number | null;
  name: string;
  description: string;
  isRoot: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const view = (r: GroupRow): GroupView => ({
  id: r.id,
  organizationId: r.organization_id,
  parentId: r.parent_id,
  name: r.name,
  description: r.description,
  isRoot: r.is_root,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** a group the actor can see, or not found */
export async function visibleGroup(ctx: Context, id: number): Promise<GroupRow> {
  const row = await getRow(ctx.store.db, id);
  if (!row || !ctx.seesGroup(row.organization_id, row.id)) throw notFound('group', id);
  return row;
}

export async function listGroups(
  ctx: Context,
  f: { organizationId?: number; parentId?: number | null; q?: string },
  page: Page,
) {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const r = await listRows(ctx.store.db, ctx.access, f, page);
  return { ...r, items: r.items.map(view) };
}

export async function getGroup(ctx: Context, id: number) {
  ctx.authorize('read');
  return view(await visibleGroup(ctx, id));
}

export interface GroupInput {
  organizationId: number;
  parentId?: number | null;
  name: string;
  description?: string;
}

const duplicate = (name: string) => conflict(`a group named '${name}' already exists under that parent`);

export async function createGroup(ctx: Context, input: GroupInput) {
  ctx.seeOrganization(input.organizationId);
  ctx.authorize('manage_devices');
  const name = checkName(input.name, '/name', 100);
  let parentId = input.parentId ?? null;
  if (parentId === null) {
    // a new group goes under the root group; only a whole-organization scope may add there
    const org = await getOrgRow(ctx.store.db, input.organizationId);
    if (!org) throw notFound('organization', input.organizationId);
    parentId = org.root_group_id;
    if (!ctx.ownsOrganization(input.organizationId))
      throw forbidden('your scope covers only some groups of this organization: give a parentId inside them');
  } else {
    const parent = await visibleGroup(ctx, parentId);
    if (parent.organization_id !== input.organizationId)
      throw invalid('the parent group belongs to another organization', [
        { path: '/parentId', message: 'must be a group of the same organization' },
      ]);
  }
  const id = await ctx.store
    .transaction(async (tx) => {
      const { id } = await insertGroup(tx, {
        organization_id: input.organizationId,
        parent_id: parentId,
        name,
        description: input.description ?? '',
      });
      await record(ctx, tx, {
        kind: 'group.created',
        organizationId: input.organizationId,
        subjectType: 'group',
        subjectId: id,
        data: { name, parentId },
      });
      return id;
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw duplicate(name);
      throw e;
    });
  // a partially scoped actor sees the new group through its parent's subtree only after re-authentication
  const row = await getRow(ctx.store.db, id);
  return view(row as GroupRow);
}

export async function updateGroup(
  ctx: Context,
  id: number,
  patch: { name?: string; description?: string; parentId?: number },
) {
  ctx.authorize('read');
  const row = await visibleGroup(ctx, id);
  ctx.authorize('manage_devices');
  const name = patch.name !== undefined ? checkName(patch.name, '/name', 100) : undefined;
  if (patch.parentId !== undefined) {
    if (row.is_root)
      throw invalid('the root group cannot move', [
        { path: '/parentId', message: 'the root group has no parent' },
      ]);
    const parent = await visibleGroup(ctx, patch.parentId);
    if (parent.organization_id !== row.organization_id)
      throw invalid('groups cannot move between organizations', [
        { path: '/parentId', message: 'must be a group of the same organization' },
      ]);
    const below = descendantsOf(await groupTree(ctx.store.db, row.organization_id), id);
    if (below.includes(patch.parentId))
      throw invalid('that parent would make a cycle', [
        { path: '/parentId', message: 'is this group or one below it' },
      ]);
  }
  await ctx.store
    .transaction(async (tx) => {
      await updateRow(tx, id, {
        ...(name !== undefined ? { name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.parentId !== undefined ? { parent_id: patch.parentId } : {}),
      });
      await record(ctx, tx, {
        kind: 'group.updated',
        organizationId: row.organization_id,
        subjectType: 'group',
        subjectId: id,
        data: { changes: patch },
      });
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw duplicate(name ?? row.name);
      throw e;
    });
  return view((await getRow(ctx.store.db, id)) as GroupRow);
}

export async function deleteGroup(ctx: Context, id: number) {
  ctx.authorize('read');
  const row = await visibleGroup(ctx, id);
  ctx.authorize('manage_devices');
  if (row.is_root) throw conflict('the root group of an organization cannot be deleted');
  await ctx.store.transaction(async (tx) => {
    const c = await groupContents(tx, id);
    if (c.devices || c.children)
      throw conflict(
        `group ${id} still has ${c.devices} device(s) and ${c.children} subgroup(s); move them first`,
      );
    await record(ctx, tx, {
      kind: 'group.deleted',
      organizationId: row.organization_id,
      subjectType: 'group',
      subjectId: id,
      data: { name: row.name },
    });
    await deleteRow(tx, id);
  });
}
