import { sql, type RawBuilder } from 'kysely';

// Set-based writes: rows handed to PostgreSQL as one array per column, so that a statement has the same
// text and the same few parameters whatever the number of rows (it is prepared once per connection, see
// StatementNames in db.ts) and no statement is sent per row. Works alike on PGlite and PostgreSQL.

/** the PostgreSQL type of each column of a set of rows, in the order the columns are listed */
export type ColumnTypes<R> = { readonly [K in keyof R & string]?: string };

/**
 * `unnest($1::t1[], $2::t2[], …) as x(c1, c2, …)`: `rows` as a FROM item, for `insert … select … from`,
 * `update … from` or a join. A missing value is NULL; a jsonb column's values go as JSON text.
 */
export function rowsOf<R extends object>(
  rows: readonly R[],
  types: ColumnTypes<R>,
  alias = 'x',
): RawBuilder<R> {
  const columns = Object.entries(types as Record<string, string>);
  const arrays = columns.map(([c, t]) => {
    const values = rows.map((r) => {
      const v = (r as Record<string, unknown>)[c];
      return v === undefined || v === null ? null : t === 'jsonb' ? JSON.stringify(v) : v;
    });
    return sql`${values}::${sql.raw(t)}[]`;
  });
  return sql<R>`unnest(${sql.join(arrays)}) as ${sql.id(alias)}(${sql.join(columns.map(([c]) => sql.id(c)))})`;
}
