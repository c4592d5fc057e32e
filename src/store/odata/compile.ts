// Compiles parsed OData query options ($filter, $orderby, $skip, $top) to Kysely expressions over a
// whitelist of fields, so filters and sorts run in SQL. Only fields named in the FieldMap reach SQL, and
// only as the column it names; every value is a bound parameter. The faces parse the text
// (faces/shared/odata); this half lives in the store because it writes SQL.
import {
  sql,
  type ComparisonOperatorExpression,
  type Expression,
  type ExpressionBuilder,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import { DateTime, FixedOffsetZone } from 'luxon';
import type { CompareOp, FieldRef, FilterNode, Literal, MatchNode, OrderByItem } from './ast.ts';
import { syntaxError } from './errors.ts';

/** `$skip` and `$top`, already checked */
export interface Paging {
  readonly skip: number;
  readonly top: number;
}

/** The parsed query options of one request. */
export interface QueryOptions extends Paging {
  readonly filter: FilterNode | undefined;
  readonly orderby: readonly OrderByItem[];
}

export type FieldType = 'string' | 'number' | 'boolean' | 'datetime' | 'guid';

export interface FieldSpec {
  /** a column reference (`"d.hostname"`) or an SQL expression */
  readonly column: string | Expression<unknown>;
  readonly type: FieldType;
  /** may appear in $filter (default true) */
  readonly filterable?: boolean;
  /** may appear in $orderby (default true) */
  readonly sortable?: boolean;
}

/** The fields a resource exposes, keyed by the name the product spells (`AgentName`). */
export type FieldMap = Readonly<Record<string, FieldSpec>>;

export interface CompileOptions {
  /** zone for DATETIME literals written without Z or an offset: an IANA name or `UTC+2`; default UTC */
  readonly zone?: string;
  /**
   * compare strings and match substrings ignoring case (default true): VSA runs on SQL Server, whose
   * default collation ignores case, so scripts written for it expect `OrgName eq 'acme'` to find "Acme"
   */
  readonly caseInsensitive?: boolean;
}

const SQL_OP: Record<CompareOp, ComparisonOperatorExpression> = {
  eq: '=',
  // OData's `ne` is true for a null field (null ne 'x'); SQL's `<>` would drop those rows
  ne: 'is distinct from',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

const TYPE_WORDS: Record<FieldType, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  datetime: 'a date and time',
  guid: 'a guid',
};

const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC_TEXT = /^-?\d+(?:\.\d+)?$/;

/**
 * Finds the field a reference names: the exact spelling first, else the one name that matches
 * ignoring case (the guide's own examples write `orgName`, `OrgName` and `orgtype`).
 */
export function resolveField(
  fields: FieldMap,
  ref: FieldRef,
  use: 'filter' | 'sort',
): { readonly name: string; readonly spec: FieldSpec } {
  const param = use === 'filter' ? '$filter' : '$orderby';
  const allowed = (spec: FieldSpec) => (use === 'filter' ? spec.filterable : spec.sortable) !== false;
  let name: string | undefined = Object.hasOwn(fields, ref.name) ? ref.name : undefined;
  if (name === undefined) {
    const lower = ref.name.toLowerCase();
    const matches = Object.keys(fields).filter((key) => key.toLowerCase() === lower);
    if (matches.length > 1) {
      throw syntaxError(
        param,
        `field '${ref.name}' at position ${ref.position} is ambiguous: ${matches.join(', ')}`,
      );
    }
    name = matches[0];
  }
  const spec = name === undefined ? undefined : fields[name];
  if (name === undefined || spec === undefined) {
    const known = Object.keys(fields).filter((key) => allowed(fields[key] as FieldSpec));
    throw syntaxError(
      param,
      `unknown field '${ref.name}' at position ${ref.position}: expected one of ${known.join(', ') || '(none)'}`,
    );
  }
  if (!allowed(spec)) {
    throw syntaxError(param, `field '${name}' at position ${ref.position} cannot be used in ${param}`);
  }
  return { name, spec };
}

/** Translates a parsed `$filter` into a condition for `where`. */
export function compileFilter<DB, TB extends keyof DB>(
  node: FilterNode,
  fields: FieldMap,
  eb: ExpressionBuilder<DB, TB>,
  options: CompileOptions = {},
): Expression<SqlBool> {
  const ci = options.caseInsensitive ?? true;
  const compile = (n: FilterNode): Expression<SqlBool> => {
    switch (n.kind) {
      case 'and':
        return eb.and(flatten(n, 'and').map(compile));
      case 'or':
        return eb.or(flatten(n, 'or').map(compile));
      case 'not':
        return eb.not(compile(n.operand));
      case 'fieldTest': {
        const { name, spec } = resolveField(fields, n.field, 'filter');
        if (spec.type !== 'boolean') {
          throw syntaxError(
            '$filter',
            `field '${name}' at position ${n.position} is ${TYPE_WORDS[spec.type]}, not a condition: compare it with eq, ne, gt, ge, lt or le`,
          );
        }
        return eb(column(spec), '=', true);
      }
      case 'match':
        return compileMatch(n, fields, eb, ci);
      case 'compare': {
        const { name, spec } = resolveField(fields, n.field, 'filter');
        const col = column(spec);
        if (n.value.kind === 'null') {
          if (n.op === 'eq') return eb(col, 'is', null);
          if (n.op === 'ne') return eb(col, 'is not', null);
          throw syntaxError(
            '$filter',
            `null can only be compared with eq or ne ('${n.op}' at position ${n.position})`,
          );
        }
        const value = bindValue(name, spec, n.op, n.value, options);
        if (spec.type === 'string' && ci) {
          return eb(eb.fn('lower', [col]), SQL_OP[n.op], (value as string).toLowerCase());
        }
        return eb(col, SQL_OP[n.op], value);
      }
    }
  };
  return compile(node);
}

/** Appends `order by` items for a parsed `$orderby`, in order. */
export function applyOrderBy<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  orderby: readonly OrderByItem[],
  fields: FieldMap,
): SelectQueryBuilder<DB, TB, O> {
  let q = query;
  for (const item of orderby) {
    const { spec } = resolveField(fields, item.field, 'sort');
    q = q.orderBy(column(spec), item.direction);
  }
  return q;
}

/** `offset $skip limit $top`. */
export function applyPaging<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  paging: Paging,
): SelectQueryBuilder<DB, TB, O> {
  return query.limit(paging.top).offset(paging.skip);
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

/** Escapes LIKE's wildcards (and the escape character, PostgreSQL's default `\`) in user text. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function column(spec: FieldSpec): Expression<unknown> {
  return typeof spec.column === 'string' ? sql.ref(spec.column) : spec.column;
}

function flatten(node: FilterNode, kind: 'and' | 'or'): FilterNode[] {
  return node.kind === kind ? [...flatten(node.left, kind), ...flatten(node.right, kind)] : [node];
}

function compileMatch<DB, TB extends keyof DB>(
  n: MatchNode,
  fields: FieldMap,
  eb: ExpressionBuilder<DB, TB>,
  ci: boolean,
): Expression<SqlBool> {
  const { name, spec } = resolveField(fields, n.field, 'filter');
  if (spec.type !== 'string') {
    throw syntaxError(
      '$filter',
      `${n.fn} needs a string field, but '${name}' at position ${n.field.position} is ${TYPE_WORDS[spec.type]}`,
    );
  }
  const text = escapeLike(n.value.value);
  const pattern = n.fn === 'substringof' ? `%${text}%` : n.fn === 'startswith' ? `${text}%` : `%${text}`;
  return eb(column(spec), ci ? 'ilike' : 'like', pattern);
}

function describeLiteral(value: Literal): string {
  switch (value.kind) {
    case 'string':
      return `'${value.value.replace(/'/g, "''")}'`;
    case 'number':
      return value.text + (value.decimal ? 'M' : '');
    case 'boolean':
      return String(value.value);
    case 'null':
      return 'null';
    case 'datetime':
      return `DATETIME'${value.text}'`;
    case 'guid':
      return `guid'${value.value}'`;
  }
}

/** Checks a literal against the field's type and returns the parameter to bind. */
function bindValue(
  name: string,
  spec: FieldSpec,
  op: CompareOp,
  value: Literal,
  options: CompileOptions,
): unknown {
  const wrongType = (hint: string) =>
    syntaxError(
      '$filter',
      `field '${name}' is ${TYPE_WORDS[spec.type]}: ${describeLiteral(value)} at position ${value.position} ${hint}`,
    );
  const equalityOnly = () => {
    if (op !== 'eq' && op !== 'ne') {
      throw syntaxError(
        '$filter',
        `field '${name}' is ${TYPE_WORDS[spec.type]}: only eq and ne apply ('${op}' at position ${value.position})`,
      );
    }
  };
  switch (spec.type) {
    case 'string':
      if (value.kind === 'string') return value.value;
      throw wrongType('is not a string: write it in single quotes');
    case 'number':
      if (value.kind === 'number') return numberParam(value.text, value.value);
      // the guide's own examples quote numbers: orgRevenue gt '1000000'
      if (value.kind === 'string' && NUMERIC_TEXT.test(value.value)) {
        return numberParam(value.value, Number(value.value));
      }
      throw wrongType('is not a number');
    case 'boolean':
      if (value.kind !== 'boolean') throw wrongType('is not true or false');
      equalityOnly();
      return value.value;
    case 'datetime':
      if (value.kind === 'datetime') return instant(value, options.zone);
      throw wrongType("is not a date and time: write DATETIME'yyyy-MM-ddTHH:mm:ss'");
    case 'guid':
      if (value.kind === 'guid' || (value.kind === 'string' && GUID_TEXT.test(value.value))) {
        equalityOnly();
        return value.value.toLowerCase();
      }
      throw wrongType("is not a guid: write guid'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'");
  }
}

// A double holds 15 significant decimal digits exactly; longer decimals (VSA's ids reach 26 digits)
// are bound as text, which PostgreSQL reads exactly into numeric columns.
function numberParam(text: string, value: number): number | string {
  const digits = text
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '');
  return digits.length <= 15 ? value : text;
}

function instant(value: Extract<Literal, { kind: 'datetime' }>, zone = 'UTC'): string {
  const { year, month, day, hour, minute, second, millisecond } = value;
  const at = DateTime.fromObject(
    { year, month, day, hour, minute, second, millisecond },
    { zone: value.offsetMinutes === null ? zone : FixedOffsetZone.instance(value.offsetMinutes) },
  );
  if (!at.isValid) throw new Error(`compileFilter: cannot place DATETIME'${value.text}' in zone '${zone}'`);
  return at.toUTC().toISO() as string;
}
