// OData query options ($filter, $orderby, $skip, $top) for the product faces that speak them.
import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { FilterNode, OrderByItem } from './ast.ts';
import { applyOrderBy, applyPaging, compileFilter, type CompileOptions, type FieldMap } from './compile.ts';
import { syntaxError } from './errors.ts';
import { parseFilter, parseOrderBy } from './parser.ts';
import { MAX_TOP, parsePaging, type Paging } from './paging.ts';

export * from './ast.ts';
export {
  applyOrderBy,
  applyPaging,
  compileFilter,
  escapeLike,
  resolveField,
  type CompileOptions,
  type FieldMap,
  type FieldSpec,
  type FieldType,
} from './compile.ts';
export { MAX_DEPTH, parseFilter, parseOrderBy } from './parser.ts';
export { MAX_TOP, parsePaging, parseSkip, parseTop, type Paging } from './paging.ts';
export { tokenize, type Token } from './lexer.ts';

export interface QueryOptions extends Paging {
  readonly filter: FilterNode | undefined;
  readonly orderby: readonly OrderByItem[];
}

/**
 * Reads `$filter`, `$orderby`, `$skip` and `$top` from a parsed query string. An empty `$filter` or
 * `$orderby` (`?$filter=`) counts as absent; an option given twice is refused.
 */
export function parseQueryOptions(
  query: Readonly<Record<string, unknown>>,
  maxTop: number = MAX_TOP,
): QueryOptions {
  const filter = option(query, '$filter');
  const orderby = option(query, '$orderby');
  return {
    filter: filter === undefined || filter.trim() === '' ? undefined : parseFilter(filter),
    orderby: orderby === undefined || orderby.trim() === '' ? [] : parseOrderBy(orderby),
    ...parsePaging(option(query, '$skip'), option(query, '$top'), maxTop),
  };
}

/** Adds the `$filter` condition to a select, if there is one; use it for a face's TotalRecords count too. */
export function applyFilter<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  filter: FilterNode | undefined,
  fields: FieldMap,
  compileOptions: CompileOptions = {},
): SelectQueryBuilder<DB, TB, O> {
  if (filter === undefined) return query;
  return query.where((eb: ExpressionBuilder<DB, TB>) => compileFilter(filter, fields, eb, compileOptions));
}

/** Applies parsed options to a select: where, order by, limit and offset. */
export function applyQueryOptions<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  options: QueryOptions,
  fields: FieldMap,
  compileOptions: CompileOptions = {},
): SelectQueryBuilder<DB, TB, O> {
  const filtered = applyFilter(query, options.filter, fields, compileOptions);
  return applyPaging(applyOrderBy(filtered, options.orderby, fields), options);
}

function option(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = Object.hasOwn(query, name) ? query[name] : undefined;
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw syntaxError(name, 'is given more than once');
  if (typeof value !== 'string') throw syntaxError(name, 'must be text');
  return value;
}
