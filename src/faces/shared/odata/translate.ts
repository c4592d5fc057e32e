// Translates parsed OData query options ($filter, $orderby, $skip, $top) into a domain list query
// (core/query.ts) over a face's whitelist of fields. Each field the product spells (`AgentName`) stands
// for an expression over the domain's fields (`name`, or a product code chosen by cases); only those
// reach the repository, which compiles them to SQL (store/query.ts). Types are checked and literals
// bound here, so every error names the product's field and the position the user typed.
import { DateTime, FixedOffsetZone } from 'luxon';
import type { Condition, Expr, ListQuery, Scalar, SortKey } from '../../../core/query.ts';
import type { CompareOp, FieldRef, FilterNode, Literal, MatchNode, OrderByItem } from './ast.ts';
import { syntaxError } from './errors.ts';
import type { Paging } from './paging.ts';

/** The parsed query options of one request. */
export interface QueryOptions extends Paging {
  readonly filter: FilterNode | undefined;
  readonly orderby: readonly OrderByItem[];
}

export type FieldType = 'string' | 'number' | 'boolean' | 'datetime' | 'guid';

export interface FieldSpec {
  /** what the field is in domain terms: a domain field, or an expression over domain fields */
  readonly expr: Expr;
  readonly type: FieldType;
  /** may appear in $filter (default true) */
  readonly filterable?: boolean;
  /** may appear in $orderby (default true) */
  readonly sortable?: boolean;
}

/** The fields a resource exposes, keyed by the name the product spells (`AgentName`). */
export type FieldMap = Readonly<Record<string, FieldSpec>>;

export interface TranslateOptions {
  /** zone for DATETIME literals written without Z or an offset: an IANA name or `UTC+2`; default UTC */
  readonly zone?: string;
  /**
   * compare strings and match substrings ignoring case (default true): VSA runs on SQL Server, whose
   * default collation ignores case, so scripts written for it expect `OrgName eq 'acme'` to find "Acme"
   */
  readonly caseInsensitive?: boolean;
}

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

/** Translates a parsed `$filter` into a domain condition. */
export function toCondition(node: FilterNode, fields: FieldMap, options: TranslateOptions = {}): Condition {
  const ci = options.caseInsensitive ?? true;
  const translate = (n: FilterNode): Condition => {
    switch (n.kind) {
      case 'and':
      case 'or':
        return { kind: n.kind, items: flatten(n, n.kind).map(translate) };
      case 'not':
        return { kind: 'not', operand: translate(n.operand) };
      case 'fieldTest': {
        const { name, spec } = resolveField(fields, n.field, 'filter');
        if (spec.type !== 'boolean') {
          throw syntaxError(
            '$filter',
            `field '${name}' at position ${n.position} is ${TYPE_WORDS[spec.type]}, not a condition: compare it with eq, ne, gt, ge, lt or le`,
          );
        }
        return { kind: 'compare', left: spec.expr, op: 'eq', value: true };
      }
      case 'match':
        return translateMatch(n, fields, ci);
      case 'compare': {
        const { name, spec } = resolveField(fields, n.field, 'filter');
        if (n.value.kind === 'null') {
          if (n.op === 'eq' || n.op === 'ne')
            return { kind: 'compare', left: spec.expr, op: n.op, value: null };
          throw syntaxError(
            '$filter',
            `null can only be compared with eq or ne ('${n.op}' at position ${n.position})`,
          );
        }
        const value = bindValue(name, spec, n.op, n.value, options);
        return {
          kind: 'compare',
          left: spec.expr,
          op: n.op,
          value,
          ...(spec.type === 'string' && ci ? { ignoreCase: true } : {}),
        };
      }
    }
  };
  return translate(node);
}

/** Translates a parsed `$orderby` into sort keys, in order. */
export function toSort(orderby: readonly OrderByItem[], fields: FieldMap): SortKey[] {
  return orderby.map((item) => ({
    by: resolveField(fields, item.field, 'sort').spec.expr,
    direction: item.direction,
  }));
}

/** The whole request as a domain list query: filter, sort, skip and top. */
export function toListQuery(
  options: QueryOptions,
  fields: FieldMap,
  translate: TranslateOptions = {},
): ListQuery {
  return {
    filter: options.filter === undefined ? undefined : toCondition(options.filter, fields, translate),
    sort: toSort(options.orderby, fields),
    skip: options.skip,
    top: options.top,
  };
}

function flatten(node: FilterNode, kind: 'and' | 'or'): FilterNode[] {
  return node.kind === kind ? [...flatten(node.left, kind), ...flatten(node.right, kind)] : [node];
}

function translateMatch(n: MatchNode, fields: FieldMap, ci: boolean): Condition {
  const { name, spec } = resolveField(fields, n.field, 'filter');
  if (spec.type !== 'string') {
    throw syntaxError(
      '$filter',
      `${n.fn} needs a string field, but '${name}' at position ${n.field.position} is ${TYPE_WORDS[spec.type]}`,
    );
  }
  const at = n.fn === 'substringof' ? 'anywhere' : n.fn === 'startswith' ? 'start' : 'end';
  return { kind: 'match', left: spec.expr, at, text: n.value.value, ...(ci ? { ignoreCase: true } : {}) };
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

/** Checks a literal against the field's type and returns the value to compare with. */
function bindValue(
  name: string,
  spec: FieldSpec,
  op: CompareOp,
  value: Literal,
  options: TranslateOptions,
): Scalar {
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
// are passed as text, which PostgreSQL reads exactly into numeric columns.
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
  if (!at.isValid) throw new Error(`toCondition: cannot place DATETIME'${value.text}' in zone '${zone}'`);
  return at.toUTC().toISO() as string;
}
