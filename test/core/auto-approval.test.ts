import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideByRules,
  parseAutoApprovalRule,
  ruleMatches,
  type AutoApprovalRuleBody,
  type DeviceFacts,
  type RuleConditions,
  type UpdateFacts,
} from '../../src/core/auto-approval.ts';
import { effectiveApproval, type Decision } from '../../src/core/approvals.ts';
import { isDomainError } from '../../src/core/errors.ts';

const now = new Date('2026-12-07T00:00:00Z');
const update: UpdateFacts = {
  updateId: 1,
  name: 'liblzma5',
  packageName: 'liblzma5',
  product: 'Debian 12',
  classification: 'security',
  severity: 'critical',
  customSeverity: 'Urgent',
  knownExploited: true,
  epssScore: 0.86,
  epssPercentile: 0.99,
  cvss: 10,
  releasedAt: new Date('2026-12-01T00:00:00Z'),
};
const device: DeviceFacts = { deviceId: 5, groupChain: [12, 10, 1], tags: ['Prod', 'web'] };

test('each condition, matching and not (table)', () => {
  const cases: [RuleConditions, boolean][] = [
    [{}, true],
    [{ knownExploited: true }, true],
    [{ knownExploited: false }, false],
    [{ epssScoreAtLeast: 0.86 }, true],
    [{ epssScoreAtLeast: 0.9 }, false],
    [{ epssPercentileAtLeast: 0.95 }, true],
    [{ cvssAtLeast: 9 }, true],
    [{ severityAtLeast: 'high' }, true],
    [{ customSeverity: ['urgent'] }, true],
    [{ customSeverity: ['Low'] }, false],
    [{ minAgeDays: 6 }, true],
    [{ minAgeDays: 7 }, false],
    [{ classifications: ['Security', 'critical'] }, true],
    [{ classifications: ['feature'] }, false],
    [{ product: 'debian*' }, true],
    [{ product: 'ubuntu*' }, false],
    [{ package: 'liblzma?' }, true],
    [{ package: 'openssl*' }, false],
    [{ groups: [10] }, true],
    [{ groups: [11] }, false],
    [{ tags: ['prod'] }, true],
    [{ tags: ['db'] }, false],
    [{ knownExploited: true, cvssAtLeast: 9, tags: ['db'] }, false],
  ];
  for (const [c, want] of cases) assert.equal(ruleMatches(c, update, device, now), want, JSON.stringify(c));
});

test('missing facts meet no threshold', () => {
  const bare = {
    ...update,
    epssScore: null,
    epssPercentile: null,
    cvss: null,
    releasedAt: null,
    product: null,
    customSeverity: null,
  };
  for (const c of [
    { epssScoreAtLeast: 0 },
    { cvssAtLeast: 0 },
    { minAgeDays: 0 },
    { product: '*' },
    { customSeverity: ['x'] },
  ])
    assert.equal(ruleMatches(c, bare, device, now), false, JSON.stringify(c));
});

test('the first enabled matching rule decides; stop ends the evaluation', () => {
  const r = (
    name: string,
    conditions: RuleConditions,
    action: AutoApprovalRuleBody['action'],
    enabled = true,
  ) => ({
    name,
    conditions,
    action,
    enabled,
    planId: null,
  });
  const rules = [
    r('off', {}, 'ignore', false),
    r('db only', { tags: ['db'] }, 'ignore'),
    r('keep hands off', { package: 'liblzma*' }, 'stop'),
    r('kev', { knownExploited: true }, 'approve'),
  ];
  assert.equal(decideByRules(rules, update, device, now)?.rule.name, 'keep hands off');
  assert.equal(decideByRules(rules.slice(0, 2), update, device, now), undefined);
  assert.equal(decideByRules([rules[3]!], update, device, now)?.action, 'approve');
});

test("a person's decision anywhere beats a rule's decision on the device", () => {
  const rule: Decision = { level: 'device', action: 'approve', source: 'rule' };
  assert.equal(effectiveApproval([rule]), 'approve');
  assert.equal(effectiveApproval([rule, { level: 'device', action: 'ignore', source: 'user' }]), 'ignore');
  assert.equal(effectiveApproval([rule, { level: 'organization', action: 'none', source: 'user' }]), 'none');
  assert.equal(
    effectiveApproval([rule, { level: 'group', depth: 2, action: 'ignore', source: 'user' }]),
    'ignore',
  );
});

test('rule bodies: every issue at its path', () => {
  assert.deepEqual(
    parseAutoApprovalRule({ name: 'KEV', action: 'approve', conditions: { knownExploited: true } }),
    {
      name: 'KEV',
      enabled: true,
      conditions: { knownExploited: true },
      action: 'approve',
      planId: null,
    },
  );
  try {
    parseAutoApprovalRule({
      name: '',
      action: 'ignore',
      planId: 3,
      extra: 1,
      conditions: {
        cvssAtLeast: 11,
        severityAtLeast: 'awful',
        tags: [''],
        groups: [0],
        nope: 1,
        product: '',
      },
    });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(isDomainError(e));
    assert.deepEqual(e.issues.map((i) => i.path).sort(), [
      '/conditions/cvssAtLeast',
      '/conditions/groups',
      '/conditions/nope',
      '/conditions/product',
      '/conditions/severityAtLeast',
      '/conditions/tags',
      '/extra',
      '/name',
      '/planId',
    ]);
  }
});
