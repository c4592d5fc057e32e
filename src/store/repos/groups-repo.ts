import type { Access } from '../../core/access.ts';
import { groupVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { containsPattern, paginate, type Page } from '../paging.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

export type GroupRow = Row<'groups'>;
export const groupSort = {
  name: 'name',
  createdAt: 'created_at',
  id: 'id',
  organizationId: 'organization_id',
};

export async function listGroups(
  db: Db,
  access: Access,
  filter: { organizationId?: number; parentId?: number | null; q?: string },
  page: Page,
) {
  let q = db
    .selectFrom('groups')
    .selectAll()
    .where(groupVisible(access, 'organization_id', 'id'));
  if (filter.organizationId !== undefined) q = q.where('organization_id', '=', filter.organizationId);
  if (filter.parentId === null) q = q.where('parent_id', 'is', null);
  else if (filter.parentId !== undefined) q = q.where('parent_id', '=', filter.parentId);
  if (filter.q) q = q.where('name', 'ilike', containsPattern(filter.q));
  return paginate(q, page, groupSort, 'id', (r) => r as GroupRow);
}

export const getGroup = (db: Db, id: number) =>
  db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();

/** the group tree of one organization (small: groups are few) */
export const groupTree = (db: Db, organizationId: number) =>
  db
    .selectFrom('groups')
    .select(['id', 'parent_id as parentId'])
    .where('organization_id', '=', organizationId)
    .execute();

export const insertGroup = (db: Db, row: NewRow<'groups'>) =>
  db.insertInto('groups').values(row).returning('id').executeTakeFirstOrThrow();

export async function updateGroup(db: Db, id: number, patch: RowPatch<'groups'>) {
  await db
    .updateTable('groups')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export async function deleteGroup(db: Db, id: number) {
  await db.deleteFrom('groups').where('id', '=', id).execute();
}

export async function groupContents(db: Db, id: number) {
  const r = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('devices')
        .where('group_id', '=', id)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('devices'),
      eb
        .selectFrom('groups')
        .where('parent_id', '=', id)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('children'),
    ])
    .executeTakeFirstOrThrow();
  return { devices: Number(r.devices), children: Number(r.children) };
}

/** the organization of each of some groups (ids that are no group are left out) */
export const groupOrganizations = (db: Db, ids: readonly number[]) =>
  ids.length
    ? db
        .selectFrom('groups')
        .select(['id', 'organization_id'])
        .where('id', 'in', [...ids])
        .execute()
    : Promise.resolve([]);
