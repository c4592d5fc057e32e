import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import type { ListQuery } from '../../core/query.ts';
import { orgVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { pageThrough, type Columns } from '../query.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

// Departments: an organization's human resource groups (migration 0016).

export type DepartmentRow = Row<'departments'>;

export const insertDepartment = (db: Db, row: NewRow<'departments'>) =>
  db.insertInto('departments').values(row).returningAll().executeTakeFirstOrThrow();

export const getDepartment = (db: Db, id: number) =>
  db.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirst();

export const updateDepartment = (db: Db, id: number, patch: RowPatch<'departments'>) =>
  db
    .updateTable('departments')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();

export const deleteDepartment = (db: Db, id: number) =>
  db.deleteFrom('departments').where('id', '=', id).executeTakeFirst();

export const childDepartments = async (db: Db, id: number) =>
  (
    await db
      .selectFrom('departments')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('parent_id', '=', id)
      .executeTakeFirstOrThrow()
  ).n;

/** the ancestors of a department, nearest first (to refuse a parent inside its own subtree) */
export const departmentAncestors = async (db: Db, id: number): Promise<number[]> =>
  (
    await sql<{ id: number }>`
      with recursive up(id, parent_id, depth) as (
        select id, parent_id, 0 from departments where id = ${id}
        union all
        select d.id, d.parent_id, up.depth + 1 from departments d join up on d.id = up.parent_id
        where up.depth < 100
      )
      select id from up order by depth`.execute(db)
  ).rows.map((r) => Number(r.id));

const columns: Columns = {
  id: 'd.id',
  organizationId: 'd.organization_id',
  parentId: 'd.parent_id',
  name: 'd.name',
  ref: 'd.ref',
  managerId: 'd.manager_id',
  createdAt: 'd.created_at',
};

/**
 * The departments of the organizations in scope (optionally one organization). Fields: id,
 * organizationId, parentId, name, ref, managerId, createdAt.
 */
export function queryDepartments(db: Db, access: Access, q: ListQuery, organizationId?: number) {
  let base = db.selectFrom('departments as d').selectAll('d').where(orgVisible(access, 'd.organization_id'));
  if (organizationId !== undefined) base = base.where('d.organization_id', '=', organizationId);
  return pageThrough(base, q, columns, ['d.id']);
}
