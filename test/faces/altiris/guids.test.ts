// Issue 15, GUIDs: every entity's GUID is stable (a function of its kind and id), parsed back
// case-insensitively with or without braces; lists are comma-separated; text that is no GUID is a client
// error naming the parameter, a GUID that names nothing is not found.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDomainError } from '../../../src/core/errors.ts';
import {
  GUID_KINDS,
  guidListOf,
  guidOf,
  normalizeGuid,
  parseGuid,
  renderGuid,
  renderGuids,
  WELL_KNOWN,
  type GuidKind,
} from '../../../src/faces/altiris/guids.ts';

const kindOf = (e: unknown) => (isDomainError(e) ? e.kind : String(e));

test('every kind round-trips, for small and for the largest ids', () => {
  for (const kind of Object.keys(GUID_KINDS) as GuidKind[])
    for (const id of [1, 42, 0xfff, 0x1000, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
      const g = renderGuid(kind, id);
      assert.match(g, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepEqual(parseGuid(g, 'x'), { kind, id });
      assert.equal(guidOf(kind, g, 'x'), id);
    }
});

test('the rendering is stable: the same entity always has the same GUID', () => {
  assert.equal(renderGuid('bulletin', 1), 'b0113710-0000-4000-8000-000000000001');
  assert.equal(renderGuid('policy', 255), 'b011c1e5-0000-4000-8000-0000000000ff');
  assert.equal(renderGuid('update', 0x123456789abc), 'c0de0bda-0000-4000-8000-123456789abc');
  assert.equal(renderGuid('update', 0x123456789abcd), 'c0de0bda-0000-4000-8001-23456789abcd');
});

test('parsing ignores case and optional braces, and surrounding spaces', () => {
  const g = renderGuid('task', 77);
  for (const t of [g, g.toUpperCase(), `{${g}}`, `{${g.toUpperCase()}}`, `  ${g} `])
    assert.deepEqual(parseGuid(t, 'guidTask'), { kind: 'task', id: 77 });
  assert.equal(normalizeGuid(`{${g}`), undefined, 'one brace alone is no GUID');
});

test('lists are comma-separated, blanks and repeats skipped', () => {
  const a = renderGuid('update', 3);
  const b = renderGuid('update', 9);
  assert.deepEqual(guidListOf('update', `${a},${b.toUpperCase()}, {${a}} ,,`, 'updateGuids'), [3, 9]);
  assert.equal(renderGuids('update', [3, 9]), `${a},${b}`);
  assert.deepEqual(guidListOf('update', '', 'updateGuids'), []);
});

test('text that is no GUID is invalid and names the parameter', () => {
  for (const t of ['x', '1234', 'b0113710-0000-4000-8000-00000000000g', 'b0113710000040008000000000000001']) {
    assert.throws(
      () => parseGuid(t, 'bulletinGuids'),
      (e) => kindOf(e) === 'invalid' && /bulletinGuids/.test((e as Error).message),
    );
  }
});

test('a GUID naming nothing, or another kind, is not found', () => {
  assert.throws(
    () => parseGuid('0a3f1b2c-1111-4222-8333-444455556666', 'g'),
    (e) => kindOf(e) === 'not_found',
  );
  assert.throws(
    () => parseGuid(renderGuid('bulletin', 0), 'g'),
    (e) => kindOf(e) === 'not_found',
  );
  assert.throws(
    () => guidOf('policy', renderGuid('bulletin', 5), 'g'),
    (e) => kindOf(e) === 'not_found',
  );
  // the kind prefix with a changed middle is no Patchline GUID
  assert.throws(
    () => parseGuid('b0113710-0000-4001-8000-000000000001', 'g'),
    (e) => kindOf(e) === 'not_found',
  );
});

test("the seed's well-known GUIDs are recognized in any case", () => {
  assert.deepEqual(parseGuid('{99B6A96A-F0A2-40FA-88BB-9DDFA97B4DDF}', 'guidTask'), {
    kind: 'wellKnown',
    name: 'distributeTask',
  });
  assert.deepEqual(parseGuid(WELL_KNOWN.stagingTask.toUpperCase(), 'guidTask'), {
    kind: 'wellKnown',
    name: 'stagingTask',
  });
});
