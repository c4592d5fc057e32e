// OData query options ($filter, $orderby, $skip, $top) for the product faces that speak them. The faces
// parse the text here and translate the tree into a domain list query over their fields
// (translate.ts); the repositories compile that query to SQL (store/query.ts).
import { syntaxError } from './errors.ts';
import { parseFilter, parseOrderBy } from './parser.ts';
import { MAX_TOP, parsePaging } from './paging.ts';
import type { QueryOptions, TranslateOptions } from './translate.ts';

export * from './ast.ts';
export { syntaxError } from './errors.ts';
export { MAX_DEPTH, parseFilter, parseOrderBy } from './parser.ts';
export { MAX_TOP, parsePaging, parseSkip, parseTop, type Paging } from './paging.ts';
export { tokenize, type Token } from './lexer.ts';
export {
  resolveField,
  toCondition,
  toListQuery,
  toSort,
  type FieldMap,
  type FieldSpec,
  type FieldType,
  type QueryOptions,
  type TranslateOptions,
} from './translate.ts';

/**
 * Reads `$filter`, `$orderby`, `$skip` and `$top` from a parsed query string. An empty `$filter` or
 * `$orderby` (`?$filter=`) counts as absent; an option given twice is refused.
 */
export function parseQueryOptions(
  query: Readonly<Record<string, unknown>>,
  maxTop: number = MAX_TOP,
  dialect?: TranslateOptions,
): QueryOptions {
  const filter = option(query, '$filter');
  const orderby = option(query, '$orderby');
  return {
    ...(dialect ? { dialect } : {}),
    filter: filter === undefined || filter.trim() === '' ? undefined : parseFilter(filter),
    orderby: orderby === undefined || orderby.trim() === '' ? [] : parseOrderBy(orderby),
    ...parsePaging(option(query, '$skip'), option(query, '$top'), maxTop),
  };
}

function option(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = Object.hasOwn(query, name) ? query[name] : undefined;
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw syntaxError(name, 'is given more than once');
  if (typeof value !== 'string') throw syntaxError(name, 'must be text');
  return value;
}
