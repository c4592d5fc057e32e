import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { isDomainError } from '../../../../src/core/errors.ts';
import { parseOrderBy } from '../../../../src/faces/shared/odata/index.ts';
import { escapeLike } from '../../../../src/store/query.ts';
import { applyOrderBy, db, fields, messageOf, where, type FieldMap } from './support.ts';

type Case = [filter: string, sql: string, parameters: unknown[]];

function table(title: string, cases: Case[], map?: FieldMap, options?: Parameters<typeof where>[2]) {
  describe(title, () => {
    for (const [filter, text, parameters] of cases) {
      it(filter, () => assert.deepEqual(where(filter, map, options), { sql: text, parameters }));
    }
  });
}

table('string fields (case-insensitive by default, as on VSA)', [
  ["AgentName eq 'Web-01'", 'lower("ag"."name") = $1', ['web-01']],
  ["AgentName ne 'Web-01'", 'lower("ag"."name") is distinct from $1', ['web-01']],
  ["AgentName gt 'm'", 'lower("ag"."name") > $1', ['m']],
  ["AgentName ge 'M'", 'lower("ag"."name") >= $1', ['m']],
  ["AgentName lt 'm'", 'lower("ag"."name") < $1', ['m']],
  ["AgentName le 'm'", 'lower("ag"."name") <= $1', ['m']],
  ["'Web-01' eq AgentName", 'lower("ag"."name") = $1', ['web-01']],
  ["AgentName eq 'O''Brien'", 'lower("ag"."name") = $1', ["o'brien"]],
  ["AgentName eq ''", 'lower("ag"."name") = $1', ['']],
  // an injection attempt stays one bound value
  ["AgentName eq 'x'' or 1=1 --'", 'lower("ag"."name") = $1', ["x' or 1=1 --"]],
  ['AgentName eq null', '"ag"."name" is null', []],
  ['AgentName ne null', '"ag"."name" is not null', []],
  ['null eq AgentName', '"ag"."name" is null', []],
]);

table(
  'string fields with caseInsensitive: false',
  [
    ["AgentName eq 'Web-01'", '"ag"."name" = $1', ['Web-01']],
    ["AgentName ne 'Web-01'", '"ag"."name" is distinct from $1', ['Web-01']],
    ["substringof('Cab', OrgName)", '"o"."name" like $1', ['%Cab%']],
    ["startswith(OrgName, 'Pro')", '"o"."name" like $1', ['Pro%']],
    ["endswith(OrgName, 'Ing')", '"o"."name" like $1', ['%Ing']],
  ],
  fields,
  { caseInsensitive: false },
);

table('string functions escape the wildcards of the user’s text', [
  ["substringof('50%', OrgName)", '"o"."name" ilike $1', ['%50\\%%']],
  ["startswith(OrgName, 'a_b')", '"o"."name" ilike $1', ['a\\_b%']],
  ["endswith(OrgName, 'C:\\temp')", '"o"."name" ilike $1', ['%C:\\\\temp']],
  ["substringof('%_\\', OrgName)", '"o"."name" ilike $1', ['%\\%\\_\\\\%']],
  ["substringof('it''s', OrgName)", '"o"."name" ilike $1', ["%it's%"]],
  ["substringof('', OrgName)", '"o"."name" ilike $1', ['%%']],
  ["substringof('cab', OrgName) eq false", 'not "o"."name" ilike $1', ['%cab%']],
]);

table('number fields', [
  ['Priority eq 3', '"t"."priority" = $1', [3]],
  ['Priority ne 3', '"t"."priority" is distinct from $1', [3]],
  ['Priority gt -3', '"t"."priority" > $1', [-3]],
  ['Priority ge 2.5', '"t"."priority" >= $1', [2.5]],
  ['Priority lt 12.5M', '"t"."priority" < $1', [12.5]],
  ['Priority le 1e3', '"t"."priority" <= $1', [1000]],
  ['3 lt Priority', '"t"."priority" > $1', [3]],
  ['Priority eq null', '"t"."priority" is null', []],
  // the guide quotes numbers: orgRevenue gt '1000000'
  ["OrgRevenue gt '1000000'", '"o"."revenue" > $1', [1000000]],
  ["OrgRevenue gt '-12.75'", '"o"."revenue" > $1', [-12.75]],
  // 15 significant digits bind as a number; more bind as exact text for a numeric column
  ['AgentId eq 999999999999999M', '"ag"."kaseya_id" = $1', [999999999999999]],
  ['AgentId eq 9999999999999999M', '"ag"."kaseya_id" = $1', ['9999999999999999']],
  ['AgentId eq 72135976418143160000000000M', '"ag"."kaseya_id" = $1', ['72135976418143160000000000']],
  ['AgentId eq 0.000000000000000001M', '"ag"."kaseya_id" = $1', [1e-18]],
  ["AgentId eq '72135976418143160000000001'", '"ag"."kaseya_id" = $1', ['72135976418143160000000001']],
]);

table('boolean fields', [
  ['Online eq true', '"ag"."online" = $1', [true]],
  ['Online eq false', '"ag"."online" = $1', [false]],
  ['Online ne true', '"ag"."online" is distinct from $1', [true]],
  ['Online', '"ag"."online" = $1', [true]],
  ['not Online', 'not "ag"."online" = $1', [true]],
  ['Online eq null', '"ag"."online" is null', []],
]);

table('date and time fields', [
  [
    "LastCheckInTime eq DATETIME'2019-06-17T07:14:20'",
    '"ag"."last_check_in" = $1',
    ['2019-06-17T07:14:20.000Z'],
  ],
  [
    "LastCheckInTime ne DATETIME'2019-06-17T07:14:20Z'",
    '"ag"."last_check_in" is distinct from $1',
    ['2019-06-17T07:14:20.000Z'],
  ],
  [
    "LastCheckInTime gt DATETIME'2019-06-17T07:14:20+02:00'",
    '"ag"."last_check_in" > $1',
    ['2019-06-17T05:14:20.000Z'],
  ],
  [
    "LastCheckInTime ge DATETIME'2019-06-17T23:30:00-05:30'",
    '"ag"."last_check_in" >= $1',
    ['2019-06-18T05:00:00.000Z'],
  ],
  ["LastCheckInTime lt DATETIME'2019-06-17'", '"ag"."last_check_in" < $1', ['2019-06-17T00:00:00.000Z']],
  [
    "LastCheckInTime le DATETIME'2019-06-17T07:14:20.25'",
    '"ag"."last_check_in" <= $1',
    ['2019-06-17T07:14:20.250Z'],
  ],
  ['LastCheckInTime eq null', '"ag"."last_check_in" is null', []],
]);

table(
  'DATETIME without an offset is read in the configured zone',
  [
    [
      "LastCheckInTime gt DATETIME'2019-06-17T07:14:20'",
      '"ag"."last_check_in" > $1',
      ['2019-06-17T05:14:20.000Z'],
    ],
    [
      "LastCheckInTime gt DATETIME'2019-01-17T07:14:20'",
      '"ag"."last_check_in" > $1',
      ['2019-01-17T06:14:20.000Z'],
    ],
    // an explicit offset wins over the zone
    [
      "LastCheckInTime gt DATETIME'2019-06-17T07:14:20Z'",
      '"ag"."last_check_in" > $1',
      ['2019-06-17T07:14:20.000Z'],
    ],
  ],
  fields,
  { zone: 'Europe/Berlin' },
);

table(
  'a fixed-offset zone, as VSA reports a user’s OffSetInMinutes',
  [
    [
      "LastCheckInTime gt DATETIME'2019-06-17T07:14:20'",
      '"ag"."last_check_in" > $1',
      ['2019-06-17T10:14:20.000Z'],
    ],
  ],
  fields,
  { zone: 'UTC-3' },
);

table('guid fields', [
  [
    "MachineGuid eq guid'0F8FAD5B-D9CB-469F-A165-70867728950E'",
    '"ag"."guid" = $1',
    ['0f8fad5b-d9cb-469f-a165-70867728950e'],
  ],
  [
    "MachineGuid ne '0F8FAD5B-D9CB-469F-A165-70867728950E'",
    '"ag"."guid" is distinct from $1',
    ['0f8fad5b-d9cb-469f-a165-70867728950e'],
  ],
  ['MachineGuid eq null', '"ag"."guid" is null', []],
]);

table('logic: and/or chains flatten, nesting keeps its parentheses', [
  [
    "AgentName eq 'a' and Priority eq 1 and Online",
    '(lower("ag"."name") = $1 and "t"."priority" = $2 and "ag"."online" = $3)',
    ['a', 1, true],
  ],
  [
    "AgentName eq 'a' or Priority eq 1 or Online",
    '(lower("ag"."name") = $1 or "t"."priority" = $2 or "ag"."online" = $3)',
    ['a', 1, true],
  ],
  [
    "AgentName eq 'a' or Priority eq 1 and Online",
    '(lower("ag"."name") = $1 or ("t"."priority" = $2 and "ag"."online" = $3))',
    ['a', 1, true],
  ],
  [
    "(AgentName eq 'a' or Priority eq 1) and Online",
    '((lower("ag"."name") = $1 or "t"."priority" = $2) and "ag"."online" = $3)',
    ['a', 1, true],
  ],
  [
    "not (AgentName eq 'a' or Priority eq 1)",
    'not (lower("ag"."name") = $1 or "t"."priority" = $2)',
    ['a', 1],
  ],
  [
    "not startswith(OrgName, 'x') and (substringof('y', OrgName) or endswith(OrgName, 'z'))",
    '(not "o"."name" ilike $1 and ("o"."name" ilike $2 or "o"."name" ilike $3))',
    ['x%', '%y%', '%z'],
  ],
]);

table('field names ignore case', [
  ["agentname eq 'x'", 'lower("ag"."name") = $1', ['x']],
  ["AGENTNAME eq 'x'", 'lower("ag"."name") = $1', ['x']],
  ["substringof('x', orgname)", '"o"."name" ilike $1', ['%x%']],
]);

describe('field whitelist', () => {
  const clash: FieldMap = {
    Name: { column: 'a.name', type: 'string' },
    name: { column: 'a.login', type: 'string' },
  };

  it('prefers the exact spelling when two names differ only in case', () => {
    assert.equal(where("Name eq 'x'", clash).sql, 'lower("a"."name") = $1');
    assert.equal(where("name eq 'x'", clash).sql, 'lower("a"."login") = $1');
  });

  it('compiles a field defined as an SQL expression', () => {
    const map: FieldMap = {
      DisplayName: { column: sql`coalesce("o"."display_name", "o"."name")`, type: 'string' },
    };
    assert.deepEqual(where("startswith(DisplayName, 'A')", map), {
      sql: 'coalesce("o"."display_name", "o"."name") ilike $1',
      parameters: ['A%'],
    });
  });

  const small: FieldMap = { Name: clash.Name!, Online: fields.Online!, Priority: fields.Priority! };
  const bad: [filter: string, map: FieldMap, message: string][] = [
    [
      "Hostname eq 'x'",
      fields,
      "unknown field 'Hostname' at position 1: expected one of OrgName, OrgType, OrgRevenue, AssetName, AgentId, AgentName, LastCheckInTime, Online, MachineGuid, Priority, Severity, Notes",
    ],
    [
      "constructor eq 'x'",
      small,
      "unknown field 'constructor' at position 1: expected one of Name, Online, Priority",
    ],
    ["NAME eq 'x'", clash, "field 'NAME' at position 1 is ambiguous: Name, name"],
    [
      "Online and substringof('x', Nope)",
      small,
      "unknown field 'Nope' at position 29: expected one of Name, Online, Priority",
    ],
    ["Secret eq 'x'", fields, "field 'Secret' at position 1 cannot be used in $filter"],
    [
      'Priority eq 1 or not Bogus',
      small,
      "unknown field 'Bogus' at position 22: expected one of Name, Online, Priority",
    ],
    ["Name eq 'x'", {}, "unknown field 'Name' at position 1: expected one of (none)"],
  ];
  for (const [filter, map, message] of bad) {
    it(`refuses ${filter}`, () => {
      assert.equal(
        messageOf(() => where(filter, map)),
        `$filter: ${message}`,
      );
    });
  }
});

describe('values of the wrong type', () => {
  const bad: [filter: string, message: string][] = [
    [
      'AgentName eq 5',
      "field 'AgentName' is a string: 5 at position 14 is not a string: write it in single quotes",
    ],
    [
      'AgentName eq true',
      "field 'AgentName' is a string: true at position 14 is not a string: write it in single quotes",
    ],
    [
      "AgentName eq DATETIME'2019-06-17'",
      "field 'AgentName' is a string: DATETIME'2019-06-17' at position 14 is not a string: write it in single quotes",
    ],
    ["Priority eq 'high'", "field 'Priority' is a number: 'high' at position 13 is not a number"],
    ["Priority eq '1,000'", "field 'Priority' is a number: '1,000' at position 13 is not a number"],
    ["Priority eq 'it''s'", "field 'Priority' is a number: 'it''s' at position 13 is not a number"],
    ['Priority eq false', "field 'Priority' is a number: false at position 13 is not a number"],
    [
      "AgentId eq guid'0f8fad5b-d9cb-469f-a165-70867728950e'",
      "field 'AgentId' is a number: guid'0f8fad5b-d9cb-469f-a165-70867728950e' at position 12 is not a number",
    ],
    ["Online eq 'true'", "field 'Online' is a boolean: 'true' at position 11 is not true or false"],
    ['Online eq 1', "field 'Online' is a boolean: 1 at position 11 is not true or false"],
    ['Online gt false', "field 'Online' is a boolean: only eq and ne apply ('gt' at position 11)"],
    [
      "LastCheckInTime gt '2019-06-17T07:14:20'",
      "field 'LastCheckInTime' is a date and time: '2019-06-17T07:14:20' at position 20 is not a date and time: write DATETIME'yyyy-MM-ddTHH:mm:ss'",
    ],
    [
      'LastCheckInTime gt 20190617',
      "field 'LastCheckInTime' is a date and time: 20190617 at position 20 is not a date and time: write DATETIME'yyyy-MM-ddTHH:mm:ss'",
    ],
    [
      "MachineGuid eq 'not-a-guid'",
      "field 'MachineGuid' is a guid: 'not-a-guid' at position 16 is not a guid: write guid'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'",
    ],
    [
      "MachineGuid lt guid'0f8fad5b-d9cb-469f-a165-70867728950e'",
      "field 'MachineGuid' is a guid: only eq and ne apply ('lt' at position 16)",
    ],
    ['Priority gt null', "null can only be compared with eq or ne ('gt' at position 10)"],
    [
      "substringof('1', Priority)",
      "substringof needs a string field, but 'Priority' at position 18 is a number",
    ],
    [
      "startswith(LastCheckInTime, '2019')",
      "startswith needs a string field, but 'LastCheckInTime' at position 12 is a date and time",
    ],
    [
      'AgentName',
      "field 'AgentName' at position 1 is a string, not a condition: compare it with eq, ne, gt, ge, lt or le",
    ],
    [
      'Online and Priority',
      "field 'Priority' at position 12 is a number, not a condition: compare it with eq, ne, gt, ge, lt or le",
    ],
  ];
  for (const [filter, message] of bad) {
    it(`refuses ${filter}`, () => {
      assert.equal(
        messageOf(() => where(filter)),
        `$filter: ${message}`,
      );
    });
  }

  it('raises an invalid DomainError with the $filter issue', () => {
    try {
      where('Priority eq true');
      assert.fail('no error');
    } catch (e) {
      assert.ok(isDomainError(e));
      assert.equal(e.kind, 'invalid');
      assert.deepEqual(e.issues, [
        { path: '$filter', message: "field 'Priority' is a number: true at position 13 is not a number" },
      ]);
    }
  });
});

describe('applyOrderBy', () => {
  const orderSql = (text: string, map: FieldMap = fields) =>
    applyOrderBy(db.selectFrom('t').selectAll(), parseOrderBy(text), map).compile().sql;

  const cases: [text: string, sql: string][] = [
    ['Priority', 'order by "t"."priority" asc'],
    ['Priority desc', 'order by "t"."priority" desc'],
    [
      'severity desc, priority, AgentName asc',
      'order by "t"."severity" desc, "t"."priority" asc, "ag"."name" asc',
    ],
    ['LastCheckInTime desc', 'order by "ag"."last_check_in" desc'],
    ['Secret', 'order by "t"."secret" asc'],
  ];
  for (const [text, expected] of cases) {
    it(text, () => assert.equal(orderSql(text), `select * from "t" ${expected}`));
  }

  it('orders by an SQL expression field', () => {
    const map: FieldMap = {
      DisplayName: { column: sql`coalesce("o"."display_name", "o"."name")`, type: 'string' },
    };
    assert.equal(
      orderSql('DisplayName desc', map),
      'select * from "t" order by coalesce("o"."display_name", "o"."name") desc',
    );
  });

  it('refuses an unknown field, naming the sortable ones', () => {
    assert.equal(
      messageOf(() =>
        orderSql('Priority, Colour desc', { Priority: fields.Priority!, Notes: fields.Notes! }),
      ),
      "$orderby: unknown field 'Colour' at position 11: expected one of Priority",
    );
  });

  it('refuses a field that cannot be sorted', () => {
    assert.equal(
      messageOf(() => orderSql('Notes')),
      "$orderby: field 'Notes' at position 1 cannot be used in $orderby",
    );
  });
});

describe('escapeLike', () => {
  const cases: [text: string, escaped: string][] = [
    ['plain', 'plain'],
    ['100%', '100\\%'],
    ['a_b', 'a\\_b'],
    ['C:\\temp', 'C:\\\\temp'],
    ['\\%_', '\\\\\\%\\_'],
  ];
  for (const [text, escaped] of cases) it(text, () => assert.equal(escapeLike(text), escaped));
});
