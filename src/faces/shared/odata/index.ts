// OData query options ($filter, $orderby, $skip, $top) for the product faces that speak them. The faces
// parse the text here; the parse tree compiles to SQL in the store (store/odata), re-exported below so a
// face needs one import.
import { syntaxError, type QueryOptions } from '../../../store/odata/index.ts';
import { parseFilter, parseOrderBy } from './parser.ts';
import { MAX_TOP, parsePaging } from './paging.ts';

export * from '../../../store/odata/ast.ts';
export {
  applyFilter,
  applyOrderBy,
  applyPaging,
  applyQueryOptions,
  compileFilter,
  escapeLike,
  resolveField,
  type CompileOptions,
  type FieldMap,
  type FieldSpec,
  type FieldType,
  type QueryOptions,
} from '../../../store/odata/index.ts';
export { MAX_DEPTH, parseFilter, parseOrderBy } from './parser.ts';
export { MAX_TOP, parsePaging, parseSkip, parseTop, type Paging } from './paging.ts';
export { tokenize, type Token } from './lexer.ts';

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

function option(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = Object.hasOwn(query, name) ? query[name] : undefined;
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw syntaxError(name, 'is given more than once');
  if (typeof value !== 'string') throw syntaxError(name, 'must be text');
  return value;
}
