import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveApproval, effectiveDecision, type Decision } from '../../src/core/approvals.ts';

const d = (
  level: Decision['level'],
  action: Decision['action'],
  extra: Partial<Decision> = {},
): Decision => ({ level, action, source: 'user', ...extra });

test('device beats group beats organization beats policy', () => {
  const org = d('organization', 'approve');
  const group = d('group', 'ignore', { depth: 0 });
  const device = d('device', 'none');
  const policy = d('policy', 'approve', { source: 'policy' });
  assert.equal(effectiveApproval([]), undefined);
  assert.equal(effectiveApproval([policy]), 'approve');
  assert.equal(effectiveApproval([policy, org]), 'approve');
  assert.equal(effectiveApproval([org, group, policy]), 'ignore');
  assert.equal(effectiveApproval([device, group, org, policy]), 'none');
  assert.equal(
    effectiveApproval([policy, org, group, device].reverse()),
    'none',
    'order of input does not matter',
  );
});

test('the nearest group wins, and a user beats a policy at the same level', () => {
  const parent = d('group', 'approve', { depth: 1 });
  const own = d('group', 'ignore', { depth: 0 });
  assert.equal(effectiveApproval([parent, own]), 'ignore');
  const byPolicy = d('device', 'approve', { source: 'policy' });
  const byUser = d('device', 'ignore', { source: 'user', setBy: 'olga' });
  assert.equal(effectiveDecision([byPolicy, byUser])?.setBy, 'olga');
});

test('approvalOrigin: a user on the device itself overrides; everything else is inherited', async () => {
  const { approvalOrigin } = await import('../../src/core/approvals.ts');
  const cases: [Parameters<typeof approvalOrigin>[0], { action: string; override: boolean }][] = [
    [undefined, { action: 'none', override: false }],
    [null, { action: 'none', override: false }],
    [d('device', 'approve'), { action: 'approve', override: true }],
    [d('device', 'ignore'), { action: 'ignore', override: true }],
    [d('device', 'none'), { action: 'none', override: true }],
    [d('device', 'approve', { source: 'policy' }), { action: 'approve', override: false }],
    [d('group', 'ignore', { depth: 0 }), { action: 'ignore', override: false }],
    [d('organization', 'approve'), { action: 'approve', override: false }],
    [d('policy', 'approve', { source: 'policy' }), { action: 'approve', override: false }],
  ];
  for (const [decision, expected] of cases) assert.deepEqual(approvalOrigin(decision), expected);
});
