import fc from 'fast-check';
import { COMPARE_OPS, MATCH_FUNCTIONS, MAX_DEPTH } from '../../src/faces/shared/odata/index.ts';
import type { FieldMap, FieldType } from '../../src/faces/shared/odata/index.ts';
import { encodeText, nastyText, type QueryPair } from './generators.ts';

// `$filter`, `$orderby`, `$top` and `$skip` from the grammar of src/faces/shared/odata (README.md,
// parser.ts): valid expressions over a list's real field names, then mutated ones (token soup, nesting
// past MAX_DEPTH, literals out of range, unknown fields and functions, wrong types).

const str = (t: string) => `'${t.replace(/'/g, "''")}'`;

/** a literal of a field type, written as the guide writes it */
function literal(type: FieldType): fc.Arbitrary<string> {
  switch (type) {
    case 'number':
      return fc.oneof(
        fc.integer({ min: -5, max: 300 }).map(String),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => String(d)),
        fc.integer({ min: 0, max: 1000 }).map((n) => `${n}M`),
        fc.integer({ min: 0, max: 1000 }).map((n) => `${n}L`),
        fc.integer({ min: 0, max: 1000 }).map((n) => str(String(n))), // quoted numbers are allowed
        fc.constant('null'),
      );
    case 'datetime':
      return fc.oneof(
        fc
          .date({ min: new Date('1900-01-01Z'), max: new Date('2200-01-01Z'), noInvalidDate: true })
          .chain((d) =>
            fc
              .constantFrom('', 'Z', '+02:00', '-11:30')
              .map((z) => `DATETIME'${d.toISOString().slice(0, 19)}${z}'`),
          ),
        fc.constant("DATETIME'2019-06-17'"),
        fc.constant('null'),
      );
    case 'boolean':
      return fc.constantFrom('true', 'false', 'null');
    case 'string':
    default:
      return fc.oneof(
        fc.string({ maxLength: 12 }).map(str),
        fc.string({ unit: 'grapheme', maxLength: 6 }).map(str),
        fc.constantFrom("''", "'%'", "'_'", "'\\'", "'O''Brien'", 'null'),
      );
  }
}

/** a valid `$filter` over `fields` */
export function validFilter(fields: FieldMap): fc.Arbitrary<string> {
  const entries = Object.entries(fields);
  if (!entries.length) return fc.constant('1 eq 1');
  const stringFields = entries.filter(([, f]) => f.type === 'string').map(([k]) => k);
  const boolFields = entries.filter(([, f]) => f.type === 'boolean').map(([k]) => k);
  const compare = fc.constantFrom(...entries).chain(([name, f]) =>
    fc
      .tuple(fc.constantFrom(...COMPARE_OPS), literal(f.type), fc.boolean(), fc.boolean())
      .map(([op, lit, mirrored, lower]) => {
        const field = lower ? name.toLowerCase() : name;
        return mirrored && lit !== 'null' ? `${lit} ${op} ${field}` : `${field} ${op} ${lit}`;
      }),
  );
  const match = stringFields.length
    ? fc
        .tuple(
          fc.constantFrom(...MATCH_FUNCTIONS),
          fc.constantFrom(...stringFields),
          literal('string'),
          fc.constantFrom('', ' eq true', ' eq false', ' ne true'),
        )
        .map(([fn, field, lit, cmp]) => {
          const needle = lit === 'null' ? "'x'" : lit;
          return (fn === 'substringof' ? `${fn}(${needle}, ${field})` : `${fn}(${field}, ${needle})`) + cmp;
        })
    : compare;
  const bool = boolFields.length ? fc.constantFrom(...boolFields) : compare;
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small' },
      compare,
      match,
      bool,
      fc
        .tuple(tie('expr'), fc.constantFrom('and', 'or', 'AND', 'Or'), tie('expr'))
        .map(([a, op, b]) => `${a} ${op} ${b}`),
      tie('expr').map((e) => `not ${e}`),
      tie('expr').map((e) => `(${e})`),
    ),
  }));
  return expr;
}

/** a valid `$orderby` over `fields` */
export function validOrderBy(fields: FieldMap): fc.Arbitrary<string> {
  const names = Object.keys(fields);
  if (!names.length) return fc.constant('x');
  return fc
    .array(fc.tuple(fc.constantFrom(...names), fc.constantFrom('', ' asc', ' desc', ' DESC')), {
      minLength: 1,
      maxLength: 3,
    })
    .map((items) => items.map(([n, d]) => n + d).join(', '));
}

const TOKENS = [
  '(',
  ')',
  ',',
  "'",
  "''",
  '"x"',
  ' and ',
  ' or ',
  'not ',
  ...COMPARE_OPS.map((o) => ` ${o} `),
  'substringof(',
  'startswith(',
  'endswith(',
  'tolower(',
  'true',
  'null',
  "DATETIME'",
  "datetime'2020-01-01'",
  "guid'",
  "guid'00000000-0000-0000-0000-000000000000'",
  '-',
  '1e999',
  '99999999999999999999',
  '99999999999999999999M',
  '1.5L',
  '0x10',
  '$',
  '@',
  '%',
  '\\',
  '/',
  'asc',
  'desc',
];

/** a mutated `$filter`/`$orderby`: valid pieces run together, nesting past the limit, bad literals */
export function brokenExpression(fields: FieldMap): fc.Arbitrary<string> {
  const names = Object.keys(fields);
  const word = fc.oneof(fc.constantFrom(...TOKENS, ...(names.length ? names : ['X'])), nastyText);
  return fc.oneof(
    fc.array(word, { minLength: 1, maxLength: 12 }).map((ts) => ts.join(' ')),
    fc.array(word, { minLength: 1, maxLength: 12 }).map((ts) => ts.join('')),
    fc.constantFrom(MAX_DEPTH + 1, 1_000, 30_000).chain((n) =>
      fc.constantFrom('(', 'not ').map((open) => {
        const inner = `${names[0] ?? 'X'} eq 1`;
        return open === '(' ? '('.repeat(n) + inner + ')'.repeat(n) : open.repeat(n) + inner;
      }),
    ),
    fc.constantFrom(
      ...names.flatMap((n) => [
        `${n} eq 99999999999999999999`,
        `${n} eq 99999999999999999999999999M`,
        `${n} eq -1e308`,
        `${n} gt DATETIME'0000-01-01T00:00:00'`,
        `${n} gt DATETIME'2019-02-30T00:00:00'`,
        `${n} gt DATETIME'9999-12-31T23:59:59+23:59'`,
        `${n} gt DATETIME'0001-01-01T00:00:00-23:59'`,
        `${n} eq guid'00000000-0000-0000-0000-000000000000'`,
        `${n} eq true`,
        `${n} eq 'abc'`,
        `substringof('a', ${n})`,
        `${n} eq ${n}`,
        `${n}`,
        `startswith(${n}, '${'%'.repeat(500)}')`,
        `${n} eq '${'x'.repeat(10_000)}'`,
      ]),
      'Nope eq 1',
      '',
      ' ',
      '1 eq 1',
      "substringof('a')",
      'eq',
    ),
  );
}

/** `$filter`, `$orderby`, `$top`, `$skip` pairs over a list's fields: valid, mutated or absent */
export function odataPairs(fields: FieldMap): fc.Arbitrary<QueryPair[]> {
  const opt = (key: string, valid: fc.Arbitrary<string>, broken: fc.Arbitrary<string>) =>
    fc.oneof(
      { arbitrary: fc.constant<QueryPair[]>([]), weight: 3 },
      { arbitrary: valid.map((v): QueryPair[] => [[key, encodeText(v)]]), weight: 3 },
      { arbitrary: broken.map((v): QueryPair[] => [[key, encodeText(v)]]), weight: 2 },
      {
        arbitrary: valid.map((v): QueryPair[] => [
          [key, encodeText(v)],
          [key, encodeText(v)],
        ]),
        weight: 1,
      },
    );
  const paging = fc.oneof(
    fc.integer({ min: 0, max: 200 }).map(String),
    fc.constantFrom('-1', '1.5', '1e3', '0x10', '99999999999999999999', '9007199254740992', '', 'abc', ' 1'),
  );
  return fc
    .tuple(
      opt('$filter', validFilter(fields), brokenExpression(fields)),
      opt('$orderby', validOrderBy(fields), brokenExpression(fields)),
      opt('$top', fc.integer({ min: 0, max: 150 }).map(String), paging),
      opt('$skip', fc.integer({ min: 0, max: 50 }).map(String), paging),
      fc.option(
        fc.constantFrom<QueryPair>(
          ['%24filter', 'OrgId%20eq%201'],
          ['$expand', 'x'],
          ['$select', 'OrgId'],
          ['$inlinecount', 'allpages'],
        ),
      ),
    )
    .map(([f, o, t, s, extra]) => [...f, ...o, ...t, ...s, ...(extra ? [extra] : [])]);
}
