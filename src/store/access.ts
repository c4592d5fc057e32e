import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { partialGroupIds, type Access } from '../core/access.ts';

// Tenancy filters: every list and lookup of a tenant's rows goes through one of these.
const TRUE = () => sql<SqlBool>`true`;
const FALSE = () => sql<SqlBool>`false`;
const inList = (column: string, ids: number[]) => sql<SqlBool>`${sql.ref(column)} in (${sql.join(ids)})`;

/** rows whose organization is visible (wholly or through some group) */
export function orgVisible(access: Access, orgColumn: string): RawBuilder<SqlBool> {
  if (access.all) return TRUE();
  const orgs = [...access.organizations, ...access.groups.keys()];
  return orgs.length ? inList(orgColumn, orgs) : FALSE();
}

/** rows of a whole organization in scope (organization-level settings, approvals, events) */
export function orgOwned(access: Access, orgColumn: string): RawBuilder<SqlBool> {
  if (access.all) return TRUE();
  const orgs = [...access.organizations];
  return orgs.length ? inList(orgColumn, orgs) : FALSE();
}

/** rows that belong to a group (groups, devices): whole organizations or granted subtrees */
export function groupVisible(access: Access, orgColumn: string, groupColumn: string): RawBuilder<SqlBool> {
  if (access.all) return TRUE();
  const orgs = [...access.organizations];
  const groups = partialGroupIds(access);
  if (orgs.length && groups.length)
    return sql<SqlBool>`(${inList(orgColumn, orgs)} or ${inList(groupColumn, groups)})`;
  if (orgs.length) return inList(orgColumn, orgs);
  if (groups.length) return inList(groupColumn, groups);
  return FALSE();
}
