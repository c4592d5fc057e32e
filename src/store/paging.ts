import { sql, type Expression, type SelectQueryBuilder } from 'kysely';

export interface Page {
  limit: number;
  offset: number;
  /** e.g. ['name', '-createdAt']: field names of the face, mapped through `sortable` */
  sort: readonly string[];
}
export interface PageResult<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Counts, sorts and slices a filtered query. `sortable` maps API field names to SQL columns. */
export async function paginate<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: Page,
  sortable: Record<string, string | Expression<unknown>>,
  tiebreak: string,
  map: (row: O) => T,
): Promise<PageResult<T>> {
  const countQuery = query.clearSelect().select(sql<number>`count(*)::int`.as('total'));
  const { total } = (await countQuery.executeTakeFirstOrThrow()) as unknown as { total: number };
  let q = query;
  for (const s of page.sort) {
    const desc = s.startsWith('-');
    const column = sortable[desc ? s.slice(1) : s];
    if (column) q = q.orderBy(typeof column === 'string' ? sql.ref(column) : column, desc ? 'desc' : 'asc');
  }
  q = q.orderBy(sql.ref(tiebreak), 'asc').limit(page.limit).offset(page.offset);
  const rows = await q.execute();
  return { items: rows.map(map), total, limit: page.limit, offset: page.offset };
}

/** SQL LIKE pattern matching a user's text literally */
export const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export const isUniqueViolation = (e: unknown) => (e as { code?: string })?.code === '23505';
export const isForeignKeyViolation = (e: unknown) => (e as { code?: string })?.code === '23503';
