// The typed tree of an OData query expression ($filter, $orderby), as the products' APIs spell them.
// Positions are 1-based character offsets into the expression text, so error messages can point
// at the place a user typed.

export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

/** String functions that are conditions: substringof('x', F), startswith(F, 'x'), endswith(F, 'x'). */
export type MatchFunction = 'substringof' | 'startswith' | 'endswith';
export const MATCH_FUNCTIONS: readonly MatchFunction[] = ['substringof', 'startswith', 'endswith'];

export interface FieldRef {
  readonly kind: 'field';
  /** the name as the user typed it; fields are matched case-insensitively when compiled */
  readonly name: string;
  readonly position: number;
}

export interface StringLiteral {
  readonly kind: 'string';
  /** the value with `''` already unescaped to `'` */
  readonly value: string;
  readonly position: number;
}

export interface NumberLiteral {
  readonly kind: 'number';
  /** the digits as typed, without a type suffix (`12.5M` → `12.5`), for exact decimal binding */
  readonly text: string;
  readonly value: number;
  /** written with the `M` (decimal) suffix */
  readonly decimal: boolean;
  readonly position: number;
}

export interface BooleanLiteral {
  readonly kind: 'boolean';
  readonly value: boolean;
  readonly position: number;
}

export interface NullLiteral {
  readonly kind: 'null';
  readonly position: number;
}

/** `DATETIME'2019-06-17T07:14:20'`: the parts as written; no offset means the compiler's zone applies. */
export interface DateTimeLiteral {
  readonly kind: 'datetime';
  /** the text between the quotes, whitespace removed */
  readonly text: string;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  /** minutes east of UTC when the literal carries `Z` or `±hh:mm`, else null */
  readonly offsetMinutes: number | null;
  readonly position: number;
}

/** `guid'0f8fad5b-d9cb-469f-a165-70867728950e'`, value lower-cased. */
export interface GuidLiteral {
  readonly kind: 'guid';
  readonly value: string;
  readonly position: number;
}

export type Literal =
  StringLiteral | NumberLiteral | BooleanLiteral | NullLiteral | DateTimeLiteral | GuidLiteral;

export interface LogicalNode {
  readonly kind: 'and' | 'or';
  readonly left: FilterNode;
  readonly right: FilterNode;
  readonly position: number;
}

export interface NotNode {
  readonly kind: 'not';
  readonly operand: FilterNode;
  readonly position: number;
}

/** `Field op literal`; `literal op Field` is normalised to this form with the operator mirrored. */
export interface CompareNode {
  readonly kind: 'compare';
  readonly op: CompareOp;
  readonly field: FieldRef;
  readonly value: Literal;
  readonly position: number;
}

export interface MatchNode {
  readonly kind: 'match';
  readonly fn: MatchFunction;
  readonly field: FieldRef;
  readonly value: StringLiteral;
  readonly position: number;
}

/** A boolean field standing alone as a condition: `$filter=IsOnline`. */
export interface FieldTestNode {
  readonly kind: 'fieldTest';
  readonly field: FieldRef;
  readonly position: number;
}

export type FilterNode = LogicalNode | NotNode | CompareNode | MatchNode | FieldTestNode;

export type SortDirection = 'asc' | 'desc';

export interface OrderByItem {
  readonly field: FieldRef;
  readonly direction: SortDirection;
}
