import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_ACCESS,
  buildAccess,
  coversReach,
  joinReach,
  reachOfGroups,
  WHOLE_ORGANIZATION,
} from '../../src/core/access.ts';

// Organization 1: root 10 with Servers 11 (Web 12 below it) and Desktops 13.
const tree = [
  { id: 10, parentId: null },
  { id: 11, parentId: 10 },
  { id: 12, parentId: 11 },
  { id: 13, parentId: 10 },
];
const groupScoped = buildAccess(false, [{ organizationId: 1, groupId: 11 }], () => tree);
const orgScoped = buildAccess(false, [{ organizationId: 1, groupId: null }], () => tree);

test('a group-scoped actor is covered only for what reaches inside its groups', () => {
  assert.ok(coversReach(groupScoped, 1, reachOfGroups([11, 12])));
  assert.ok(coversReach(groupScoped, 1, reachOfGroups([12])), 'a group below the granted one');
  assert.ok(!coversReach(groupScoped, 1, reachOfGroups([12, 13])), 'one group outside is enough');
  assert.ok(!coversReach(groupScoped, 1, reachOfGroups([10])), 'the root reaches everything');
  assert.ok(!coversReach(groupScoped, 1, WHOLE_ORGANIZATION));
  assert.ok(!coversReach(groupScoped, 2, reachOfGroups([11])), 'another organization');
});

test('an owner of the organization, and an actor over all, are covered for everything in it', () => {
  for (const a of [orgScoped, ALL_ACCESS]) {
    assert.ok(coversReach(a, 1, WHOLE_ORGANIZATION));
    assert.ok(coversReach(a, 1, reachOfGroups([10, 13])));
  }
  assert.ok(!coversReach(orgScoped, 2, reachOfGroups([])));
});

test('joining reaches: the whole organization absorbs the rest; groups add up', () => {
  assert.deepEqual(joinReach([reachOfGroups([11]), WHOLE_ORGANIZATION]), WHOLE_ORGANIZATION);
  assert.deepEqual(
    joinReach([reachOfGroups([11, 12]), reachOfGroups([12, 13])]),
    reachOfGroups([11, 12, 13]),
  );
});
