// Precedence parser for `$filter` and `$orderby`.
//
//   filter     := or
//   or         := and ('or' and)*
//   and        := unary ('and' unary)*
//   unary      := 'not' unary | comparison
//   comparison := operand (cmpop operand)?
//   operand    := '(' or ')' | function '(' args ')' | literal | field
//
// `not` binds tighter than `and`, which binds tighter than `or`; `not` applies to the comparison
// after it (`not A eq 1` is `not (A eq 1)`), as users mean it. Keywords, function names and
// true/false/null are matched case-insensitively; DATETIME is not (see lexer.ts).
import {
  COMPARE_OPS,
  MATCH_FUNCTIONS,
  type CompareOp,
  type FieldRef,
  type FilterNode,
  type Literal,
  type MatchFunction,
  type OrderByItem,
  type StringLiteral,
} from './ast.ts';
import { syntaxError } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';

/** Deep enough for any real filter, shallow enough never to overflow the stack. */
export const MAX_DEPTH = 100;

const KEYWORDS = new Set(['and', 'or', 'not', ...COMPARE_OPS]);
const DIRECTIONS = new Set(['asc', 'desc']);
const MIRRORED: Record<CompareOp, CompareOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

type Operand =
  | {
      readonly kind: 'condition';
      readonly node: FilterNode;
      readonly position: number;
      readonly call: boolean;
    }
  | FieldRef
  | Literal;

/** Parses a `$filter` expression into a tree; throws `invalid` saying what is wrong and where. */
export function parseFilter(text: string): FilterNode {
  const p = new Parser(text, '$filter');
  if (p.peek().type === 'eof') throw p.fail('the expression is empty');
  const node = p.parseOr(0);
  const next = p.peek();
  if (next.type !== 'eof') {
    throw p.fail(
      `unexpected ${describe(next)} at position ${next.position}: expected 'and', 'or' or the end`,
    );
  }
  return node;
}

/** Parses `$orderby`: `Field [asc|desc] (, Field [asc|desc])*`. */
export function parseOrderBy(text: string): OrderByItem[] {
  const p = new Parser(text, '$orderby');
  if (p.peek().type === 'eof') throw p.fail('the expression is empty');
  const items: OrderByItem[] = [];
  for (;;) {
    const token = p.next();
    if (token.type !== 'word' || DIRECTIONS.has(token.text.toLowerCase())) {
      throw p.fail(`expected a field name at position ${token.position} but found ${describe(token)}`);
    }
    const field: FieldRef = { kind: 'field', name: token.text, position: token.position };
    let direction: 'asc' | 'desc' = 'asc';
    const dir = p.peek();
    if (dir.type === 'word' && DIRECTIONS.has(dir.text.toLowerCase())) {
      direction = dir.text.toLowerCase() as 'asc' | 'desc';
      p.next();
    }
    items.push({ field, direction });
    const after = p.next();
    if (after.type === 'eof') return items;
    if (after.type !== 'comma') {
      throw p.fail(
        `unexpected ${describe(after)} at position ${after.position}: expected 'asc', 'desc', ',' or the end`,
      );
    }
  }
}

function describe(token: Token): string {
  if (token.type === 'eof') return 'end of expression';
  // quoted literals already show their quotes
  if (token.type === 'literal' && token.literal.kind !== 'number') return token.text;
  return `'${token.text}'`;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(
    text: string,
    private readonly param: string,
  ) {
    this.tokens = tokenize(text, param);
  }

  fail(message: string) {
    return syntaxError(this.param, message);
  }

  peek(): Token {
    return this.tokens[this.index] as Token;
  }

  next(): Token {
    const token = this.peek();
    if (token.type !== 'eof') this.index++;
    return token;
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.type === 'word' && token.text.toLowerCase() === word;
  }

  private expect(type: 'rparen' | 'comma' | 'lparen', what: string): Token {
    const token = this.next();
    if (token.type !== type) {
      throw this.fail(`expected ${what} at position ${token.position} but found ${describe(token)}`);
    }
    return token;
  }

  parseOr(depth: number): FilterNode {
    let left = this.parseAnd(depth);
    while (this.isKeyword('or')) {
      const position = this.next().position;
      left = { kind: 'or', left, right: this.parseAnd(depth), position };
    }
    return left;
  }

  private parseAnd(depth: number): FilterNode {
    let left = this.parseUnary(depth);
    while (this.isKeyword('and')) {
      const position = this.next().position;
      left = { kind: 'and', left, right: this.parseUnary(depth), position };
    }
    return left;
  }

  private parseUnary(depth: number): FilterNode {
    if (this.isKeyword('not')) {
      const position = this.next().position;
      this.guardDepth(depth + 1, position);
      return { kind: 'not', operand: this.parseUnary(depth + 1), position };
    }
    return this.parseComparison(depth);
  }

  private parseComparison(depth: number): FilterNode {
    const left = this.parseOperand(depth);
    const opToken = this.peek();
    const op = opToken.type === 'word' ? (opToken.text.toLowerCase() as CompareOp) : undefined;
    if (op === undefined || !COMPARE_OPS.includes(op)) return this.asCondition(left);
    this.next();
    const right = this.parseOperand(depth);
    return this.comparison(left, op, right, opToken.position);
  }

  /** An operand standing alone where a condition is expected. */
  private asCondition(operand: Operand): FilterNode {
    if (operand.kind === 'condition') return operand.node;
    if (operand.kind === 'field') return { kind: 'fieldTest', field: operand, position: operand.position };
    const next = this.peek();
    if (next.type === 'eof') {
      throw this.fail(
        `the value at position ${operand.position} is not a condition: expected a comparison after it`,
      );
    }
    throw this.fail(
      `unexpected ${describe(next)} at position ${next.position}: expected eq, ne, gt, ge, lt or le`,
    );
  }

  private comparison(left: Operand, op: CompareOp, right: Operand, position: number): FilterNode {
    if (left.kind === 'field' && isLiteral(right))
      return { kind: 'compare', op, field: left, value: right, position };
    if (isLiteral(left) && right.kind === 'field') {
      return { kind: 'compare', op: MIRRORED[op], field: right, value: left, position };
    }
    // A function call compared with a boolean: substringof('x', F) eq true
    const call =
      left.kind === 'condition' && left.call ? left : right.kind === 'condition' && right.call ? right : null;
    const other = call === left ? right : left;
    if (call && other.kind === 'boolean' && (op === 'eq' || op === 'ne')) {
      return (op === 'eq') === other.value ? call.node : { kind: 'not', operand: call.node, position };
    }
    if (call) {
      throw this.fail(
        `a function result at position ${call.position} can only be compared with eq or ne to true or false`,
      );
    }
    if (left.kind === 'field' && right.kind === 'field') {
      throw this.fail(`comparing two fields is not supported ('${op}' at position ${position})`);
    }
    if (isLiteral(left) && isLiteral(right)) {
      throw this.fail(`a comparison needs a field on one side ('${op}' at position ${position})`);
    }
    const offender = left.kind === 'condition' ? left : right;
    throw this.fail(
      `a condition cannot be compared ('${op}' at position ${position}, condition at position ${offender.position})`,
    );
  }

  private parseOperand(depth: number): Operand {
    const token = this.next();
    switch (token.type) {
      case 'lparen': {
        this.guardDepth(depth + 1, token.position);
        const node = this.parseOr(depth + 1);
        this.expect('rparen', "')'");
        return { kind: 'condition', node, position: token.position, call: false };
      }
      case 'literal':
        return token.literal;
      case 'word':
        return this.parseWord(token, depth);
      case 'eof':
        throw this.fail(
          `unexpected end of expression at position ${token.position}: expected a field or a value`,
        );
      default:
        throw this.fail(`unexpected ${describe(token)} at position ${token.position}`);
    }
  }

  private parseWord(token: Token, depth: number): Operand {
    const lower = token.text.toLowerCase();
    const position = token.position;
    if (KEYWORDS.has(lower)) {
      throw this.fail(`unexpected '${token.text}' at position ${position}: expected a field or a value`);
    }
    if (this.peek().type === 'lparen') return this.parseCall(token, depth);
    if (lower === 'true' || lower === 'false') return { kind: 'boolean', value: lower === 'true', position };
    if (lower === 'null') return { kind: 'null', position };
    return { kind: 'field', name: token.text, position };
  }

  private parseCall(name: Token, depth: number): Operand {
    const fn = name.text.toLowerCase() as MatchFunction;
    if (!MATCH_FUNCTIONS.includes(fn)) {
      throw this.fail(
        `unknown function '${name.text}' at position ${name.position}: supported are ${MATCH_FUNCTIONS.join(', ')}`,
      );
    }
    this.expect('lparen', "'('");
    const first = this.parseOperand(depth + 1);
    this.expect('comma', `',' in ${fn}`);
    const second = this.parseOperand(depth + 1);
    this.expect('rparen', `')' closing ${fn}`);
    // substringof(needle, Field); startswith(Field, prefix); endswith(Field, suffix)
    const [needle, field] = fn === 'substringof' ? [first, second] : [second, first];
    const [needleArg, fieldArg] = fn === 'substringof' ? ['first', 'second'] : ['second', 'first'];
    if (needle.kind !== 'string') {
      throw this.fail(
        `${fn} expects a string in quotes as its ${needleArg} argument (position ${needle.position})`,
      );
    }
    if (field.kind !== 'field') {
      throw this.fail(`${fn} expects a field name as its ${fieldArg} argument (position ${field.position})`);
    }
    const node: FilterNode = {
      kind: 'match',
      fn,
      field,
      value: needle as StringLiteral,
      position: name.position,
    };
    return { kind: 'condition', node, position: name.position, call: true };
  }

  private guardDepth(depth: number, position: number) {
    if (depth > MAX_DEPTH)
      throw this.fail(`the expression nests deeper than ${MAX_DEPTH} levels at position ${position}`);
  }
}

function isLiteral(operand: Operand): operand is Literal {
  return operand.kind !== 'condition' && operand.kind !== 'field';
}
