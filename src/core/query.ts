// A query over a list of records in domain terms: which records (a condition over named fields), in
// which order, and which page. Faces build it from their wire format (a product's OData options, say)
// after mapping their own field names and codes onto the domain's; repositories compile it
// to SQL over a whitelist of domain fields (store/query.ts). A face may define a field of its own as an
// expression over domain fields (a product code chosen by cases, a link built by concatenation); the
// same expression both filters in SQL and renders a record (`evaluate`), so the two never disagree.

export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type Scalar = string | number | boolean;

export interface FieldExpr {
  readonly kind: 'field';
  /** a domain field of the list being queried (`name`, `lastSeenAt`) */
  readonly name: string;
}
export interface ValueExpr {
  readonly kind: 'value';
  readonly value: Scalar | null;
}
/** the `then` of the first case whose condition holds, else `else` */
export interface CasesExpr {
  readonly kind: 'cases';
  readonly cases: readonly { readonly when: Condition; readonly then: Expr }[];
  readonly else: Expr;
}
/** text joined end to end; null when any part is null */
export interface ConcatExpr {
  readonly kind: 'concat';
  readonly parts: readonly Expr[];
}
/** the first item that is not null */
export interface CoalesceExpr {
  readonly kind: 'coalesce';
  readonly items: readonly Expr[];
}
export type Expr = FieldExpr | ValueExpr | CasesExpr | ConcatExpr | CoalesceExpr;

export interface LogicalCondition {
  readonly kind: 'and' | 'or';
  readonly items: readonly Condition[];
}
export interface NotCondition {
  readonly kind: 'not';
  readonly operand: Condition;
}
/**
 * `left op value`. A null value is only compared with eq (is null) or ne (is not null); `ne` holds for
 * a null left side (null ne 'x'), as in OData. `ignoreCase` compares text lower-cased.
 */
export interface CompareCondition {
  readonly kind: 'compare';
  readonly left: Expr;
  readonly op: CompareOp;
  readonly value: Scalar | null;
  readonly ignoreCase?: boolean;
}
/** text containing, starting with or ending with `text` (taken literally: no wildcards) */
export interface MatchCondition {
  readonly kind: 'match';
  readonly left: Expr;
  readonly at: 'anywhere' | 'start' | 'end';
  readonly text: string;
  readonly ignoreCase?: boolean;
}
export interface InCondition {
  readonly kind: 'in';
  readonly left: Expr;
  readonly values: readonly Scalar[];
}
export type Condition = LogicalCondition | NotCondition | CompareCondition | MatchCondition | InCondition;

export type SortDirection = 'asc' | 'desc';
export interface SortKey {
  readonly by: Expr;
  readonly direction: SortDirection;
  /** where records whose key is null go; absent: the store's default (PostgreSQL: last ascending) */
  readonly nulls?: 'first' | 'last';
}

export interface ListQuery {
  readonly filter?: Condition | undefined;
  readonly sort: readonly SortKey[];
  readonly skip: number;
  readonly top: number;
}

/** one page of a list, and how many records the whole (filtered) list holds */
export interface Listed<T> {
  records: T[];
  total: number;
}

// ---- builders -----------------------------------------------------------------------------------------

export const field = (name: string): FieldExpr => ({ kind: 'field', name });
export const value = (v: Scalar | null): ValueExpr => ({ kind: 'value', value: v });
export const cases = (
  list: readonly (readonly [Condition, Expr | Scalar | null])[],
  otherwise: Expr | Scalar | null,
): CasesExpr => ({
  kind: 'cases',
  cases: list.map(([when, then]) => ({ when, then: asExpr(then) })),
  else: asExpr(otherwise),
});
export const concat = (...parts: (Expr | string)[]): ConcatExpr => ({
  kind: 'concat',
  parts: parts.map(asExpr),
});
export const coalesce = (...items: Expr[]): CoalesceExpr => ({ kind: 'coalesce', items });
export const and = (...items: Condition[]): LogicalCondition => ({ kind: 'and', items });
export const or = (...items: Condition[]): LogicalCondition => ({ kind: 'or', items });
export const not = (operand: Condition): NotCondition => ({ kind: 'not', operand });
export const is = (left: Expr | string, v: Scalar | null): CompareCondition => ({
  kind: 'compare',
  left: typeof left === 'string' ? field(left) : left,
  op: 'eq',
  value: v,
});
export const oneOf = (left: Expr | string, values: readonly Scalar[]): InCondition => ({
  kind: 'in',
  left: typeof left === 'string' ? field(left) : left,
  values,
});

function asExpr(e: Expr | Scalar | null): Expr {
  return e !== null && typeof e === 'object' ? e : value(e);
}

/** the query of one record by a field's value (a list's "get one") */
export const byField = (name: string, v: Scalar): ListQuery => ({
  filter: is(name, v),
  sort: [],
  skip: 0,
  top: 1,
});

// ---- evaluation over one record ------------------------------------------------------------------------
// What a face renders: the value of an expression over a record whose keys are the domain field names.
// It agrees with the SQL the store compiles for the same expression (null makes a condition false).

type Record_ = Readonly<Record<string, unknown>>;

export function evaluate(e: Expr, record: Record_): unknown {
  switch (e.kind) {
    case 'field':
      return record[e.name] ?? null;
    case 'value':
      return e.value;
    case 'cases': {
      const hit = e.cases.find((c) => holds(c.when, record));
      return evaluate(hit ? hit.then : e.else, record);
    }
    case 'concat': {
      const parts = e.parts.map((p) => evaluate(p, record));
      return parts.some((p) => p === null) ? null : parts.map(String).join('');
    }
    case 'coalesce':
      for (const item of e.items) {
        const v = evaluate(item, record);
        if (v !== null) return v;
      }
      return null;
  }
}

const comparable = (v: unknown): unknown => (v instanceof Date ? v.getTime() : v);

export function holds(c: Condition, record: Record_): boolean {
  switch (c.kind) {
    case 'and':
      return c.items.every((i) => holds(i, record));
    case 'or':
      return c.items.some((i) => holds(i, record));
    case 'not':
      return !holds(c.operand, record);
    case 'in': {
      const v = evaluate(c.left, record);
      return v !== null && c.values.includes(v as Scalar);
    }
    case 'match': {
      const v = evaluate(c.left, record);
      if (typeof v !== 'string') return false;
      const [text, find] = c.ignoreCase ? [v.toLowerCase(), c.text.toLowerCase()] : [v, c.text];
      return c.at === 'start'
        ? text.startsWith(find)
        : c.at === 'end'
          ? text.endsWith(find)
          : text.includes(find);
    }
    case 'compare': {
      const raw = evaluate(c.left, record);
      let left = comparable(raw);
      // a date is compared with the instant a filter's text names (faces pass datetimes as ISO text)
      let right: unknown = raw instanceof Date && typeof c.value === 'string' ? Date.parse(c.value) : c.value;
      if (right === null || left === null) {
        if (c.op === 'eq') return left === right;
        if (c.op === 'ne') return left !== right;
        return false;
      }
      if (c.ignoreCase && typeof left === 'string' && typeof right === 'string') {
        left = left.toLowerCase();
        right = right.toLowerCase();
      }
      if (typeof left === 'number' && typeof right === 'string') right = Number(right);
      const l = left as string | number | boolean;
      const r = right as string | number | boolean;
      switch (c.op) {
        case 'eq':
          return l === r;
        case 'ne':
          return l !== r;
        case 'gt':
          return l > r;
        case 'ge':
          return l >= r;
        case 'lt':
          return l < r;
        case 'le':
          return l <= r;
      }
    }
  }
}

/**
 * A list query over records in memory (a short list a service computed rather than read with SQL):
 * filter, sort (nulls last in both directions) and page.
 */
export function listInMemory<T extends object>(records: readonly T[], q: ListQuery): Listed<T> {
  const kept = q.filter ? records.filter((r) => holds(q.filter!, r as Record_)) : [...records];
  const key = (r: T, e: Expr) => comparable(evaluate(e, r as Record_));
  kept.sort((a, b) => {
    for (const s of q.sort) {
      const x = key(a, s.by);
      const y = key(b, s.by);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const order = (x as number | string) < (y as number | string) ? -1 : 1;
      return s.direction === 'desc' ? -order : order;
    }
    return 0;
  });
  return { records: kept.slice(q.skip, q.skip + q.top), total: kept.length };
}
