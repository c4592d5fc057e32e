import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_TOP,
  parsePaging,
  parseQueryOptions,
  parseSkip,
  parseTop,
} from '../../../../src/faces/shared/odata/index.ts';
import { applyFilter, applyQueryOptions, db, fields, messageOf, show } from './support.ts';

describe('$skip', () => {
  const cases: [text: string | undefined, skip: number][] = [
    [undefined, 0],
    ['0', 0],
    ['5', 5],
    ['30', 30],
    ['007', 7],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ];
  for (const [text, skip] of cases) it(String(text), () => assert.equal(parseSkip(text), skip));

  const bad: [text: string, message: string][] = [
    ['', "must be a non-negative whole number, got ''"],
    ['-1', "must be a non-negative whole number, got '-1'"],
    ['1.5', "must be a non-negative whole number, got '1.5'"],
    ['ten', "must be a non-negative whole number, got 'ten'"],
    [' 5', "must be a non-negative whole number, got ' 5'"],
    ['1e3', "must be a non-negative whole number, got '1e3'"],
    ['9007199254740992', "'9007199254740992' is too large (at most 9007199254740991)"],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () =>
      assert.equal(
        messageOf(() => parseSkip(text)),
        `$skip: ${message}`,
      ));
  }
});

describe('$top', () => {
  const cases: [text: string | undefined, top: number][] = [
    [undefined, 100],
    ['0', 0],
    ['10', 10],
    ['100', 100],
    // the guide caps a response at 100 records: a larger $top is clamped, not refused
    ['101', 100],
    ['5000', 100],
    ['9007199254740991', 100],
  ];
  for (const [text, top] of cases) it(String(text), () => assert.equal(parseTop(text), top));

  it('uses a face’s own ceiling', () => {
    assert.equal(parseTop('500', 250), 250);
    assert.equal(parseTop(undefined, 250), 250);
    assert.equal(parseTop('20', 250), 20);
  });

  it('defaults to the guide’s 100', () => assert.equal(MAX_TOP, 100));

  const bad: [text: string, message: string][] = [
    ['-10', "must be a non-negative whole number, got '-10'"],
    ['10.0', "must be a non-negative whole number, got '10.0'"],
    ['all', "must be a non-negative whole number, got 'all'"],
    ['99999999999999999999', "'99999999999999999999' is too large (at most 9007199254740991)"],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () =>
      assert.equal(
        messageOf(() => parseTop(text)),
        `$top: ${message}`,
      ));
  }

  it('parsePaging reads both', () => {
    assert.deepEqual(parsePaging('30', '10'), { skip: 30, top: 10 });
    assert.deepEqual(parsePaging(undefined, undefined), { skip: 0, top: 100 });
  });
});

describe('parseQueryOptions and applyQueryOptions', () => {
  it('reads all four options from a parsed query string', () => {
    const options = parseQueryOptions({
      $filter: "AgentName eq 'web' and Online",
      $orderby: 'AgentName desc, Priority',
      $skip: '20',
      $top: '10',
      unrelated: 'ignored',
    });
    assert.equal(show(options.filter!), '(and (eq AgentName "web") Online)');
    assert.deepEqual(
      options.orderby.map((o) => [o.field.name, o.direction]),
      [
        ['AgentName', 'desc'],
        ['Priority', 'asc'],
      ],
    );
    assert.equal(options.skip, 20);
    assert.equal(options.top, 10);
  });

  it('treats empty $filter and $orderby as absent', () => {
    const options = parseQueryOptions({ $filter: '', $orderby: ' ' });
    assert.equal(options.filter, undefined);
    assert.deepEqual(options.orderby, []);
    assert.deepEqual([options.skip, options.top], [0, 100]);
  });

  it('passes a face’s ceiling for $top', () => {
    assert.equal(parseQueryOptions({ $top: '400' }, 250).top, 250);
  });

  const bad: [query: Record<string, unknown>, message: string][] = [
    [{ $top: ['10', '20'] }, '$top: is given more than once'],
    [{ $filter: ["A eq 'x'", "B eq 'y'"] }, '$filter: is given more than once'],
    [{ $skip: 5 }, '$skip: must be text'],
    [{ $filter: 'A eq' }, '$filter: unexpected end of expression at position 5: expected a field or a value'],
    [{ $orderby: 'A up' }, "$orderby: unexpected 'up' at position 3: expected 'asc', 'desc', ',' or the end"],
  ];
  for (const [query, message] of bad) {
    it(`refuses ${JSON.stringify(query)}`, () =>
      assert.equal(
        messageOf(() => parseQueryOptions(query)),
        message,
      ));
  }

  it('builds one query: where, order by, limit, offset', () => {
    const options = parseQueryOptions({
      $filter: "substringof('web', AgentName) and LastCheckInTime ge DATETIME'2019-06-17T07:14:20Z'",
      $orderby: 'LastCheckInTime desc',
      $skip: '30',
      $top: '10',
    });
    const compiled = applyQueryOptions(db.selectFrom('t').selectAll(), options, fields).compile();
    assert.equal(
      compiled.sql,
      'select * from "t" where ("ag"."name" ilike $1 and "ag"."last_check_in" >= $2) order by "ag"."last_check_in" desc limit $3 offset $4',
    );
    assert.deepEqual(compiled.parameters, ['%web%', '2019-06-17T07:14:20.000Z', 10, 30]);
  });

  it('applyFilter builds the count for TotalRecords without order or paging', () => {
    const options = parseQueryOptions({ $filter: 'Priority ge 2', $orderby: 'Priority', $top: '5' });
    const count = applyFilter(
      db.selectFrom('t').select((eb) => eb.fn.countAll().as('n')),
      options.filter,
      fields,
    ).compile();
    assert.equal(count.sql, 'select count(*) as "n" from "t" where "t"."priority" >= $1');
    assert.deepEqual(count.parameters, [2]);
    const all = applyFilter(db.selectFrom('t').selectAll(), undefined, fields).compile();
    assert.equal(all.sql, 'select * from "t"');
  });

  it('passes compile options through', () => {
    const options = parseQueryOptions({ $filter: "AgentName eq 'Web'" });
    const compiled = applyQueryOptions(db.selectFrom('t').selectAll(), options, fields, {
      caseInsensitive: false,
    }).compile();
    assert.equal(compiled.sql, 'select * from "t" where "ag"."name" = $1 limit $2 offset $3');
    assert.deepEqual(compiled.parameters, ['Web', 100, 0]);
  });
});
