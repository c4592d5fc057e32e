import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDomainError } from '../../../../src/core/errors.ts';
import { fields, messageOf, where, type FieldMap } from './support.ts';

// Literals the lexer reads but the field cannot hold: an integer field (an id, a count, a code; a bigint
// or integer column) takes whole numbers within the safe-integer range only, a date field instants of
// years 1 to 9999 in UTC, a string field text without NUL. Each is refused naming the field, before any
// SQL runs; integral values written otherwise (1e3, 7.0, '42', 5M) are accepted as the number they are.

const map: FieldMap = {
  ...fields,
  AgentId: { column: 'ag.id', type: 'integer' },
  Online: { column: 'ag.online_code', type: 'integer' },
};

/** [filter, the SQL it compiles to, its parameters] */
type Accepted = [filter: string, sql: string, parameters: unknown[]];
/** [filter, a pattern of the message] */
type Refused = [filter: string, message: RegExp];

function accepted(title: string, cases: Accepted[]) {
  describe(title, () => {
    for (const [filter, text, parameters] of cases) {
      it(filter, () => assert.deepEqual(where(filter, map), { sql: text, parameters }));
    }
  });
}

function refused(title: string, cases: Refused[]) {
  describe(title, () => {
    for (const [filter, message] of cases) {
      it(filter, () => {
        assert.match(
          messageOf(() => where(filter, map)),
          message,
        );
        assert.throws(
          () => where(filter, map),
          (e) => isDomainError(e) && e.kind === 'invalid' && e.issues[0]?.path === '$filter',
        );
      });
    }
  });
}

const MAX = Number.MAX_SAFE_INTEGER;

accepted('integer fields: whole numbers, however written', [
  ['AgentId eq 42', '"ag"."id" = $1', [42]],
  ['AgentId eq -42', '"ag"."id" = $1', [-42]],
  ['AgentId eq 0', '"ag"."id" = $1', [0]],
  ['AgentId eq -0', '"ag"."id" = $1', [0]],
  ['AgentId gt 1e3', '"ag"."id" > $1', [1000]],
  ['AgentId gt 2.5E1', '"ag"."id" > $1', [25]],
  ['AgentId gt 12000e-3', '"ag"."id" > $1', [12]],
  ['AgentId eq 7.0', '"ag"."id" = $1', [7]],
  ['AgentId eq 7.000M', '"ag"."id" = $1', [7]],
  ['AgentId eq 5M', '"ag"."id" = $1', [5]],
  ['AgentId eq 5L', '"ag"."id" = $1', [5]],
  ['AgentId eq 007', '"ag"."id" = $1', [7]],
  ["AgentId eq '42'", '"ag"."id" = $1', [42]],
  ["AgentId eq '42.00'", '"ag"."id" = $1', [42]],
  [`AgentId le ${MAX}`, '"ag"."id" <= $1', [MAX]],
  [`AgentId ge -${MAX}`, '"ag"."id" >= $1', [-MAX]],
  [`AgentId le ${MAX}M`, '"ag"."id" <= $1', [MAX]],
  ['AgentId lt 9.007199254740991e15', '"ag"."id" < $1', [MAX]],
  ['Online eq 1', '"ag"."online_code" = $1', [1]],
  ['AgentId eq null', '"ag"."id" is null', []],
]);

refused('integer fields: a fraction', [
  ['AgentId eq 1.5', /field 'AgentId' is an integer: 1\.5 at position 12 is not a whole number/],
  ['AgentId eq -1.5', /'AgentId' is an integer: -1\.5 .* not a whole number/],
  ['AgentId eq 2.25M', /'AgentId' is an integer: 2\.25M .* not a whole number/],
  ['AgentId eq 1e-1', /'AgentId' .* not a whole number/],
  ['AgentId eq 1.0000000000000001', /'AgentId' .* not a whole number/],
  ['AgentId eq 1.0000000000000001M', /'AgentId' .* not a whole number/],
  ["AgentId eq '1.5'", /'AgentId' is an integer: '1\.5' .* not a whole number/],
  ['Online eq 0.5', /field 'Online' is an integer: 0\.5 .* not a whole number/],
  ['0.5 lt Online', /field 'Online' .* not a whole number/],
]);

refused('integer fields: beyond the safe integers', [
  [
    'AgentId eq 99999999999999999999M',
    /field 'AgentId' is an integer: 99999999999999999999M .* out of range/,
  ],
  ['AgentId gt -99999999999999999999M', /'AgentId' .* out of range/],
  [`AgentId eq ${MAX + 1}M`, /'AgentId' .* out of range \(from -9007199254740991 to 9007199254740991\)/],
  ['AgentId eq 9007199254740993M', /'AgentId' .* out of range/],
  ['AgentId eq 1e16M', /'AgentId' .* out of range/],
  ['AgentId lt 1e300M', /'AgentId' .* out of range/],
  ["AgentId eq '99999999999999999999'", /'AgentId' .* out of range/],
  ['Online ne 12345678901234567890M', /field 'Online' .* out of range/],
]);

refused('integer fields: not a number', [
  ["AgentId eq 'x'", /field 'AgentId' is an integer: 'x' at position 12 is not a number/],
  ["AgentId eq '1e3'", /'AgentId' .* not a number/],
  ['AgentId eq true', /'AgentId' .* not a number/],
]);

accepted('date fields: instants of years 1 to 9999 in UTC', [
  [
    "LastCheckInTime gt DATETIME'0001-01-01T00:00:00Z'",
    '"ag"."last_check_in" > $1',
    ['0001-01-01T00:00:00.000Z'],
  ],
  [
    "LastCheckInTime gt DATETIME'0001-01-01T00:00:00-01:00'",
    '"ag"."last_check_in" > $1',
    ['0001-01-01T01:00:00.000Z'],
  ],
  [
    "LastCheckInTime lt DATETIME'9999-12-31T23:59:59.999Z'",
    '"ag"."last_check_in" < $1',
    ['9999-12-31T23:59:59.999Z'],
  ],
  [
    "LastCheckInTime lt DATETIME'9999-12-31T23:00:00+01:00'",
    '"ag"."last_check_in" < $1',
    ['9999-12-31T22:00:00.000Z'],
  ],
]);

refused('date fields: beyond the store’s calendar once placed in UTC', [
  [
    "LastCheckInTime gt DATETIME'0001-01-01T00:00:00+14:00'",
    /field 'LastCheckInTime' is a date and time: DATETIME'0001-01-01T00:00:00\+14:00' at position 20 is out of range/,
  ],
  ["LastCheckInTime gt DATETIME'0001-01-01T00:00:00+00:01'", /'LastCheckInTime' .* out of range/],
  ["LastCheckInTime ne DATETIME'0001-01-01T12:00:00+23:59'", /'LastCheckInTime' .* out of range/],
  ["LastCheckInTime lt DATETIME'9999-12-31T23:59:59-14:00'", /'LastCheckInTime' .* out of range/],
  ["LastCheckInTime eq DATETIME'9999-12-31T23:30:00-00:30'", /'LastCheckInTime' .* out of range/],
]);

describe('date fields: a zone that moves a date out of range', () => {
  it("DATETIME'0001-01-01' read in UTC+14 is out of range; in UTC it is not", () => {
    const filter = "LastCheckInTime ge DATETIME'0001-01-01'";
    assert.match(
      messageOf(() => where(filter, map, { zone: 'UTC+14' })),
      /'LastCheckInTime' .* out of range/,
    );
    assert.deepEqual(where(filter, map).parameters, ['0001-01-01T00:00:00.000Z']);
  });
});

refused('string fields: text with NUL', [
  ["AgentName eq 'a\u0000b'", /field 'AgentName': the string at position 14 contains a NUL character/],
  ["AgentName ne '\u0000'", /'AgentName'.* NUL/],
  ["substringof('\u0000', AgentName)", /'AgentName'.* NUL/],
  ["startswith(OrgName, 'x\u0000')", /'OrgName'.* NUL/],
  ["endswith(OrgName, '\u0000x')", /'OrgName'.* NUL/],
]);

accepted('number fields keep any number (a numeric column reads a long decimal exactly)', [
  ['OrgRevenue gt 1.5', '"o"."revenue" > $1', [1.5]],
  ['OrgRevenue gt 99999999999999999999M', '"o"."revenue" > $1', ['99999999999999999999']],
]);
