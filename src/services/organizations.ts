import { seesOrganization } from '../core/access.ts';
import { conflict, forbidden, invalid, notFound } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import { isUniqueViolation, type Page } from '../store/paging.ts';
import {
  countOrganizationContents,
  deleteOrganization as deleteRow,
  findOrganizationByName,
  getOrganization as getRow,
  insertOrganization,
  listOrganizations as listRows,
  organizationTypesInUse,
  updateOrganization as updateRow,
  type OrganizationRow,
} from '../store/repos/organizations-repo.ts';
import { insertGroup, updateGroup as updateGroupRow } from '../store/repos/groups-repo.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';
import { checkName, checkTimeZone } from './validate.ts';

export interface OrganizationView {
  id: number;
  ref: string;
  name: string;
  parentId: number | null;
  rootGroupId: number | null;
  timeZone: string | null;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

const view = (r: OrganizationRow): OrganizationView => ({
  id: r.id,
  ref: r.ref,
  name: r.name,
  parentId: r.parent_id,
  rootGroupId: r.root_group_id,
  timeZone: r.time_zone,
  attributes: r.attributes,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function listOrganizations(ctx: Context, filter: { q?: string; parentId?: number }, page: Page) {
  ctx.authorize('read');
  const r = await listRows(ctx.store.db, ctx.access, filter, page);
  return { ...r, items: r.items.map(view) };
}

/**
 * The organization a request names as its tenant (a query parameter of product dialects that carry the
 * organization beside the object ids): an organization outside the caller's scope, or one that does not
 * exist, is refused as forbidden, never as not found (the answer does not tell which ids exist).
 */
export function authorizeTenant(ctx: Context, orgId: number): void {
  ctx.authorize('read');
  if (!seesOrganization(ctx.access, orgId)) throw forbidden(`organization ${orgId} is not in your scope`);
}

export async function getOrganization(ctx: Context, id: number): Promise<OrganizationView> {
  ctx.authorize('read');
  ctx.seeOrganization(id);
  const row = await getRow(ctx.store.db, id);
  if (!row) throw notFound('organization', id);
  return view(row);
}

/** the organization types (free text each organization may carry) in use in the caller's scope */
export async function organizationTypes(ctx: Context): Promise<{ type: string; organizations: number }[]> {
  ctx.authorize('read');
  return organizationTypesInUse(ctx.store.db, ctx.access);
}

export interface OrganizationInput {
  name: string;
  ref?: string;
  parentId?: number | null;
  timeZone?: string | null;
  attributes?: Record<string, unknown>;
  /** the name of the organization's root group (Kaseya's DefaultMachineGroupName); 'root' by default */
  rootGroupName?: string;
}

const rootName = (name: string) => checkName(name, '/rootGroupName', 100);

/** short unique reference derived from a name: lowercase letters, digits and dashes */
export const refFromName = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'org';

function checkRef(ref: string) {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(ref))
    throw invalid('invalid organization reference', [
      {
        path: '/ref',
        message:
          'must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
      },
    ]);
}

/** Creates an organization and its root group (every organization has one, as in Kaseya VSA). */
/** two organizations never share a name, whatever its case: the console and the reports tell them apart by it */
async function checkNameFree(db: Db, name: string, except?: number) {
  const other = await findOrganizationByName(db, name, except);
  if (other) throw conflict(`an organization named '${other.name}' already exists: choose another name`);
}

export async function createOrganization(ctx: Context, input: OrganizationInput): Promise<OrganizationView> {
  ctx.authorizeGlobal();
  const name = input.name.trim();
  if (!name)
    throw invalid('the organization needs a name', [{ path: '/name', message: 'must not be blank' }]);
  const ref = input.ref ?? refFromName(name);
  checkRef(ref);
  if (input.timeZone) checkTimeZone(input.timeZone, '/timeZone');
  const groupName = input.rootGroupName === undefined ? 'root' : rootName(input.rootGroupName);
  const id = await ctx.store
    .transaction(async (tx) => {
      if (input.parentId != null && !(await getRow(tx, input.parentId)))
        throw notFound('parent organization', input.parentId);
      await checkNameFree(tx, name);
      const { id } = await insertOrganization(tx, {
        name,
        ref,
        parent_id: input.parentId ?? null,
        time_zone: input.timeZone ?? null,
        attributes: input.attributes ?? {},
      });
      await insertGroup(tx, {
        organization_id: id,
        name: groupName,
        is_root: true,
        description: 'Root group',
      });
      await record(ctx, tx, {
        kind: 'organization.created',
        organizationId: id,
        subjectType: 'organization',
        subjectId: id,
        data: { name, ref },
      });
      return id;
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw conflict(`an organization with the reference '${ref}' already exists`);
      throw e;
    });
  return getOrganization(ctx, id);
}

export async function updateOrganization(
  ctx: Context,
  id: number,
  patch: Partial<OrganizationInput>,
): Promise<OrganizationView> {
  ctx.seeOrganization(id);
  ctx.authorize('administer');
  if (!ctx.ownsOrganization(id)) throw notFound('organization', id);
  if (patch.ref !== undefined) checkRef(patch.ref);
  if (patch.name !== undefined && !patch.name.trim())
    throw invalid('the organization needs a name', [{ path: '/name', message: 'must not be blank' }]);
  if (patch.timeZone) checkTimeZone(patch.timeZone, '/timeZone');
  const groupName = patch.rootGroupName === undefined ? undefined : rootName(patch.rootGroupName);
  if (patch.parentId !== undefined && patch.parentId !== null) {
    ctx.authorizeGlobal();
    if (patch.parentId === id)
      throw invalid('an organization cannot be its own parent', [
        { path: '/parentId', message: 'must differ from the id' },
      ]);
  }
  await ctx.store
    .transaction(async (tx) => {
      const before = await getRow(tx, id);
      if (!before) throw notFound('organization', id);
      if (patch.name !== undefined) await checkNameFree(tx, patch.name.trim(), id);
      if (patch.parentId != null) {
        // no cycles: walk up from the new parent
        let p: number | null = patch.parentId;
        while (p !== null) {
          if (p === id)
            throw invalid('that parent would make a cycle', [
              { path: '/parentId', message: 'is a descendant of this organization' },
            ]);
          const row: OrganizationRow | undefined = await getRow(tx, p);
          if (!row) throw notFound('parent organization', patch.parentId);
          p = row.parent_id;
        }
      }
      await updateRow(tx, id, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.ref !== undefined ? { ref: patch.ref } : {}),
        ...(patch.parentId !== undefined ? { parent_id: patch.parentId } : {}),
        ...(patch.timeZone !== undefined ? { time_zone: patch.timeZone } : {}),
        ...(patch.attributes !== undefined ? { attributes: patch.attributes } : {}),
      });
      if (groupName !== undefined && before.root_group_id !== null)
        await updateGroupRow(tx, before.root_group_id, { name: groupName });
      await record(ctx, tx, {
        kind: 'organization.updated',
        organizationId: id,
        subjectType: 'organization',
        subjectId: id,
        data: { changes: patch },
      });
    })
    .catch((e) => {
      if (isUniqueViolation(e))
        throw conflict(`an organization with the reference '${patch.ref}' already exists`);
      throw e;
    });
  return getOrganization(ctx, id);
}

/** Deletes an empty organization (no devices, no child organizations). */
export async function deleteOrganization(ctx: Context, id: number): Promise<void> {
  ctx.seeOrganization(id);
  ctx.authorizeGlobal();
  await ctx.store.transaction(async (tx) => {
    const row = await getRow(tx, id);
    if (!row) throw notFound('organization', id);
    const c = await countOrganizationContents(tx, id);
    if (c.devices || c.children)
      throw conflict(
        `organization ${id} still has ${c.devices} device(s) and ${c.children} child organization(s); move or delete them first`,
      );
    await record(ctx, tx, {
      kind: 'organization.deleted',
      subjectType: 'organization',
      subjectId: id,
      data: { name: row.name, ref: row.ref },
    });
    await deleteRow(tx, id);
  });
}

/**
 * The organization a caller means when it names none (GravityZone: "the company linked to the user who
 * generated the API key"): the one organization its scope covers. A scope over every organization or over
 * several names no single one, so the caller must say which.
 */
export function defaultOrganization(ctx: Context, param = 'organizationId'): number {
  ctx.authorize('read');
  const a = ctx.access;
  const orgs = new Set([...a.organizations, ...a.groups.keys()]);
  if (!a.all && orgs.size === 1) return [...orgs][0]!;
  throw invalid(`${param} is required`, [
    {
      path: param,
      message: a.all
        ? 'is required: your key covers every organization'
        : 'is required: your key covers several organizations',
    },
  ]);
}
