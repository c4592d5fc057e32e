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
  /** the face's dialect (string case, null order), applied by toListQuery to every list it translates */
  readonly dialect?: TranslateOptions;
}

/**
 * What a field holds, which decides the literals it compares with. `integer` is a whole number within
 * JavaScript's safe-integer range (ids, counts, product codes: bigint and integer columns), so a fraction
 * or a larger number is refused here instead of failing in PostgreSQL; `number` is any number (a numeric
 * column reads even a long decimal exactly).
 */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'datetime' | 'guid';

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
  /**
   * where nulls sort: `lowest` puts them first ascending and last descending, as SQL Server does (VSA);
   * absent, the store's default (PostgreSQL treats null as the highest value)
   */
  readonly nulls?: 'lowest';
}

const TYPE_WORDS: Record<FieldType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  datetime: 'a date and time',
  guid: 'a guid',
};

const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC_TEXT = /^-?\d+(?:\.\d+)?$/;
// the instants a DATETIME may stand for, in UTC: what four-digit ISO text writes and PostgreSQL reads back
// (it has no year 0, and reads `+010000-…` as no timestamp)
const EARLIEST = DateTime.fromISO('0001-01-01T00:00:00Z', { zone: 'utc' });
const LATEST = DateTime.fromISO('9999-12-31T23:59:59.999Z', { zone: 'utc' });

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
export function toSort(
  orderby: readonly OrderByItem[],
  fields: FieldMap,
  options: TranslateOptions = {},
): SortKey[] {
  return orderby.map((item) => ({
    by: resolveField(fields, item.field, 'sort').spec.expr,
    direction: item.direction,
    ...(options.nulls === 'lowest' ? { nulls: item.direction === 'asc' ? 'first' : 'last' } : {}),
  }));
}

/** The whole request as a domain list query: filter, sort, skip and top. */
export function toListQuery(
  options: QueryOptions,
  fields: FieldMap,
  explicit: TranslateOptions = {},
): ListQuery {
  const translate = { ...options.dialect, ...explicit };
  return {
    filter: options.filter === undefined ? undefined : toCondition(options.filter, fields, translate),
    sort: toSort(options.orderby, fields, translate),
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
  storableText(name, n.value);
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
      if (value.kind === 'string') return storableText(name, value);
      throw wrongType('is not a string: write it in single quotes');
    case 'number':
      if (value.kind === 'number') return numberParam(value.text, value.value);
      // the guide's own examples quote numbers: orgRevenue gt '1000000'
      if (value.kind === 'string' && NUMERIC_TEXT.test(value.value)) {
        return numberParam(value.value, Number(value.value));
      }
      throw wrongType('is not a number');
    case 'integer': {
      const text =
        value.kind === 'number'
          ? value.text
          : value.kind === 'string' && NUMERIC_TEXT.test(value.value)
            ? value.value
            : undefined;
      if (text === undefined) throw wrongType('is not a number');
      const whole = integerOf(text);
      if (whole === 'fraction') throw wrongType('is not a whole number');
      if (whole === 'range') {
        throw wrongType(`is out of range (from ${-Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER})`);
      }
      return whole;
    }
    case 'boolean':
      if (value.kind !== 'boolean') throw wrongType('is not true or false');
      equalityOnly();
      return value.value;
    case 'datetime':
      if (value.kind === 'datetime') {
        const at = instant(value, options.zone);
        if (at < EARLIEST || at > LATEST) {
          throw wrongType(
            `is out of range: the store holds instants from ${EARLIEST.toISO()} to ${LATEST.toISO()} (UTC)`,
          );
        }
        return at.toISO() as string;
      }
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

/** A string literal's text, unless it holds NUL, which PostgreSQL's text cannot (no record matches it). */
function storableText(name: string, value: Extract<Literal, { kind: 'string' }>): string {
  if (value.value.includes('\u0000')) {
    throw syntaxError(
      '$filter',
      `field '${name}': the string at position ${value.position} contains a NUL character (\\u0000), which no text holds`,
    );
  }
  return value.value;
}

/**
 * The whole number a decimal text (`12`, `-1.50`, `1e3`, `2.5E1`) writes exactly, read digit by digit
 * (a double would round `1.0000000000000001` to 1): `fraction` if it is not whole, `range` beyond the
 * safe integers.
 */
function integerOf(text: string): number | 'fraction' | 'range' {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return 'fraction';
  const fraction = m[3] ?? '';
  let digits = ((m[2] as string) + fraction).replace(/^0+/, '');
  if (digits === '') return 0;
  let exponent = Number(m[4] ?? 0) - fraction.length;
  const trailing = /0*$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (exponent < 0) return 'fraction';
  if (digits.length + exponent > 16) return 'range';
  const whole = BigInt(digits) * 10n ** BigInt(exponent);
  if (whole > BigInt(Number.MAX_SAFE_INTEGER)) return 'range';
  return (m[1] === '-' ? -1 : 1) * Number(whole);
}

function instant(value: Extract<Literal, { kind: 'datetime' }>, zone = 'UTC'): DateTime {
  const { year, month, day, hour, minute, second, millisecond } = value;
  const at = DateTime.fromObject(
    { year, month, day, hour, minute, second, millisecond },
    { zone: value.offsetMinutes === null ? zone : FixedOffsetZone.instance(value.offsetMinutes) },
  );
  if (!at.isValid) throw new Error(`toCondition: cannot place DATETIME'${value.text}' in zone '${zone}'`);
  return at.toUTC();
}
