import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizeSeverity,
  severityAtLeast,
  severityFromCvss,
  validateCustomSeverities,
} from '../../src/core/severity.ts';
import {
  ancestorsOf,
  buildAccess,
  descendantsOf,
  ownsOrganization,
  seesGroup,
  seesOrganization,
} from '../../src/core/access.ts';

test('severity scale, vendor words and CVSS bands', () => {
  assert.ok(severityAtLeast('critical', 'high'));
  assert.ok(!severityAtLeast('medium', 'high'));
  assert.ok(!severityAtLeast('unknown', 'none'), 'unknown meets no threshold');
  assert.deepEqual(['Important', 'Moderate', 'CRITICAL', 'unimportant', 'bogus', ''].map(normalizeSeverity), [
    'high',
    'medium',
    'critical',
    'low',
    'unknown',
    'unknown',
  ]);
  assert.deepEqual([0, 3.9, 4, 6.9, 7, 8.9, 9, 10, 11].map(severityFromCvss), [
    'none',
    'low',
    'medium',
    'medium',
    'high',
    'high',
    'critical',
    'critical',
    'unknown',
  ]);
});

test('custom severities are validated and ordered', () => {
  const list = validateCustomSeverities([
    { order: 2, name: 'Patch now', level: 'critical' },
    { order: 1, name: ' Soon ', level: 'medium' },
  ]);
  assert.deepEqual(
    list.map((c) => c.name),
    ['Soon', 'Patch now'],
  );
  assert.throws(
    () =>
      validateCustomSeverities([
        { order: 1, name: 'a|b', level: 'low' },
        { order: 1, name: 'A|B', level: 'extreme' as 'low' },
      ]),
    (e: { issues: { path: string }[] }) =>
      e.issues.map((i) => i.path).join() === '/0/name,/1/order,/1/name,/1/name,/1/level',
  );
});

test('access: whole organizations and group subtrees', () => {
  const tree = [
    { id: 1, parentId: null },
    { id: 2, parentId: 1 },
    { id: 3, parentId: 2 },
    { id: 4, parentId: 1 },
  ];
  assert.deepEqual(descendantsOf(tree, 2).sort(), [2, 3]);
  assert.deepEqual(ancestorsOf(tree, 3), [2, 1]);
  const a = buildAccess(
    false,
    [
      { organizationId: 10, groupId: null },
      { organizationId: 20, groupId: 2 },
    ],
    () => tree,
  );
  assert.ok(ownsOrganization(a, 10) && seesOrganization(a, 20) && !ownsOrganization(a, 20));
  assert.ok(seesGroup(a, 20, 3) && !seesGroup(a, 20, 4) && !seesGroup(a, 20, 1));
  assert.ok(!seesOrganization(a, 30));
  assert.ok(
    seesGroup(
      buildAccess(true, [], () => []),
      99,
      99,
    ),
  );
});
