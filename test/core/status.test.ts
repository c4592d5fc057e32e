import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowedTransitions,
  assertTransition,
  canTransition,
  statusAfterApproval,
  statusAfterDetection,
  statusAfterRetry,
  UPDATE_STATUSES,
} from '../../src/core/status.ts';

test('transitions that a real workflow takes are allowed', () => {
  const path = ['missing', 'pending', 'queued', 'installing', 'reboot_required', 'installed'] as const;
  for (let i = 1; i < path.length; i++)
    assert.ok(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} → ${path[i]}`);
  assert.ok(canTransition('installing', 'failed'));
  assert.ok(canTransition('failed', 'pending'), 'retry');
  assert.ok(canTransition('ignored', 'pending'), 'approve after ignoring');
});

test('impossible transitions are refused with a conflict naming both states', () => {
  for (const [from, to] of [
    ['installed', 'installing'],
    ['missing', 'installing'],
    ['installing', 'ignored'],
    ['not_applicable', 'failed'],
    ['ignored', 'queued'],
  ] as const) {
    assert.equal(canTransition(from, to), false, `${from} → ${to}`);
    assert.throws(() => assertTransition(from, to), {
      kind: 'conflict',
      message: `an update cannot go from '${from}' to '${to}'`,
    });
  }
});

test('every status has a way out and no transition leads to an unknown status', () => {
  for (const s of UPDATE_STATUSES) {
    assert.ok(allowedTransitions(s).length > 0, s);
    for (const t of allowedTransitions(s)) assert.ok(UPDATE_STATUSES.includes(t));
  }
});

test('detection, approval and retry imply the resting status', () => {
  assert.equal(statusAfterDetection(undefined, 'missing', undefined), 'missing');
  assert.equal(statusAfterDetection(undefined, 'missing', 'approve'), 'pending');
  assert.equal(statusAfterDetection('missing', 'missing', 'ignore'), 'ignored');
  assert.equal(
    statusAfterDetection('queued', 'missing', 'none'),
    'queued',
    'a scan does not interrupt an install',
  );
  assert.equal(statusAfterDetection('failed', 'missing', 'approve'), 'failed', 'a failure waits for a retry');
  assert.equal(statusAfterDetection('pending', 'installed', 'approve'), 'installed');
  assert.equal(statusAfterDetection('reboot_required', 'installed', undefined), 'reboot_required');
  assert.equal(statusAfterDetection('missing', 'not_applicable', undefined), 'not_applicable');

  assert.equal(statusAfterApproval('missing', 'approve'), 'pending');
  assert.equal(statusAfterApproval('pending', 'ignore'), 'ignored');
  assert.equal(statusAfterApproval('ignored', undefined), 'missing');
  assert.equal(statusAfterApproval('pending', 'approve'), undefined, 'no change');
  assert.equal(statusAfterApproval('installing', 'ignore'), undefined, 'in flight');
  assert.equal(statusAfterApproval('installed', 'ignore'), undefined);

  assert.equal(statusAfterRetry('failed', undefined), 'pending');
  assert.equal(statusAfterRetry('failed', 'ignore'), 'ignored');
  assert.equal(statusAfterRetry('missing', 'approve'), undefined);
});
