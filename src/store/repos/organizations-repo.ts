import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import { orgVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { containsPattern, paginate, type Page } from '../paging.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

export type OrganizationRow = Row<'organizations'> & { root_group_id: number | null };

const base = (db: Db) =>
  db
    .selectFrom('organizations as o')
    .leftJoin('groups as g', (j) => j.onRef('g.organization_id', '=', 'o.id').on('g.is_root', '=', true))
    .selectAll('o')
    .select('g.id as root_group_id');

export const organizationSort = { name: 'o.name', ref: 'o.ref', createdAt: 'o.created_at', id: 'o.id' };

export async function listOrganizations(
  db: Db,
  access: Access,
  filter: { q?: string; parentId?: number },
  page: Page,
) {
  let q = base(db).where(orgVisible(access, 'o.id'));
  if (filter.q)
    q = q.where((eb) =>
      eb.or([
        eb('o.name', 'ilike', containsPattern(filter.q!)),
        eb('o.ref', 'ilike', containsPattern(filter.q!)),
      ]),
    );
  if (filter.parentId !== undefined) q = q.where('o.parent_id', '=', filter.parentId);
  return paginate(q, page, organizationSort, 'o.id', (r) => r as OrganizationRow);
}

export async function getOrganization(db: Db, id: number): Promise<OrganizationRow | undefined> {
  return (await base(db).where('o.id', '=', id).executeTakeFirst()) as OrganizationRow | undefined;
}

/** the organization of that name, compared case-insensitively (another than `except`) */
export async function findOrganizationByName(db: Db, name: string, except?: number) {
  let q = db
    .selectFrom('organizations')
    .select(['id', 'name'])
    .where(sql<string>`lower(name)`, '=', name.toLowerCase());
  if (except !== undefined) q = q.where('id', '<>', except);
  return q.executeTakeFirst();
}

export async function insertOrganization(db: Db, row: NewRow<'organizations'>) {
  return db.insertInto('organizations').values(row).returning('id').executeTakeFirstOrThrow();
}

export async function updateOrganization(db: Db, id: number, patch: RowPatch<'organizations'>) {
  await db
    .updateTable('organizations')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export async function deleteOrganization(db: Db, id: number) {
  await db.deleteFrom('organizations').where('id', '=', id).execute();
}

export async function countOrganizationContents(db: Db, id: number) {
  const r = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('devices')
        .where('organization_id', '=', id)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('devices'),
      eb
        .selectFrom('organizations')
        .where('parent_id', '=', id)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('children'),
    ])
    .executeTakeFirstOrThrow();
  return { devices: Number(r.devices), children: Number(r.children) };
}

/** how many organizations the scope sees */
export async function countVisibleOrganizations(db: Db, access: Access, id?: number): Promise<number> {
  let q = db
    .selectFrom('organizations')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where(orgVisible(access, 'id'));
  if (id !== undefined) q = q.where('id', '=', id);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * The organization types in use among the organizations in scope (the `OrgType` text Kaseya clients
 * give an organization, kept in its attributes), each with how many organizations have it, by type.
 */
export const organizationTypesInUse = (db: Db, access: Access) =>
  db
    .selectFrom('organizations')
    .select([sql<string>`attributes->>'OrgType'`.as('type'), sql<number>`count(*)::int`.as('organizations')])
    .where(orgVisible(access, 'id'))
    .where(sql<boolean>`coalesce(attributes->>'OrgType', '') <> ''`)
    .groupBy(sql`attributes->>'OrgType'`)
    .orderBy(sql`attributes->>'OrgType'`)
    .execute();

/** an organization's own time zone; null when it has none (or does not exist) */
export async function organizationZone(db: Db, id: number): Promise<string | null> {
  const r = await db.selectFrom('organizations').select('time_zone').where('id', '=', id).executeTakeFirst();
  return r?.time_zone ?? null;
}
