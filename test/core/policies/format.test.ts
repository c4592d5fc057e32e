import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatBehaviour,
  formatRule,
  parsePolicy,
  type PatchPolicy,
} from '../../../src/core/policies/index.ts';

// The policy parser reads its own rendering: a policy whose rule and behaviour are rendered by
// core/policies/format.ts (what GET /api/v1/policies/{id} answers) parses back to the same policy.

/** the native body of a parsed policy */
const body = (p: PatchPolicy) => ({
  name: p.name,
  notes: p.notes,
  enabled: p.enabled,
  rule: formatRule(p.rule),
  targets: p.targets,
  schedule: p.schedule,
  behaviour: formatBehaviour(p.behaviour),
});

const rules: [string, unknown][] = [
  ['all', { kind: 'all' }],
  ['include', { kind: 'include', patterns: ['*Chrome*', 'KB50*'] }],
  ['exclude', { kind: 'exclude', patterns: ['tzdata'] }],
  ['severity', { kind: 'severity', severities: ['critical', 'high'] }],
  [
    'advanced',
    {
      kind: 'advanced',
      filters: [
        'patch-source is windowsupdate',
        'display-name contains " padded "',
        { field: 'severity', condition: '>=', value: 'medium' },
        { field: 'kb', condition: 'is', value: '5034441' },
      ],
    },
  ],
  ['manual', { kind: 'manual' }],
  [
    'advanced keeping the lists it does not use',
    {
      kind: 'advanced',
      filters: ['patch-source is windowsupdate'],
      keptLists: { patterns: ['*KB2267602*'], severities: ['low', 'critical'] },
    },
  ],
  ['list', { kind: 'list', bulletins: [5], updates: ['9', 10] }],
  [
    'vendors and products, classes, optional',
    {
      kind: 'all',
      vendorProducts: {
        mode: 'exclude',
        pairs: [{ os: 'windows', vendor: 'Mozilla', products: ['Firefox*'] }, { vendor: 'Oracle' }],
      },
      classes: { security: true, nonSecurity: false, manuallyApproved: true },
      includeOptional: true,
    },
  ],
];

const behaviours: [string, unknown][] = [
  ['defaults', undefined],
  ['user may postpone', { rebootPostponement: { mode: 'user-may-postpone' } }],
  [
    'within an interval',
    {
      autoReboot: true,
      rebootPostponement: {
        mode: 'within-interval',
        afterMinutes: 45,
        message: 'Restarting soon',
        between: { start: '07:05', end: '23:30' },
      },
    },
  ],
  ['automatically after', { rebootPostponement: { mode: 'automatic-after', afterMinutes: 10, message: '' } }],
  [
    'everything else',
    {
      autoInstall: false,
      suppressReboot: true,
      whenRebootPending: 'install-anyway',
      notifications: { beforeInstall: true, deferralPeriodsHours: [1, 24], maxDeferrals: 0 },
      runMissedAsap: true,
      overrideMaintenanceWindows: true,
      download: { cachingServers: ['b', 'a'], directDownloadFallback: false },
    },
  ],
  ['an install command line', { installCommandLine: 'setup.exe /q' }],
];

describe('parsePolicy reads what formatRule and formatBehaviour render', () => {
  for (const [title, rule] of rules)
    test(`rule: ${title}`, () => {
      const p = parsePolicy({ name: 'p', rule, targets: { groups: [3], deviceFilter: 4 } });
      assert.deepEqual(parsePolicy(body(p)), p);
    });
  for (const [title, behaviour] of behaviours)
    test(`behaviour: ${title}`, () => {
      const p = parsePolicy({ name: 'p', rule: { kind: 'all' }, behaviour });
      assert.deepEqual(parsePolicy(body(p)), p);
    });

  test('the rule is flat, with vendorProducts null when there is no restriction', () => {
    const p = parsePolicy({ name: 'p', rule: { kind: 'severity', severities: ['low'] } });
    assert.deepEqual(formatRule(p.rule), {
      kind: 'severity',
      severities: ['low'],
      vendorProducts: null,
      classes: { security: true, nonSecurity: true, manuallyApproved: true },
      includeOptional: false,
    });
  });

  test('times of day render as hh:mm', () => {
    const p = parsePolicy({ name: 'p', rule: { kind: 'all' }, behaviour: behaviours[2]![1] });
    assert.deepEqual(formatBehaviour(p.behaviour).rebootPostponement, {
      mode: 'within-interval',
      afterMinutes: 45,
      message: 'Restarting soon',
      between: { start: '07:05', end: '23:30' },
    });
  });
});
