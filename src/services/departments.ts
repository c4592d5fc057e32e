import { conflict, forbidden, invalid, notFound } from '../core/errors.ts';
import type { ListQuery, Listed } from '../core/query.ts';
import { isUniqueViolation } from '../store/paging.ts';
import * as repo from '../store/repos/departments-repo.ts';
import { getUser } from '../store/repos/identity-repo.ts';
import { getOrganization } from '../store/repos/organizations-repo.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';

// Departments: an organization's human resource groups (IT, Sales), optionally nested, each with an
// optional manager (a Patchline user) and free-form attributes. Reading needs `read` and the organization
// in scope; writing needs `administer` over the whole organization. A department moves only inside its
// organization and never under itself; one with sub-departments cannot be deleted.

export interface DepartmentView {
  id: number;
  organizationId: number;
  parentId: number | null;
  name: string;
  ref: string | null;
  managerId: number | null;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface DepartmentInput {
  name: string;
  parentId: number | null;
  ref: string | null;
  managerId: number | null;
  attributes: Record<string, unknown>;
}

export const departmentView = (r: repo.DepartmentRow): DepartmentView => ({
  id: r.id,
  organizationId: r.organization_id,
  parentId: r.parent_id,
  name: r.name,
  ref: r.ref,
  managerId: r.manager_id,
  attributes: r.attributes,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const NAME_MAX = 200;

async function visibleDepartment(ctx: Context, id: number): Promise<repo.DepartmentRow> {
  const r = await repo.getDepartment(ctx.store.db, id);
  if (!r) throw notFound('department', id);
  try {
    ctx.seeOrganization(r.organization_id);
  } catch {
    throw notFound('department', id);
  }
  return r;
}

function authorizeWrite(ctx: Context, orgId: number) {
  ctx.authorize('administer');
  if (!ctx.ownsOrganization(orgId))
    throw forbidden(
      "changing an organization's departments needs a scope that covers the whole organization",
    );
}

/** checks a department's fields against the store: name, parent in the organization, manager */
async function check(ctx: Context, orgId: number, input: DepartmentInput, self?: number) {
  const name = input.name.trim();
  if (!name || [...name].length > NAME_MAX)
    throw invalid(`a department's name must be 1 to ${NAME_MAX} characters`, [
      { path: '/name', message: `must be 1 to ${NAME_MAX} characters` },
    ]);
  const db = ctx.store.db;
  if (input.parentId !== null) {
    const parent = await repo.getDepartment(db, input.parentId);
    if (!parent || parent.organization_id !== orgId)
      throw invalid(`parent department ${input.parentId} is not a department of organization ${orgId}`, [
        { path: '/parentId', message: `is not a department of organization ${orgId}` },
      ]);
    if (self !== undefined && (await repo.departmentAncestors(db, input.parentId)).includes(self))
      throw invalid('a department cannot move under itself or one of its sub-departments', [
        { path: '/parentId', message: 'is the department itself or inside it' },
      ]);
  }
  if (input.managerId !== null && !(await getUser(db, input.managerId)))
    throw invalid(`manager ${input.managerId} is not a user`, [
      { path: '/managerId', message: 'is not a user' },
    ]);
  return { ...input, name };
}

const taken = (name: string) =>
  conflict(`a department named '${name}' already exists there in this organization; choose another name`);

export async function queryDepartments(
  ctx: Context,
  q: ListQuery,
  organizationId?: number,
): Promise<Listed<DepartmentView>> {
  ctx.authorize('read');
  if (organizationId !== undefined) ctx.seeOrganization(organizationId);
  const r = await repo.queryDepartments(ctx.store.db, ctx.access, q, organizationId);
  return { records: r.records.map(departmentView), total: r.total };
}

export async function getDepartment(ctx: Context, id: number): Promise<DepartmentView> {
  ctx.authorize('read');
  return departmentView(await visibleDepartment(ctx, id));
}

export async function createDepartment(
  ctx: Context,
  organizationId: number,
  input: DepartmentInput,
): Promise<DepartmentView> {
  ctx.seeOrganization(organizationId);
  authorizeWrite(ctx, organizationId);
  if (!(await getOrganization(ctx.store.db, organizationId))) throw notFound('organization', organizationId);
  const d = await check(ctx, organizationId, input);
  try {
    return await ctx.store.transaction(async (tx) => {
      const r = await repo.insertDepartment(tx, {
        organization_id: organizationId,
        parent_id: d.parentId,
        name: d.name,
        ref: d.ref,
        manager_id: d.managerId,
        attributes: d.attributes,
      });
      await record(ctx, tx, {
        kind: 'department.created',
        organizationId,
        subjectType: 'department',
        subjectId: r.id,
        data: { name: r.name, parentId: r.parent_id },
      });
      return departmentView(r);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw taken(d.name);
    throw e;
  }
}

/** changes the fields given (a department stays in its organization) */
export async function updateDepartment(
  ctx: Context,
  id: number,
  patch: Partial<DepartmentInput>,
): Promise<DepartmentView> {
  const current = await visibleDepartment(ctx, id);
  authorizeWrite(ctx, current.organization_id);
  const view = departmentView(current);
  const d = await check(
    ctx,
    current.organization_id,
    {
      name: patch.name ?? view.name,
      parentId: patch.parentId !== undefined ? patch.parentId : view.parentId,
      ref: patch.ref !== undefined ? patch.ref : view.ref,
      managerId: patch.managerId !== undefined ? patch.managerId : view.managerId,
      attributes: patch.attributes ?? view.attributes,
    },
    id,
  );
  try {
    return await ctx.store.transaction(async (tx) => {
      const r = await repo.updateDepartment(tx, id, {
        name: d.name,
        parent_id: d.parentId,
        ref: d.ref,
        manager_id: d.managerId,
        attributes: d.attributes,
      });
      await record(ctx, tx, {
        kind: 'department.updated',
        organizationId: r.organization_id,
        subjectType: 'department',
        subjectId: r.id,
        data: { fields: Object.keys(patch) },
      });
      return departmentView(r);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw taken(d.name);
    throw e;
  }
}

export async function deleteDepartment(ctx: Context, id: number): Promise<void> {
  const current = await visibleDepartment(ctx, id);
  authorizeWrite(ctx, current.organization_id);
  if (await repo.childDepartments(ctx.store.db, id))
    throw conflict(`department ${id} has sub-departments: move or delete them first`);
  await ctx.store.transaction(async (tx) => {
    await repo.deleteDepartment(tx, id);
    await record(ctx, tx, {
      kind: 'department.deleted',
      organizationId: current.organization_id,
      subjectType: 'department',
      subjectId: id,
      data: { name: current.name },
    });
  });
}
