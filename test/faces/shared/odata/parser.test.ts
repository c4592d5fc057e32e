import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDomainError } from '../../../../src/core/errors.ts';
import {
  MAX_DEPTH,
  parseFilter,
  parseOrderBy,
  type CompareNode,
  type Literal,
} from '../../../../src/faces/shared/odata/index.ts';
import { messageOf, show } from './support.ts';

describe('$filter: operators and precedence', () => {
  const cases: [filter: string, tree: string][] = [
    ["A eq 'x'", '(eq A "x")'],
    ["A ne 'x'", '(ne A "x")'],
    ['A gt 1', '(gt A 1)'],
    ['A ge 1', '(ge A 1)'],
    ['A lt 1', '(lt A 1)'],
    ['A le 1', '(le A 1)'],
    // a literal on the left mirrors the operator
    ['1 lt A', '(gt A 1)'],
    ['1 le A', '(ge A 1)'],
    ['1 gt A', '(lt A 1)'],
    ['1 ge A', '(le A 1)'],
    ["'x' eq A", '(eq A "x")'],
    ["'x' ne A", '(ne A "x")'],
    // not > and > or
    ['A eq 1 or B eq 2 and C eq 3', '(or (eq A 1) (and (eq B 2) (eq C 3)))'],
    ['A eq 1 and B eq 2 or C eq 3', '(or (and (eq A 1) (eq B 2)) (eq C 3))'],
    ['not A eq 1 and B eq 2', '(and (not (eq A 1)) (eq B 2))'],
    ['not A eq 1 or B eq 2', '(or (not (eq A 1)) (eq B 2))'],
    ['A eq 1 and not B eq 2', '(and (eq A 1) (not (eq B 2)))'],
    ['not not A eq 1', '(not (not (eq A 1)))'],
    // and, or are left-associative
    ['A eq 1 and B eq 2 and C eq 3', '(and (and (eq A 1) (eq B 2)) (eq C 3))'],
    ['A eq 1 or B eq 2 or C eq 3', '(or (or (eq A 1) (eq B 2)) (eq C 3))'],
    // parentheses
    ['(A eq 1 or B eq 2) and C eq 3', '(and (or (eq A 1) (eq B 2)) (eq C 3))'],
    ['A eq 1 and (B eq 2 or C eq 3)', '(and (eq A 1) (or (eq B 2) (eq C 3)))'],
    ['not (A eq 1 or B eq 2)', '(not (or (eq A 1) (eq B 2)))'],
    ['not(A eq 1)', '(not (eq A 1))'],
    ['((((A eq 1))))', '(eq A 1)'],
    [
      '(A eq 1 and (B eq 2 or (C eq 3 and not (D eq 4))))',
      '(and (eq A 1) (or (eq B 2) (and (eq C 3) (not (eq D 4)))))',
    ],
    // functions
    ["substringof('cab', OrgName)", '(substringof OrgName "cab")'],
    ["startswith(OrgName,'pro')", '(startswith OrgName "pro")'],
    ["endswith(OrgName , 'ing' )", '(endswith OrgName "ing")'],
    ["substringof('a', A) eq true", '(substringof A "a")'],
    ["substringof('a', A) ne false", '(substringof A "a")'],
    ["substringof('a', A) eq false", '(not (substringof A "a"))'],
    ["startswith(A, 'a') ne true", '(not (startswith A "a"))'],
    ["true eq endswith(A, 'a')", '(endswith A "a")'],
    ["not startswith(A, 'a') and endswith(A, 'z')", '(and (not (startswith A "a")) (endswith A "z"))'],
    // a boolean field alone is a condition
    ['Online', 'Online'],
    // asc and desc are words of $orderby only
    ['Desc eq 1 and Asc', '(and (eq Desc 1) Asc)'],
    ['not Online and (Online)', '(and (not Online) Online)'],
    // keywords and function names ignore case; field names keep their spelling
    [
      "A EQ 1 AND NOT B Ne 'x' Or StartsWith(C, 'y')",
      '(or (and (eq A 1) (not (ne B "x"))) (startswith C "y"))',
    ],
    ['A eq NULL', '(eq A null)'],
    ['A eq True', '(eq A true)'],
    // whitespace
    ['  A   eq\t1  ', '(eq A 1)'],
    ['(A eq 1)and(B eq 2)', '(and (eq A 1) (eq B 2))'],
  ];
  for (const [filter, tree] of cases) {
    it(filter, () => assert.equal(show(parseFilter(filter)), tree));
  }
});

describe('$filter: literals', () => {
  const literalOf = (text: string): Literal => (parseFilter(`F eq ${text}`) as CompareNode).value;
  const cases: [text: string, literal: Record<string, unknown>][] = [
    ["'Win8'", { kind: 'string', value: 'Win8' }],
    ["''", { kind: 'string', value: '' }],
    ["'O''Brien'", { kind: 'string', value: "O'Brien" }],
    ["''''", { kind: 'string', value: "'" }],
    ["'a''''b'", { kind: 'string', value: "a''b" }],
    ["'and or not ( ) eq'", { kind: 'string', value: 'and or not ( ) eq' }],
    ["'50%_off\\'", { kind: 'string', value: '50%_off\\' }],
    ["'Zürich 東京'", { kind: 'string', value: 'Zürich 東京' }],
    ['42', { kind: 'number', text: '42', value: 42, decimal: false }],
    ['-7', { kind: 'number', text: '-7', value: -7, decimal: false }],
    ['0', { kind: 'number', text: '0', value: 0, decimal: false }],
    ['3.25', { kind: 'number', text: '3.25', value: 3.25, decimal: false }],
    ['12.5M', { kind: 'number', text: '12.5', value: 12.5, decimal: true }],
    ['12.5m', { kind: 'number', text: '12.5', value: 12.5, decimal: true }],
    ['121747357971679M', { kind: 'number', text: '121747357971679', value: 121747357971679, decimal: true }],
    [
      '72135976418143160000000000M',
      { kind: 'number', text: '72135976418143160000000000', value: 7.213597641814316e25, decimal: true },
    ],
    ['-0.5M', { kind: 'number', text: '-0.5', value: -0.5, decimal: true }],
    ['1.5d', { kind: 'number', text: '1.5', value: 1.5, decimal: false }],
    ['2.5f', { kind: 'number', text: '2.5', value: 2.5, decimal: false }],
    ['64L', { kind: 'number', text: '64', value: 64, decimal: false }],
    ['1e3', { kind: 'number', text: '1e3', value: 1000, decimal: false }],
    ['2.5E-2', { kind: 'number', text: '2.5E-2', value: 0.025, decimal: false }],
    ['true', { kind: 'boolean', value: true }],
    ['false', { kind: 'boolean', value: false }],
    ['null', { kind: 'null' }],
    [
      "DATETIME'2016-03-15T15:50:11Z'",
      { kind: 'datetime', text: '2016-03-15T15:50:11Z', offsetMinutes: 0, hour: 15, minute: 50, second: 11 },
    ],
    [
      "DATETIME'2019- 06- 17T07:14:20'",
      { kind: 'datetime', text: '2019-06-17T07:14:20', offsetMinutes: null, year: 2019, month: 6, day: 17 },
    ],
    ["DATETIME'2019-06-17T07:14'", { kind: 'datetime', hour: 7, minute: 14, second: 0, offsetMinutes: null }],
    ["DATETIME'2019-06-17'", { kind: 'datetime', hour: 0, minute: 0, second: 0, millisecond: 0 }],
    ["DATETIME'2019-06-17T07:14:20.1234567'", { kind: 'datetime', second: 20, millisecond: 123 }],
    ["DATETIME'2019-06-17T07:14:20.5+02:00'", { kind: 'datetime', millisecond: 500, offsetMinutes: 120 }],
    ["DATETIME'2019-06-17T07:14:20-05:30'", { kind: 'datetime', offsetMinutes: -330 }],
    ["DATETIME'2024-02-29T00:00:00'", { kind: 'datetime', month: 2, day: 29 }],
    [
      "guid'0F8FAD5B-D9CB-469F-A165-70867728950E'",
      { kind: 'guid', value: '0f8fad5b-d9cb-469f-a165-70867728950e' },
    ],
    [
      "GUID'0f8fad5b-d9cb-469f-a165-70867728950e'",
      { kind: 'guid', value: '0f8fad5b-d9cb-469f-a165-70867728950e' },
    ],
  ];
  for (const [text, expected] of cases) {
    it(text, () => {
      const literal = literalOf(text) as unknown as Record<string, unknown>;
      const picked = Object.fromEntries(Object.keys(expected).map((key) => [key, literal[key]]));
      assert.deepEqual(picked, expected);
      assert.equal(literal.position, 6, 'the literal starts after "F eq "');
    });
  }

  it('records 1-based positions of fields, operators and values', () => {
    const node = parseFilter("AgentName eq 'x' and  Online") as unknown as {
      position: number;
      left: CompareNode;
      right: { position: number };
    };
    assert.equal(node.position, 18);
    assert.equal(node.left.field.position, 1);
    assert.equal(node.left.position, 11);
    assert.equal(node.left.value.position, 14);
    assert.equal(node.right.position, 23);
  });
});

describe('$filter: malformed expressions', () => {
  const cases: [filter: string, message: string][] = [
    ['', 'the expression is empty'],
    ['   ', 'the expression is empty'],
    ["OrgName eq 'Sapphire')", "unexpected ')' at position 22: expected 'and', 'or' or the end"],
    ['(A eq 1', "expected ')' at position 8 but found end of expression"],
    ['(A eq 1 B', "expected ')' at position 9 but found 'B'"],
    ['A eq 1 B eq 2', "unexpected 'B' at position 8: expected 'and', 'or' or the end"],
    ["A eq 1 'x'", "unexpected 'x' at position 8: expected 'and', 'or' or the end"],
    ["A eq 'x''y' 2", "unexpected '2' at position 13: expected 'and', 'or' or the end"],
    ['A eq', 'unexpected end of expression at position 5: expected a field or a value'],
    ['A eq 1 and', 'unexpected end of expression at position 11: expected a field or a value'],
    ['A eq 1 or or B eq 2', "unexpected 'or' at position 11: expected a field or a value"],
    ['and A eq 1', "unexpected 'and' at position 1: expected a field or a value"],
    ['not', 'unexpected end of expression at position 4: expected a field or a value'],
    ['A eq eq 1', "unexpected 'eq' at position 6: expected a field or a value"],
    ['A eq 1 eq 2', "unexpected 'eq' at position 8: expected 'and', 'or' or the end"],
    ['A 1', "unexpected '1' at position 3: expected 'and', 'or' or the end"],
    ['A equals 1', "unexpected 'equals' at position 3: expected 'and', 'or' or the end"],
    ['A == 1', "unexpected character '=' at position 3"],
    ['A eq 1 && B eq 2', "unexpected character '&' at position 8"],
    ['A eq "x"', `unexpected '"' at position 6: strings are written in single quotes`],
    ['()', "unexpected ')' at position 2"],
    [')', "unexpected ')' at position 1"],
    [',', "unexpected ',' at position 1"],
    ['A eq (1)', "unexpected ')' at position 8: expected eq, ne, gt, ge, lt or le"],
    ["'x'", 'the value at position 1 is not a condition: expected a comparison after it'],
    ['42 and A eq 1', "unexpected 'and' at position 4: expected eq, ne, gt, ge, lt or le"],
    ["A eq 'it''s", 'unterminated string starting at position 6'],
    ["A eq 'abc", 'unterminated string starting at position 6'],
    ["A eq 'x' and B eq 'y", 'unterminated string starting at position 19'],
    ['A eq 12abc', "invalid number '12abc' at position 6"],
    ['A eq 1.2.3', "invalid number '1.2.3' at position 6"],
    ['A eq 12MM', "invalid number '12MM' at position 6"],
    ['A eq 1.5L', "invalid number '1.5L' at position 6: a long (L) must be a whole number"],
    ['A eq 1e999', "number '1e999' at position 6 is out of range"],
    [
      "A gt datetime'2019-06-17T07:14:20'",
      "DATETIME is case-sensitive: write it in capital letters (found 'datetime' at position 6)",
    ],
    [
      "A gt DateTime'2019-06-17T07:14:20'",
      "DATETIME is case-sensitive: write it in capital letters (found 'DateTime' at position 6)",
    ],
    [
      "A gt DATETIME'2019-13-01T00:00:00'",
      "invalid DATETIME '2019-13-01T00:00:00' at position 6: expected yyyy-MM-ddTHH:mm:ss, optionally with a fraction of a second and Z or ±hh:mm",
    ],
    [
      "A gt DATETIME'2023-02-29T00:00:00'",
      "invalid DATETIME '2023-02-29T00:00:00' at position 6: expected yyyy-MM-ddTHH:mm:ss, optionally with a fraction of a second and Z or ±hh:mm",
    ],
    [
      "A gt DATETIME'17/06/2019'",
      "invalid DATETIME '17/06/2019' at position 6: expected yyyy-MM-ddTHH:mm:ss, optionally with a fraction of a second and Z or ±hh:mm",
    ],
    [
      "A gt DATETIME'2019-06-17T25:00:00'",
      "invalid DATETIME '2019-06-17T25:00:00' at position 6: expected yyyy-MM-ddTHH:mm:ss, optionally with a fraction of a second and Z or ±hh:mm",
    ],
    [
      "A gt DATETIME'2019-06-17T07:14:20+24:00'",
      "invalid DATETIME '2019-06-17T07:14:20+24:00' at position 6: expected yyyy-MM-ddTHH:mm:ss, optionally with a fraction of a second and Z or ±hh:mm",
    ],
    ["A gt DATETIME'2019-06-17", 'unterminated string starting at position 14'],
    [
      "A eq guid'1234'",
      "invalid guid '1234' at position 6: expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hexadecimal",
    ],
    [
      "A eq datetimeoffset'2019-06-17T07:14:20Z'",
      "unknown literal prefix 'datetimeoffset' at position 6: expected DATETIME or guid",
    ],
    ["A eq X'00FF'", "unknown literal prefix 'X' at position 6: expected DATETIME or guid"],
    [
      "contains(OrgName, 'x')",
      "unknown function 'contains' at position 1: supported are substringof, startswith, endswith",
    ],
    [
      "tolower(OrgName) eq 'x'",
      "unknown function 'tolower' at position 1: supported are substringof, startswith, endswith",
    ],
    [
      "substringof(OrgName, 'cab')",
      'substringof expects a string in quotes as its first argument (position 13)',
    ],
    [
      "startswith('pro', OrgName)",
      'startswith expects a string in quotes as its second argument (position 19)',
    ],
    ['endswith(OrgName, Other)', 'endswith expects a string in quotes as its second argument (position 19)'],
    ["endswith('a', 'b')", 'endswith expects a field name as its first argument (position 10)'],
    ["substringof('a' OrgName)", "expected ',' in substringof at position 17 but found 'OrgName'"],
    [
      "substringof('a', OrgName",
      "expected ')' closing substringof at position 25 but found end of expression",
    ],
    ["substringof('a', OrgName, 'b')", "expected ')' closing substringof at position 25 but found ','"],
    [
      "startswith(A, 'a') gt true",
      'a function result at position 1 can only be compared with eq or ne to true or false',
    ],
    [
      "startswith(A, 'a') eq 'yes'",
      'a function result at position 1 can only be compared with eq or ne to true or false',
    ],
    ['A eq B', "comparing two fields is not supported ('eq' at position 3)"],
    ["'x' eq 'y'", "a comparison needs a field on one side ('eq' at position 5)"],
    ['(A eq 1) eq true', "a condition cannot be compared ('eq' at position 10, condition at position 1)"],
    ['A eq (B eq 1)', "a condition cannot be compared ('eq' at position 3, condition at position 6)"],
    [
      `${'('.repeat(MAX_DEPTH + 1)}A eq 1${')'.repeat(MAX_DEPTH + 1)}`,
      `the expression nests deeper than ${MAX_DEPTH} levels at position ${MAX_DEPTH + 1}`,
    ],
    [
      `${'not '.repeat(MAX_DEPTH + 1)}A eq 1`,
      `the expression nests deeper than ${MAX_DEPTH} levels at position ${MAX_DEPTH * 4 + 1}`,
    ],
  ];
  for (const [filter, message] of cases) {
    it(JSON.stringify(filter).slice(0, 80), () => {
      assert.equal(
        messageOf(() => parseFilter(filter)),
        `$filter: ${message}`,
      );
    });
  }

  it('is an invalid DomainError whose issue names $filter', () => {
    try {
      parseFilter('A eq 1)');
      assert.fail('no error');
    } catch (e) {
      assert.ok(isDomainError(e));
      assert.equal(e.kind, 'invalid');
      assert.deepEqual(e.issues, [
        { path: '$filter', message: "unexpected ')' at position 7: expected 'and', 'or' or the end" },
      ]);
    }
  });

  it('accepts nesting up to the limit', () => {
    const deep = `${'('.repeat(MAX_DEPTH)}A eq 1${')'.repeat(MAX_DEPTH)}`;
    assert.equal(show(parseFilter(deep)), '(eq A 1)');
  });
});

describe('$orderby', () => {
  const cases: [text: string, items: string][] = [
    ['Priority', 'Priority asc'],
    ['Priority desc', 'Priority desc'],
    ['Priority asc', 'Priority asc'],
    ['Priority DESC', 'Priority desc'],
    ['Severity desc, Priority, AgentName asc', 'Severity desc, Priority asc, AgentName asc'],
    ['  Severity  desc ,Priority  ', 'Severity desc, Priority asc'],
  ];
  for (const [text, items] of cases) {
    it(text, () => {
      const parsed = parseOrderBy(text);
      assert.equal(parsed.map((i) => `${i.field.name} ${i.direction}`).join(', '), items);
    });
  }

  it('records field positions', () => {
    assert.deepEqual(
      parseOrderBy('A desc, B').map((i) => i.field.position),
      [1, 9],
    );
  });

  const bad: [text: string, message: string][] = [
    ['', 'the expression is empty'],
    [',Priority', "expected a field name at position 1 but found ','"],
    ['Priority,', 'expected a field name at position 10 but found end of expression'],
    ['Priority,,Severity', "expected a field name at position 10 but found ','"],
    ['desc', "expected a field name at position 1 but found 'desc'"],
    ['Priority descending', "unexpected 'descending' at position 10: expected 'asc', 'desc', ',' or the end"],
    ['Priority desc asc', "unexpected 'asc' at position 15: expected 'asc', 'desc', ',' or the end"],
    ['Priority Severity', "unexpected 'Severity' at position 10: expected 'asc', 'desc', ',' or the end"],
    ["'Priority'", "expected a field name at position 1 but found 'Priority'"],
    [
      "Priority DATETIME'2019-06-17'",
      "unexpected DATETIME'2019-06-17' at position 10: expected 'asc', 'desc', ',' or the end",
    ],
    ['Priority;', "unexpected character ';' at position 9"],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(
        messageOf(() => parseOrderBy(text)),
        `$orderby: ${message}`,
      );
    });
  }
});
