// Compiles a domain list query (core/query.ts) to SQL over a whitelist of fields: each repository that
// offers a queryable list names the domain fields a condition or a sort may use, and the column or SQL
// expression each stands for. A field outside the whitelist never reaches SQL (it is a programming
// error of the caller); every value is a bound parameter, except numbers and booleans that a face wrote
// into an expression of its own (a code table), which are inlined so that PostgreSQL types them.
import { sql, type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { invalid } from '../core/errors.ts';
import {
  holds,
  type CompareOp,
  type Condition,
  type Expr,
  type ListQuery,
  type Listed,
  type SortKey,
} from '../core/query.ts';

/** a column reference (`"d.hostname"`) or an SQL expression */
export type Column = string | Expression<unknown>;

/** the domain fields of one list; a function serves open-ended families (`attributes.<key>`) */
export type Columns = Readonly<Record<string, Column>> | ((name: string) => Column | undefined);

const SQL_OP: Record<CompareOp, string> = {
  eq: '=',
  // `ne` holds for a null field (null ne 'x'); SQL's `<>` would drop those rows
  ne: 'is distinct from',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

function columnOf(columns: Columns, name: string): Expression<unknown> {
  const c =
    typeof columns === 'function' ? columns(name) : Object.hasOwn(columns, name) ? columns[name] : undefined;
  if (c === undefined) throw new Error(`query: no field '${name}' in this list`);
  return typeof c === 'string' ? sql.ref(c) : c;
}

/** Compiles an expression over the list's fields. */
export function compileExpr(e: Expr, columns: Columns): Expression<unknown> {
  switch (e.kind) {
    case 'field':
      return columnOf(columns, e.name);
    case 'value': {
      const v = e.value;
      if (v === null) return sql`null`;
      if (typeof v === 'boolean') return sql.lit(v);
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new Error(`query: ${v} is not a number SQL can hold`);
        return sql.lit(v);
      }
      return sql`${v}::text`;
    }
    case 'cases':
      return sql`(case ${sql.join(
        e.cases.map(
          (c) => sql`when ${compileCondition(c.when, columns)} then ${compileExpr(c.then, columns)}`,
        ),
        sql` `,
      )} else ${compileExpr(e.else, columns)} end)`;
    case 'concat':
      return sql`(${sql.join(
        e.parts.map((p) => compileExpr(p, columns)),
        sql` || `,
      )})`;
    case 'coalesce':
      return sql`coalesce(${sql.join(e.items.map((i) => compileExpr(i, columns)))})`;
  }
}

/** Escapes LIKE's wildcards (and the escape character, PostgreSQL's default `\`) in user text. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** an expression without a field: the same for every record (a face's field Patchline does not have) */
function isConstant(e: Expr): boolean {
  switch (e.kind) {
    case 'field':
      return false;
    case 'value':
      return true;
    case 'cases':
      return false;
    case 'concat':
      return e.parts.every(isConstant);
    case 'coalesce':
      return e.items.every(isConstant);
  }
}

/** Compiles a condition over the list's fields, for `where`. */
export function compileCondition(c: Condition, columns: Columns): RawBuilder<SqlBool> {
  // a comparison of a constant is decided here: PostgreSQL cannot type `null = $1`
  if ((c.kind === 'compare' || c.kind === 'match' || c.kind === 'in') && isConstant(c.left))
    return holds(c, {}) ? sql<SqlBool>`true` : sql<SqlBool>`false`;
  switch (c.kind) {
    case 'and':
    case 'or':
      if (!c.items.length) return c.kind === 'and' ? sql<SqlBool>`true` : sql<SqlBool>`false`;
      if (c.items.length === 1) return compileCondition(c.items[0] as Condition, columns);
      return sql<SqlBool>`(${sql.join(
        c.items.map((i) => compileCondition(i, columns)),
        c.kind === 'and' ? sql` and ` : sql` or `,
      )})`;
    case 'not':
      return sql<SqlBool>`not ${compileCondition(c.operand, columns)}`;
    case 'in': {
      if (!c.values.length) return sql<SqlBool>`false`;
      return sql<SqlBool>`${compileExpr(c.left, columns)} in (${sql.join(c.values.map((v) => sql.val(v)))})`;
    }
    case 'match': {
      const text = escapeLike(c.text);
      const pattern = c.at === 'anywhere' ? `%${text}%` : c.at === 'start' ? `${text}%` : `%${text}`;
      return sql<SqlBool>`${compileExpr(c.left, columns)} ${sql.raw(c.ignoreCase ? 'ilike' : 'like')} ${pattern}`;
    }
    case 'compare': {
      const left = compileExpr(c.left, columns);
      if (c.value === null) {
        if (c.op === 'eq') return sql<SqlBool>`${left} is null`;
        if (c.op === 'ne') return sql<SqlBool>`${left} is not null`;
        throw new Error(`query: null can only be compared with eq or ne, not ${c.op}`);
      }
      if (c.ignoreCase && typeof c.value === 'string')
        return sql<SqlBool>`lower(${left}) ${sql.raw(SQL_OP[c.op])} ${c.value.toLowerCase()}`;
      return sql<SqlBool>`${left} ${sql.raw(SQL_OP[c.op])} ${c.value}`;
    }
  }
}

/** Adds the condition to a select, if there is one; use it for a list's total count too. */
export function applyFilter<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  filter: Condition | undefined,
  columns: Columns,
): SelectQueryBuilder<DB, TB, O> {
  return filter === undefined ? query : query.where(compileCondition(filter, columns));
}

/** Appends `order by` items, in order. */
export function applySort<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  sort: readonly SortKey[],
  columns: Columns,
): SelectQueryBuilder<DB, TB, O> {
  let q = query;
  // a constant orders nothing (and PostgreSQL refuses `order by null`)
  for (const key of sort) {
    if (isConstant(key.by)) continue;
    const nulls = key.nulls;
    q = nulls
      ? q.orderBy(compileExpr(key.by, columns), (ob) => {
          const o = key.direction === 'desc' ? ob.desc() : ob.asc();
          return nulls === 'first' ? o.nullsFirst() : o.nullsLast();
        })
      : q.orderBy(compileExpr(key.by, columns), key.direction);
  }
  return q;
}

/** `limit top offset skip`. */
export function applyPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: { readonly skip: number; readonly top: number },
): SelectQueryBuilder<DB, TB, O> {
  return query.limit(page.top).offset(page.skip);
}

/** Applies a whole list query to a select: where, order by, limit and offset. */
export function applyListQuery<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  q: ListQuery,
  columns: Columns,
): SelectQueryBuilder<DB, TB, O> {
  return applyPage(applySort(applyFilter(query, q.filter, columns), q.sort, columns), q);
}

/**
 * Runs one page of a base query and the count of the whole filtered list (same filter, no order or
 * paging). `tiebreak` (columns) makes the order total after the query's own sort.
 */
export async function pageThrough<DB, TB extends keyof DB, O, T = O>(
  base: SelectQueryBuilder<DB, TB, O>,
  q: ListQuery,
  columns: Columns,
  tiebreak: readonly string[],
  render: (row: O) => T = (row) => row as unknown as T,
): Promise<Listed<T>> {
  const counted = applyFilter(base, q.filter, columns)
    .clearSelect()
    .select(sql<number>`count(*)::int`.as('n'));
  const { n } = (await filterValues(counted.executeTakeFirstOrThrow())) as unknown as { n: number };
  let page = applySort(applyFilter(base, q.filter, columns), q.sort, columns);
  for (const column of tiebreak) page = page.orderBy(sql.ref(column));
  const rows = await filterValues(applyPage(page, q).execute());
  return { records: rows.map(render), total: n };
}

// PostgreSQL's data exceptions for a bound value its column's type cannot read: invalid text (`0.5` or
// `1e-7` for a bigint), out of range (a 26-digit decimal for a bigint), a date out of range
const VALUE_ERRORS = new Set(['22P02', '22003', '22008', '22007']);

/**
 * A list query's only bound values are the caller's filter values, so a value PostgreSQL cannot read
 * as its field's column type (`OrgId lt 0.5` over a bigint id) is the caller's mistake: invalid, not 500.
 */
async function filterValues<T>(run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (e) {
    if (!VALUE_ERRORS.has((e as { code?: string })?.code ?? '')) throw e;
    throw invalid(
      'a value of the filter does not fit the field it is compared with (out of its range or of another kind)',
      [{ path: 'filter', message: 'holds a value its field cannot hold' }],
    );
  }
}
