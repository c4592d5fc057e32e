import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isDomainError, type FieldIssue } from '../../../src/core/errors.ts';
import { parsePolicy } from '../../../src/core/policies/parse.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function issuesOf(input: unknown): readonly FieldIssue[] {
  try {
    parsePolicy(input);
  } catch (e) {
    assert.ok(isDomainError(e));
    assert.equal(e.kind, 'invalid');
    for (const i of e.issues)
      assert.ok(e.message.includes(`${i.path} ${i.message}`), 'the message names every path');
    return e.issues;
  }
  assert.fail('expected the policy to be rejected');
}

const full = (): Loose => ({
  name: ' Workstations – patch Tuesday ',
  notes: 'Patch every Mon, Thu, Fri',
  enabled: true,
  rule: {
    kind: 'advanced',
    filters: [
      'patch-source is windowsupdate',
      { field: 'severity', condition: 'greater-than-or-equal-to', value: 'medium' },
    ],
    vendorProducts: {
      mode: 'exclude',
      pairs: [{ os: 'windows', vendor: 'Mozilla', products: ['Firefox*'] }, { vendor: 'Oracle' }],
    },
    classes: { security: true, nonSecurity: false, manuallyApproved: true },
    includeOptional: true,
  },
  targets: { groups: [23500], devices: ['17'], deviceFilter: 4 },
  schedule: { days: 42, time: '01:00' },
  behaviour: {
    autoInstall: false,
    autoReboot: true,
    rebootPostponement: {
      mode: 'within-interval',
      afterMinutes: 45,
      message: 'Restarting soon',
      between: { start: '22:00', end: '23:30' },
    },
    whenRebootPending: 'wait-until-reboot',
    notifications: {
      beforeInstall: true,
      beforeReboot: true,
      installMessage: 'MODIFIED Notification Text before normal patch - Windows - Max 125 Char',
      rebootMessage: 'Notification Text before reboot patch - Windows - Max 125 Char',
      installMessageMac: 'Notification Text before normal patch - Mac - Max 70 Char',
      rebootMessageMac: 'Notification Text before reboot patch - Mac - Max 70 Char',
      deferralPeriodsHours: [1, 4, 8],
      maxDeferrals: 3,
    },
    runMissedAsap: true,
    overrideMaintenanceWindows: true,
    download: { cachingServers: ['cache-2', 'cache-1'], directDownloadFallback: false },
  },
});

describe('parsePolicy: a valid policy', () => {
  test('every setting is read into the model', () => {
    assert.deepEqual(parsePolicy(full()), {
      name: 'Workstations – patch Tuesday',
      notes: 'Patch every Mon, Thu, Fri',
      enabled: true,
      rule: {
        match: {
          kind: 'advanced',
          filters: [
            { field: 'patch-source', condition: 'is', value: 'windowsupdate' },
            { field: 'severity', condition: 'greater-than-or-equal-to', value: 'medium' },
          ],
        },
        vendorProducts: {
          mode: 'exclude',
          pairs: [
            { os: 'windows', vendor: 'Mozilla', products: ['Firefox*'] },
            { os: null, vendor: 'Oracle', products: [] },
          ],
        },
        classes: { security: true, nonSecurity: false, manuallyApproved: true },
        includeOptional: true,
      },
      targets: { groups: [23500], devices: [17], deviceFilter: 4 },
      schedule: { days: 42, time: '01:00' },
      behaviour: {
        autoInstall: false,
        autoReboot: true,
        suppressReboot: false,
        rebootPostponement: {
          mode: 'within-interval',
          afterMinutes: 45,
          message: 'Restarting soon',
          between: { start: { hour: 22, minute: 0 }, end: { hour: 23, minute: 30 } },
        },
        whenRebootPending: 'wait-until-reboot',
        notifications: {
          beforeInstall: true,
          beforeReboot: true,
          installMessage: 'MODIFIED Notification Text before normal patch - Windows - Max 125 Char',
          rebootMessage: 'Notification Text before reboot patch - Windows - Max 125 Char',
          installMessageMac: 'Notification Text before normal patch - Mac - Max 70 Char',
          rebootMessageMac: 'Notification Text before reboot patch - Mac - Max 70 Char',
          deferralPeriodsHours: [1, 4, 8],
          maxDeferrals: 3,
        },
        runMissedAsap: true,
        overrideMaintenanceWindows: true,
        download: { cachingServers: ['cache-2', 'cache-1'], directDownloadFallback: false },
      },
    });
  });

  test('defaults: enabled, every class, no optional updates, no targets, install without reboot, direct download', () => {
    const p = parsePolicy({ name: 'All', rule: { kind: 'all' } });
    assert.equal(p.enabled, true);
    assert.equal(p.notes, '');
    assert.equal(p.schedule, null);
    assert.deepEqual(p.rule, {
      match: { kind: 'all' },
      vendorProducts: null,
      classes: { security: true, nonSecurity: true, manuallyApproved: true },
      includeOptional: false,
    });
    assert.deepEqual(p.targets, { groups: [], devices: [], deviceFilter: null });
    assert.equal(p.behaviour.autoInstall, true);
    assert.equal(p.behaviour.autoReboot, false);
    assert.equal(p.behaviour.rebootPostponement, null);
    assert.equal(p.behaviour.whenRebootPending, 'default');
    assert.deepEqual(p.behaviour.notifications.deferralPeriodsHours, []);
    assert.equal(p.behaviour.notifications.maxDeferrals, null);
    assert.deepEqual(p.behaviour.download, { cachingServers: [], directDownloadFallback: true });
  });

  test('each rule kind with its own field', () => {
    const kinds: readonly [Loose, Loose][] = [
      [
        { kind: 'include', patterns: ['*Chrome*'] },
        { kind: 'include', patterns: ['*Chrome*'] },
      ],
      [
        { kind: 'exclude', patterns: ['*KB2267602*', '*Exclude This Too*'] },
        { kind: 'exclude', patterns: ['*KB2267602*', '*Exclude This Too*'] },
      ],
      [
        { kind: 'severity', severities: ['critical', 'high'] },
        { kind: 'severity', severities: ['critical', 'high'] },
      ],
      [{ kind: 'manual' }, { kind: 'manual' }],
      [
        { kind: 'list', bulletins: [5] },
        { kind: 'list', bulletins: [5], updates: [] },
      ],
      [
        { kind: 'list', updates: ['9', 10] },
        { kind: 'list', bulletins: [], updates: [9, 10] },
      ],
    ];
    for (const [rule, match] of kinds) assert.deepEqual(parsePolicy({ name: 'p', rule }).rule.match, match);
  });

  test('limits are inclusive: 125/70-character messages, 128-character reboot message, 24-hour deferral, 200-character name', () => {
    const p = full();
    p.name = 'n'.repeat(200);
    Object.assign(p.behaviour.notifications, {
      installMessage: 'w'.repeat(125),
      rebootMessage: 'w'.repeat(125),
      installMessageMac: 'm'.repeat(70),
      rebootMessageMac: 'm'.repeat(70),
      deferralPeriodsHours: [24, 1, 12],
    });
    p.behaviour.rebootPostponement = { mode: 'automatic-after', afterMinutes: 10, message: 'r'.repeat(128) };
    const policy = parsePolicy(p);
    assert.deepEqual(policy.behaviour.notifications.deferralPeriodsHours, [24, 1, 12]);
    assert.deepEqual(policy.behaviour.rebootPostponement, {
      mode: 'automatic-after',
      afterMinutes: 10,
      message: 'r'.repeat(128),
    });
  });
});

interface Case {
  readonly title: string;
  readonly mutate: (p: Loose) => void;
  readonly issues: readonly (readonly [string, RegExp])[];
}

const rule = (p: Loose, r: Loose) => (p.rule = r);
const b = (p: Loose) => p.behaviour;
const n = (p: Loose) => p.behaviour.notifications;

const INVALID: readonly Case[] = [
  // policy
  { title: 'name missing', mutate: (p) => delete p.name, issues: [['name', /^is required$/]] },
  {
    title: 'name of 201 characters',
    mutate: (p) => (p.name = 'x'.repeat(201)),
    issues: [['name', /^must be between 1 and 200 characters, got 201$/]],
  },
  {
    title: 'blank name',
    mutate: (p) => (p.name = '  '),
    issues: [['name', /^must not be empty or only spaces$/]],
  },
  {
    title: 'an Automox field in the native shape',
    mutate: (p) => (p.patch_rule = 'all'),
    issues: [
      [
        'patch_rule',
        /^is not a known field \(allowed: name, notes, enabled, rule, targets, schedule, behaviour\)$/,
      ],
    ],
  },
  {
    title: 'enabled not a boolean',
    mutate: (p) => (p.enabled = 'true'),
    issues: [['enabled', /^must be true or false, got the string "true"$/]],
  },
  { title: 'rule missing', mutate: (p) => delete p.rule, issues: [['rule', /^is required$/]] },
  // rule kinds
  { title: 'rule kind missing', mutate: (p) => rule(p, {}), issues: [['rule.kind', /^is required$/]] },
  {
    title: 'rule kind filter (Automox word)',
    mutate: (p) => rule(p, { kind: 'filter' }),
    issues: [
      [
        'rule.kind',
        /^must be one of all, include, exclude, severity, advanced, manual, list, got the string "filter"$/,
      ],
    ],
  },
  {
    title: 'include without patterns',
    mutate: (p) => rule(p, { kind: 'include' }),
    issues: [['rule.patterns', /^is required$/]],
  },
  {
    title: 'exclude with no pattern',
    mutate: (p) => rule(p, { kind: 'exclude', patterns: [] }),
    issues: [['rule.patterns', /^must list at least one pattern for a rule of kind 'exclude'$/]],
  },
  {
    title: 'an empty pattern',
    mutate: (p) => rule(p, { kind: 'include', patterns: ['*a*', ''] }),
    issues: [['rule.patterns[1]', /^must be between 1 and 256 characters, got 0$/]],
  },
  {
    title: 'a pattern repeated in another case',
    mutate: (p) => rule(p, { kind: 'include', patterns: ['*Chrome*', '*chrome*'] }),
    issues: [['rule.patterns[1]', /^repeats "\*chrome\*" \(already at index 0\)$/]],
  },
  {
    title: 'patterns on a severity rule',
    mutate: (p) => rule(p, { kind: 'severity', severities: ['high'], patterns: ['x'] }),
    issues: [
      [
        'rule.patterns',
        /^is not used by a rule of kind 'severity'; it belongs to kind 'include' or 'exclude'$/,
      ],
    ],
  },
  {
    title: 'an unknown severity',
    mutate: (p) => rule(p, { kind: 'severity', severities: ['high', 'urgent'] }),
    issues: [
      [
        'rule.severities[1]',
        /^must be one of unknown, none, low, medium, high, critical, got the string "urgent"$/,
      ],
    ],
  },
  {
    title: 'no severity',
    mutate: (p) => rule(p, { kind: 'severity', severities: [] }),
    issues: [['rule.severities', /^must list at least one severity/]],
  },
  {
    title: 'a severity twice',
    mutate: (p) => rule(p, { kind: 'severity', severities: ['low', 'low'] }),
    issues: [['rule.severities[1]', /^repeats "low"/]],
  },
  {
    title: 'kept lists checked as the kinds using them check them',
    mutate: (p) =>
      rule(p, {
        kind: 'all',
        keptLists: { patterns: ['*a*', '*A*'], severities: ['urgent'], filters: [] },
      }),
    issues: [
      ['rule.keptLists.filters', /^is not a known field \(allowed: patterns, severities\)$/],
      ['rule.keptLists.patterns[1]', /^repeats "\*A\*" \(already at index 0\)$/],
      ['rule.keptLists.severities[0]', /^must be one of unknown, none, low, medium, high, critical/],
    ],
  },
  {
    title: 'kept lists not an object',
    mutate: (p) => rule(p, { kind: 'all', keptLists: ['x'] }),
    issues: [['rule.keptLists', /^must be an object \{patterns, severities\} or null, got an array$/]],
  },
  {
    title: 'advanced without lines',
    mutate: (p) => rule(p, { kind: 'advanced', filters: [] }),
    issues: [['rule.filters', /^must list at least one filter line/]],
  },
  {
    title: 'advanced with a bad line',
    mutate: (p) => rule(p, { kind: 'advanced', filters: ['severity >= medium', 'os is windows'] }),
    issues: [['rule.filters[1]', /^must be one of severity, patch-source/]],
  },
  {
    title: 'advanced with 51 lines',
    mutate: (p) =>
      rule(p, { kind: 'advanced', filters: Array.from({ length: 51 }, () => 'severity >= low') }),
    issues: [['rule.filters', /^must list at most 50 filter lines, got 51$/]],
  },
  {
    title: 'a list naming nothing',
    mutate: (p) => rule(p, { kind: 'list', bulletins: [] }),
    issues: [['rule', /^a rule of kind 'list' must name at least one bulletin or update/]],
  },
  {
    title: 'a bulletin that is not an id',
    mutate: (p) => rule(p, { kind: 'list', bulletins: ['7ZIP-240619'] }),
    issues: [
      ['rule.bulletins[0]', /^must be a bulletin id \(a positive integer\), got the string "7ZIP-240619"$/],
    ],
  },
  {
    title: 'update id 0 and a repeated one',
    mutate: (p) => rule(p, { kind: 'list', updates: [0, 3, 3] }),
    issues: [
      ['rule.updates[0]', /^must be an update id \(a positive integer\), got 0$/],
      ['rule.updates[2]', /^repeats 3/],
    ],
  },
  // refinements
  {
    title: 'every class disabled',
    mutate: (p) => (p.rule.classes = { security: false, nonSecurity: false, manuallyApproved: false }),
    issues: [['rule.classes', /^must enable at least one of security, nonSecurity, manuallyApproved/]],
  },
  {
    title: 'includeOptional not a boolean',
    mutate: (p) => (p.rule.includeOptional = 1),
    issues: [['rule.includeOptional', /^must be true or false, got 1$/]],
  },
  {
    title: 'vendor/product mode missing',
    mutate: (p) => delete p.rule.vendorProducts.mode,
    issues: [['rule.vendorProducts.mode', /^is required$/]],
  },
  {
    title: 'vendor/product without pairs',
    mutate: (p) => (p.rule.vendorProducts.pairs = []),
    issues: [['rule.vendorProducts.pairs', /^must list at least one vendor\/product pair$/]],
  },
  {
    title: 'a pair for an unknown os',
    mutate: (p) => (p.rule.vendorProducts.pairs[0].os = 'beos'),
    issues: [
      [
        'rule.vendorProducts.pairs[0].os',
        /^must be one of windows, linux, macos or null, got the string "beos"$/,
      ],
    ],
  },
  {
    title: 'a pair without vendor',
    mutate: (p) => delete p.rule.vendorProducts.pairs[1].vendor,
    issues: [['rule.vendorProducts.pairs[1].vendor', /^is required$/]],
  },
  {
    title: 'the same vendor twice for one os',
    mutate: (p) => p.rule.vendorProducts.pairs.push({ vendor: 'oracle', products: ['Java*'] }),
    issues: [['rule.vendorProducts.pairs[2]', /^repeats vendor "oracle" \(already at index 1\)$/]],
  },
  // targets
  {
    title: 'a group that is not an id',
    mutate: (p) => (p.targets.groups = ['servers']),
    issues: [['targets.groups[0]', /^must be a group id \(a positive integer\), got the string "servers"$/]],
  },
  {
    title: 'device filter 0',
    mutate: (p) => (p.targets.deviceFilter = 0),
    issues: [
      ['targets.deviceFilter', /^must be a saved device filter id \(a positive integer\) or null, got 0$/],
    ],
  },
  // reboot
  {
    title: 'autoReboot together with suppressReboot',
    mutate: (p) => {
      b(p).suppressReboot = true;
      b(p).rebootPostponement = null;
    },
    issues: [['behaviour.suppressReboot', /^cannot be true together with autoReboot/]],
  },
  {
    title: 'a reboot postponement on a policy that suppresses reboots',
    mutate: (p) => {
      b(p).autoReboot = false;
      b(p).suppressReboot = true;
    },
    issues: [['behaviour.rebootPostponement', /^must be null when suppressReboot is true/]],
  },
  {
    title: 'postponement mode later',
    mutate: (p) => (b(p).rebootPostponement = { mode: 'later' }),
    issues: [
      [
        'behaviour.rebootPostponement.mode',
        /^must be one of user-may-postpone, within-interval, automatic-after, got the string "later"$/,
      ],
    ],
  },
  {
    title: 'within-interval without minutes, message and interval',
    mutate: (p) => (b(p).rebootPostponement = { mode: 'within-interval' }),
    issues: [
      ['behaviour.rebootPostponement.afterMinutes', /^is required when mode is 'within-interval'$/],
      ['behaviour.rebootPostponement.message', /^is required when mode is 'within-interval'$/],
      ['behaviour.rebootPostponement.between', /^is required when mode is 'within-interval'$/],
    ],
  },
  {
    title: 'reboot after 15 minutes',
    mutate: (p) => (b(p).rebootPostponement.afterMinutes = 15),
    issues: [
      ['behaviour.rebootPostponement.afterMinutes', /^must be one of 10, 30, 45, 60 minutes, got 15$/],
    ],
  },
  {
    title: 'a reboot message of 129 characters',
    mutate: (p) => (b(p).rebootPostponement.message = 'r'.repeat(129)),
    issues: [['behaviour.rebootPostponement.message', /^must be at most 128 characters, got 129$/]],
  },
  {
    title: 'an interval that ends before it starts',
    mutate: (p) => (b(p).rebootPostponement.between = { start: '23:30', end: '22:00' }),
    issues: [
      ['behaviour.rebootPostponement.between', /^start \(23:30\) must be earlier than end \(22:00\)$/],
    ],
  },
  {
    title: 'an interval ending at 24:00',
    mutate: (p) => (b(p).rebootPostponement.between.end = '24:00'),
    issues: [
      [
        'behaviour.rebootPostponement.between.end',
        /^must be a time "hh:mm" from 00:00 to 23:59, got the string "24:00"$/,
      ],
    ],
  },
  {
    title: 'an interval on automatic-after',
    mutate: (p) => (b(p).rebootPostponement.mode = 'automatic-after'),
    issues: [['behaviour.rebootPostponement.between', /^is not used when mode is 'automatic-after'$/]],
  },
  {
    title: 'reboot pending mode maybe',
    mutate: (p) => (b(p).whenRebootPending = 'maybe'),
    issues: [
      [
        'behaviour.whenRebootPending',
        /^must be one of default, install-anyway, wait-until-reboot, got the string "maybe"$/,
      ],
    ],
  },
  // notifications and deferrals
  {
    title: 'a Windows install message of 126 characters',
    mutate: (p) => (n(p).installMessage = 'x'.repeat(126)),
    issues: [['behaviour.notifications.installMessage', /^must be at most 125 characters, got 126$/]],
  },
  {
    title: 'a Windows reboot message of 126 characters',
    mutate: (p) => (n(p).rebootMessage = 'x'.repeat(126)),
    issues: [['behaviour.notifications.rebootMessage', /^must be at most 125 characters, got 126$/]],
  },
  {
    title: 'an installation progress message of 1025 characters',
    mutate: (p) => (n(p).progressMessage = 'x'.repeat(1025)),
    issues: [['behaviour.notifications.progressMessage', /^must be at most 1024 characters, got 1025$/]],
  },
  {
    title: 'a Windows Update option that is not a boolean',
    mutate: (p) => (b(p).windowsUpdate = { configure: 'yes', peerToPeerOnLan: true }),
    issues: [
      ['behaviour.windowsUpdate.peerToPeerOnLan', /^is not a known field/],
      ['behaviour.windowsUpdate.configure', /^must be true or false/],
    ],
  },
  {
    title: 'a notify schedule that is not a schedule',
    mutate: (p) => (b(p).notifySchedule = { recurrence: 'often' }),
    issues: [
      ['behaviour.notifySchedule.recurrence', /kind/],
      ['behaviour.notifySchedule.start', /date-time/],
      ['behaviour.notifySchedule.zone', /server/],
    ],
  },
  {
    title: 'a macOS install message of 71 characters',
    mutate: (p) => (n(p).installMessageMac = 'x'.repeat(71)),
    issues: [['behaviour.notifications.installMessageMac', /^must be at most 70 characters, got 71$/]],
  },
  {
    title: 'a macOS reboot message of 71 characters',
    mutate: (p) => (n(p).rebootMessageMac = 'x'.repeat(71)),
    issues: [['behaviour.notifications.rebootMessageMac', /^must be at most 70 characters, got 71$/]],
  },
  {
    title: 'four deferral periods',
    mutate: (p) => (n(p).deferralPeriodsHours = [1, 2, 4, 8]),
    issues: [
      ['behaviour.notifications.deferralPeriodsHours', /^must list at most 3 deferral periods, got 4$/],
    ],
  },
  {
    title: 'deferral periods that are not distinct',
    mutate: (p) => (n(p).deferralPeriodsHours = [4, 8, 4]),
    issues: [
      [
        'behaviour.notifications.deferralPeriodsHours[2]',
        /^repeats 4 hours \(the periods must be distinct\) \(already at index 0\)$/,
      ],
    ],
  },
  {
    title: 'a deferral of 25 hours',
    mutate: (p) => (n(p).deferralPeriodsHours = [25]),
    issues: [['behaviour.notifications.deferralPeriodsHours[0]', /^must be between 1 and 24 hours, got 25$/]],
  },
  {
    title: 'a deferral of 0 hours',
    mutate: (p) => (n(p).deferralPeriodsHours = [0]),
    issues: [['behaviour.notifications.deferralPeriodsHours[0]', /^must be between 1 and 24 hours, got 0$/]],
  },
  {
    title: 'a deferral of 1.5 hours',
    mutate: (p) => (n(p).deferralPeriodsHours = [1.5]),
    issues: [['behaviour.notifications.deferralPeriodsHours[0]', /^must be an integer, got 1.5$/]],
  },
  {
    title: 'deferral periods without a maximum',
    mutate: (p) => delete n(p).maxDeferrals,
    issues: [['behaviour.notifications.maxDeferrals', /^is required when deferralPeriodsHours are given/]],
  },
  {
    title: 'a maximum of deferrals without periods',
    mutate: (p) => (n(p).deferralPeriodsHours = []),
    issues: [
      [
        'behaviour.notifications.deferralPeriodsHours',
        /^must list at least one period when maxDeferrals is 3$/,
      ],
    ],
  },
  {
    title: 'a negative maximum of deferrals',
    mutate: (p) => (n(p).maxDeferrals = -1),
    issues: [['behaviour.notifications.maxDeferrals', /^must be between 0 and 100, got -1$/]],
  },
  // download
  {
    title: 'a caching server listed twice',
    mutate: (p) => (b(p).download.cachingServers = ['a', 'b', 'a']),
    issues: [
      [
        'behaviour.download.cachingServers[2]',
        /^repeats caching server "a", which can have one priority only \(already at index 0\)$/,
      ],
    ],
  },
  {
    title: 'direct download fallback not a boolean',
    mutate: (p) => (b(p).download.directDownloadFallback = 'yes'),
    issues: [['behaviour.download.directDownloadFallback', /^must be true or false/]],
  },
];

describe('parsePolicy: every rule and limit gets a precise error', () => {
  test('not an object', () => {
    assert.deepEqual(
      issuesOf([1]).map((i) => i.message),
      ['a policy must be an object, got an array'],
    );
  });
  for (const c of INVALID) {
    test(c.title, () => {
      const p = full();
      c.mutate(p);
      const issues = issuesOf(p);
      assert.deepEqual(
        issues.map((i) => i.path),
        c.issues.map(([path]) => path),
        JSON.stringify(issues),
      );
      c.issues.forEach(([, pattern], i) => assert.match(issues[i]!.message, pattern));
    });
  }
});
