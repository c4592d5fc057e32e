// Every query expression printed in the Kaseya VSA REST API guide ("Filter, Sort and Paging
// Expressions"), as a user would send it, and the SQL it must become.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQueryOptions } from '../../../../src/faces/shared/odata/index.ts';
import { applyQueryOptions, db, fields, where } from './support.ts';

const CHECKIN = '2019-06-17T07:14:20.000Z';

const filters: [filter: string, sql: string, parameters: unknown[]][] = [
  ["startswith(OrgName,'SapphireIT')", '"o"."name" ilike $1', ['SapphireIT%']],
  ["AssetName eq 'Win8'", 'lower("a"."name") = $1', ['win8']],
  ['AgentId eq 121747357971679M', '"ag"."kaseya_id" = $1', [121747357971679]],
  ["substringof('cab', OrgName)", '"o"."name" ilike $1', ['%cab%']],
  ["startswith(OrgName, 'pro')", '"o"."name" ilike $1', ['pro%']],
  ["endswith(OrgName, 'ing')", '"o"."name" ilike $1', ['%ing']],
  [
    "orgtype eq 'Sales' and orgRevenue gt '1000000'",
    '(lower("o"."type") = $1 and "o"."revenue" > $2)',
    ['sales', 1000000],
  ],
  ["orgName eq 'Sapphire Products'", 'lower("o"."name") = $1', ['sapphire products']],
  ['AgentId eq 123456789M', '"ag"."kaseya_id" = $1', [123456789]],
  ["orgRevenue gt '1000000'", '"o"."revenue" > $1', [1000000]],
  ["orgRevenue ge '1000000'", '"o"."revenue" >= $1', [1000000]],
  ["orgRevenue lt '1000000'", '"o"."revenue" < $1', [1000000]],
  ["orgRevenue le '1000000'", '"o"."revenue" <= $1', [1000000]],
  // as typeset in the guide, with spaces inside the date, and as a client would send it
  ["LastCheckInTime gt DATETIME'2019- 06- 17T07:14:20'", '"ag"."last_check_in" > $1', [CHECKIN]],
  ["LastCheckInTime ge DATETIME'2019- 06- 17T07:14:20'", '"ag"."last_check_in" >= $1', [CHECKIN]],
  ["LastCheckInTime lt DATETIME'2019- 06- 17T07:14:20'", '"ag"."last_check_in" < $1', [CHECKIN]],
  ["LastCheckInTime le DATETIME'2019- 06- 17T07:14:20'", '"ag"."last_check_in" <= $1', [CHECKIN]],
  ["LastCheckInTime gt DATETIME'2019-06-17T07:14:20'", '"ag"."last_check_in" > $1', [CHECKIN]],
  [
    "LastCheckInTime gt DATETIME'2016-03-15T15:50:11Z'",
    '"ag"."last_check_in" > $1',
    ['2016-03-15T15:50:11.000Z'],
  ],
];

describe('the guide’s $filter examples', () => {
  for (const [filter, sql, parameters] of filters) {
    it(filter, () => {
      assert.deepEqual(where(filter), { sql, parameters });
    });
  }

  it('refuses datetime in lower case, as the guide says DATETIME is case-sensitive', () => {
    assert.throws(() => where("LastCheckInTime gt datetime'2019-06-17T07:14:20'"), {
      message:
        "$filter: DATETIME is case-sensitive: write it in capital letters (found 'datetime' at position 20)",
    });
  });
});

describe('the guide’s $orderby and paging examples', () => {
  const cases: [query: Record<string, string>, sql: string, parameters: unknown[]][] = [
    [{ $orderby: 'Priority' }, 'order by "t"."priority" asc limit $1 offset $2', [100, 0]],
    [{ $orderby: 'Priority desc' }, 'order by "t"."priority" desc limit $1 offset $2', [100, 0]],
    [
      { $skip: '30', $top: '10', $orderby: 'Severity' },
      'order by "t"."severity" asc limit $1 offset $2',
      [10, 30],
    ],
    [{ $skip: '30', $top: '10' }, 'limit $1 offset $2', [10, 30]],
    [{ $skip: '5' }, 'limit $1 offset $2', [100, 5]],
    [{ $top: '10' }, 'limit $1 offset $2', [10, 0]],
    // "The maximum number of records that can be returned by a GET request is 100"
    [{}, 'limit $1 offset $2', [100, 0]],
    [{ $top: '250' }, 'limit $1 offset $2', [100, 0]],
  ];
  for (const [query, sql, parameters] of cases) {
    it(
      Object.entries(query)
        .map(([k, v]) => `${k}=${v}`)
        .join('&') || '(no options)',
      () => {
        const options = parseQueryOptions(query);
        const compiled = applyQueryOptions(db.selectFrom('t').selectAll(), options, fields).compile();
        assert.equal(compiled.sql, `select * from "t" ${sql}`);
        assert.deepEqual(compiled.parameters, parameters);
      },
    );
  }
});
