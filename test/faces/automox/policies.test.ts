// Issue 19, points 1, 2 and 7: authentication, the error shape, paging, and the policy object of the seed
// (every field, limit and cross-field rule, with its exact error), over both stores.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { eachDriver } from '../../support/store.ts';
import { automox, seedBody, setupAutomox, type AutomoxSetup } from './support.ts';

eachDriver('Automox policies', (h) => {
  let s: AutomoxSetup;
  let A: number;
  let B: number;
  let gA: number;
  before(async () => {
    s = await setupAutomox(h.store());
    A = s.world.orgA.id;
    B = s.world.orgB.id;
    gA = s.world.groupA.id;
  });
  after(async () => s?.app.close());

  const body = (over: Record<string, unknown> = {}, config: Record<string, unknown> = {}) => {
    const b = seedBody(A, [gA]) as Record<string, unknown>;
    return {
      ...b,
      name: `p-${Math.random().toString(36).slice(2, 10)}`,
      ...over,
      configuration: { ...(b.configuration as object), ...config },
    };
  };

  it('authenticates with a Bearer API key: none or a wrong one is 401, another organization 403', async () => {
    const none = await automox(s.app).get(`/api/policies?o=${A}`);
    assert.equal(none.status, 401);
    assert.deepEqual(none.body, { errors: ['send "Authorization: Bearer <your API key>"'] });
    const wrong = await automox(s.app, 'plk_' + 'x'.repeat(40)).get(`/api/policies?o=${A}`);
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, { errors: ['the API key is unknown, revoked or expired'] });
    const session = await automox(s.app, 'pls_notakey').get(`/api/policies?o=${A}`);
    assert.equal(session.status, 401);
    const other = await s.axA.get(`/api/policies?o=${B}`);
    assert.equal(other.status, 403);
    assert.deepEqual(other.body, { errors: [`organization ${B} is not in your scope`] });
    const unknownOrg = await s.axA.get('/api/policies?o=999999');
    assert.equal(unknownOrg.status, 403);
    const mine = await s.axA.get(`/api/policies?o=${A}`);
    assert.equal(mine.status, 200, mine.text);
    assert.ok(Array.isArray(mine.body));
  });

  it('answers unknown routes under its resources and bad parameters in its error shape', async () => {
    const r = await s.ax.get('/api/policies/1/nothing');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { errors: ['no route GET /api/policies/1/nothing'] });
    assert.deepEqual((await s.ax.get('/api/policies')).body, {
      errors: ['o is required: the organization id'],
    });
    assert.deepEqual((await s.ax.get('/api/policies?o=abc')).body, {
      errors: ['o must be a positive integer id, got "abc"'],
    });
    assert.deepEqual((await s.ax.get(`/api/policies?o=${A}&limit=501`)).body, {
      errors: ['limit must be an integer from 1 to 500, got "501"'],
    });
    assert.deepEqual((await s.ax.get(`/api/policies?o=${A}&page=-1`)).body, {
      errors: ['page must be an integer from 0 to 1000000, got "-1"'],
    });
    const garbage = await s.ax.post(`/api/policies?o=${A}`, '{"name": ');
    assert.equal(garbage.status, 400);
    assert.ok(Array.isArray(garbage.body.errors) && garbage.body.errors.length === 1, garbage.text);
    const nul = await s.ax.post(`/api/policies?o=${A}`, body({ name: 'a\u0000b' }));
    assert.equal(nul.status, 400);
    assert.deepEqual(Object.keys(nul.body), ['errors']);
    assert.equal((await s.ax.get(`/api/policies/999999?o=${A}`)).status, 404);
  });

  it('creates, reads, updates (the seed body) and deletes a policy, the same one the native API shows', async () => {
    const created = await s.ax.post(`/api/policies?o=${A}`, body({ name: 'Seed policy' }));
    assert.equal(created.status, 201, created.text);
    const p = created.body;
    assert.equal(typeof p.id, 'number');
    assert.equal(p.organization_id, A);
    assert.equal(p.policy_type_name, 'patch');
    assert.match(p.create_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // the schedule as given (146 read by the bit layout: Sun, Thu, Mon)
    assert.deepEqual(
      [p.schedule_days, p.schedule_weeks_of_month, p.schedule_months, p.schedule_time],
      [146, 42, 4162, '01:00'],
    );
    assert.deepEqual(p.server_groups, [gA]);
    const seed = seedBody(A, [gA]).configuration;
    assert.deepEqual(p.configuration, {
      auto_patch: false,
      auto_reboot: true,
      notify_user: true,
      notify_reboot_user: true,
      missed_patch_window: true,
      patch_rule: 'advanced',
      advanced_filter: seed.advanced_filter,
      // the lists the advanced rule does not use are kept as given (not applied)
      filters: seed.filters,
      severity_filter: seed.severity_filter,
      include_optional: false,
      custom_notification_patch_message: seed.custom_notification_patch_message,
      custom_notification_reboot_message: seed.custom_notification_reboot_message,
      custom_notification_patch_message_mac: seed.custom_notification_patch_message_mac,
      custom_notification_reboot_message_mac: seed.custom_notification_reboot_message_mac,
      custom_notification_max_delays: 3,
      custom_notification_deferment_periods: [1, 4, 8],
    });
    assert.equal(p.notes, 'Patch every Mon,Thu,Fri\n1st,3rd,5th Week\nJan,Jun,Dec');

    // the native API shows the same policy, with the schedule decoded by the core's converter
    const native = await s.admin.get(`/api/v1/policies/${p.id}`);
    assert.equal(native.status, 200);
    assert.equal(native.body.name, 'Seed policy');
    assert.equal(native.body.rule.kind, 'advanced');
    assert.deepEqual(native.body.rule.keptLists, {
      patterns: seed.filters,
      severities: seed.severity_filter,
    });
    assert.deepEqual(native.body.targets.groups, [gA]);
    assert.deepEqual(native.body.schedule.recurrence, {
      kind: 'monthly',
      every: 1,
      on: { kind: 'weekdays', nth: [1, 3, 5], days: ['sun', 'mon', 'thu'] },
      months: [1, 6, 12],
    });
    assert.equal(native.body.behaviour.notifications.installMessage, seed.custom_notification_patch_message);

    const got = await s.ax.get(`/api/policies/${p.id}?o=${A}`);
    assert.deepEqual(got.body, p);
    // the seed's PUT: every field of its example body, include_optional true as its cURL sends it
    const put = await s.ax.put(
      `/api/policies/${p.id}?o=${A}`,
      body({ name: 'Modified Name' }, { include_optional: true }),
    );
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.name, 'Modified Name');
    assert.equal(put.body.configuration.include_optional, true);
    assert.equal((await s.admin.get(`/api/v1/policies/${p.id}`)).body.rule.includeOptional, true);
    // what GET shows is a body PUT takes back unchanged
    const again = await s.ax.put(`/api/policies/${p.id}?o=${A}`, put.body);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, put.body);
    // a native policy is listed through the dialect
    const list = await s.ax.get(`/api/policies?o=${A}`);
    assert.ok(list.body.some((x: { id: number }) => x.id === p.id));

    assert.equal((await s.ax.get(`/api/policies/${p.id}?o=${B}`)).status, 404);
    assert.equal((await s.axA.del(`/api/policies/${p.id}?o=${B}`)).status, 403);
    const del = await s.ax.del(`/api/policies/${p.id}?o=${A}`);
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assert.equal((await s.ax.get(`/api/policies/${p.id}?o=${A}`)).status, 404);
    assert.equal((await s.admin.get(`/api/v1/policies/${p.id}`)).status, 404);
  });

  it('takes each documented schedule and shows it again exactly as given', async () => {
    const cases: [number, number, number, string, unknown][] = [
      // every day, every week, every month: a weekly schedule on all days
      [
        254,
        62,
        8190,
        '03:30',
        { kind: 'weekly', every: 1, days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
      ],
      // Mon/Wed/Fri
      [42, 62, 8190, '00:00', { kind: 'weekly', every: 1, days: ['mon', 'wed', 'fri'] }],
      // 146 = 10010010: Sun, Thu, Mon by the bit layout (the seed's note says Mon,Thu,Fri)
      [146, 62, 8190, '23:59', { kind: 'weekly', every: 1, days: ['sun', 'mon', 'thu'] }],
      // 2nd/4th weeks
      [
        42,
        20,
        8190,
        '12:00',
        { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [2, 4], days: ['mon', 'wed', 'fri'] } },
      ],
      // Mar/Jun/Sep/Dec
      [
        254,
        62,
        4680,
        '01:00',
        {
          kind: 'monthly',
          every: 1,
          on: {
            kind: 'weekdays',
            nth: [1, 2, 3, 4, 5],
            days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
          },
          months: [3, 6, 9, 12],
        },
      ],
      // the seed's example: 1st/3rd/5th weeks of Jan, Jun, Dec
      [
        146,
        42,
        4162,
        '01:00',
        {
          kind: 'monthly',
          every: 1,
          on: { kind: 'weekdays', nth: [1, 3, 5], days: ['sun', 'mon', 'thu'] },
          months: [1, 6, 12],
        },
      ],
    ];
    for (const [days, weeks, months, time, recurrence] of cases) {
      const r = await s.ax.post(
        `/api/policies?o=${A}`,
        body({
          schedule_days: days,
          schedule_weeks_of_month: weeks,
          schedule_months: months,
          schedule_time: time,
        }),
      );
      assert.equal(r.status, 201, `${days}/${weeks}/${months}: ${r.text}`);
      assert.deepEqual(
        [r.body.schedule_days, r.body.schedule_weeks_of_month, r.body.schedule_months, r.body.schedule_time],
        [days, weeks, months, time],
      );
      const native = await s.admin.get(`/api/v1/policies/${r.body.id}`);
      assert.deepEqual(native.body.schedule.recurrence, recurrence, `${days}/${weeks}/${months}`);
      assert.equal(native.body.schedule.start.slice(11, 16), time);
      const again = await s.ax.get(`/api/policies/${r.body.id}?o=${A}`);
      assert.deepEqual(
        [again.body.schedule_days, again.body.schedule_weeks_of_month, again.body.schedule_months],
        [days, weeks, months],
      );
    }
  });

  it('enforces every rule of the seed with the exact error', async () => {
    const cases: [string, unknown, string[]][] = [
      ['not an object', [], ['body must be a JSON object, got an array']],
      ['unknown field', body({ colour: 'red' }), ['colour is not a field of a policy']],
      [
        'unknown configuration field',
        body({}, { colour: 'red' }),
        ['configuration.colour is not a field of a policy configuration'],
      ],
      ['name missing', body({ name: undefined }), ['name is required']],
      [
        'name too long',
        body({ name: 'n'.repeat(201) }),
        ['name must be between 1 and 200 characters, got 201'],
      ],
      ['name of a wrong type', body({ name: 5 }), ['name must be a string, got 5']],
      ['policy_type_name missing', body({ policy_type_name: undefined }), ['policy_type_name is required']],
      [
        'policy_type_name unknown',
        body({ policy_type_name: 'script' }),
        ['policy_type_name must be one of patch, custom, required_software, got the string "script"'],
      ],
      ['organization_id missing', body({ organization_id: undefined }), ['organization_id is required']],
      [
        'organization_id not o',
        body({ organization_id: B }),
        [`organization_id must be the organization of o (${A}), got ${B}`],
      ],
      [
        'configuration missing',
        { ...body(), configuration: undefined },
        [
          'configuration is required',
          'configuration.notify_user is required',
          'configuration.patch_rule is required for a patch policy',
        ],
      ],
      [
        'notify_user missing',
        body({}, { notify_user: undefined }),
        ['configuration.notify_user is required'],
      ],
      [
        'auto_patch not boolean',
        body({}, { auto_patch: 'yes' }),
        ['configuration.auto_patch must be true or false, got the string "yes"'],
      ],
      [
        'a setting twice, differently',
        body({ auto_reboot: false }),
        [
          'auto_reboot is given both at the top level and in configuration, with different values; give it once',
        ],
      ],
      [
        'patch_rule missing',
        body({}, { patch_rule: undefined }),
        ['configuration.patch_rule is required for a patch policy'],
      ],
      [
        'patch_rule unknown',
        body({}, { patch_rule: 'some' }),
        ['configuration.patch_rule must be one of all, filter, manual, advanced, got the string "some"'],
      ],
      [
        'filter_type outside filter',
        body({}, { filter_type: 'include' }),
        ['configuration.filter_type is used only with patch_rule filter, not advanced'],
      ],
      [
        'filter_type missing',
        body({}, { patch_rule: 'filter' }),
        ['configuration.filter_type is required with patch_rule filter'],
      ],
      [
        'filter_type unknown',
        body({}, { patch_rule: 'filter', filter_type: 'all' }),
        ['configuration.filter_type must be one of exclude, include, severity, got the string "all"'],
      ],
      [
        'filters missing for include',
        body({}, { patch_rule: 'filter', filter_type: 'include', filters: undefined }),
        ['configuration.filters is required with filter_type include'],
      ],
      [
        'filters empty for exclude',
        body({}, { patch_rule: 'filter', filter_type: 'exclude', filters: [] }),
        ["configuration.filters must list at least one pattern for a rule of kind 'exclude'"],
      ],
      [
        'filter pattern too long',
        body({}, { patch_rule: 'filter', filter_type: 'include', filters: ['x'.repeat(257)] }),
        ['configuration.filters[0] must be between 1 and 256 characters, got 257'],
      ],
      [
        'filters duplicated',
        body({}, { patch_rule: 'filter', filter_type: 'include', filters: ['*KB1*', '*kb1*'] }),
        ['configuration.filters[1] repeats "*kb1*" (already at index 0)'],
      ],
      [
        'severity_filter missing',
        body({}, { patch_rule: 'filter', filter_type: 'severity', severity_filter: undefined }),
        ['configuration.severity_filter is required with filter_type severity'],
      ],
      [
        'severity unknown',
        body({}, { patch_rule: 'filter', filter_type: 'severity', severity_filter: ['urgent'] }),
        [
          'configuration.severity_filter[0] must be one of unknown, none, low, medium, high, critical, got the string "urgent"',
        ],
      ],
      [
        'advanced_filter missing',
        body({}, { advanced_filter: undefined }),
        ['configuration.advanced_filter is required with patch_rule advanced'],
      ],
      [
        'advanced line unknown field',
        body({}, { advanced_filter: [{ left: 'colour', right: 'x', condition: 'is' }] }),
        [
          'configuration.advanced_filter[0].left must be one of severity, patch-source, display-name, package-name, kb, vendor, product, classification, got the string "colour"',
        ],
      ],
      [
        'advanced line bad condition',
        body({}, { advanced_filter: [{ left: 'severity', right: 'high', condition: 'contains' }] }),
        [
          'configuration.advanced_filter[0].condition for severity must be one of is, is-not, greater-than-or-equal-to, less-than-or-equal-to, greater-than, less-than, got the string "contains"',
        ],
      ],
      [
        'advanced line extra key',
        body({}, { advanced_filter: [{ left: 'severity', right: 'high', condition: 'is', op: 1 }] }),
        ['configuration.advanced_filter[0].op is not a field of a filter line'],
      ],
      [
        'Windows message over 125',
        body({}, { custom_notification_patch_message: 'm'.repeat(126) }),
        ['configuration.custom_notification_patch_message must be at most 125 characters, got 126'],
      ],
      [
        'Windows reboot message over 125',
        body({}, { custom_notification_reboot_message: 'm'.repeat(126) }),
        ['configuration.custom_notification_reboot_message must be at most 125 characters, got 126'],
      ],
      [
        'Mac message over 70',
        body({}, { custom_notification_patch_message_mac: 'm'.repeat(71) }),
        ['configuration.custom_notification_patch_message_mac must be at most 70 characters, got 71'],
      ],
      [
        'Mac reboot message over 70',
        body({}, { custom_notification_reboot_message_mac: 'm'.repeat(71) }),
        ['configuration.custom_notification_reboot_message_mac must be at most 70 characters, got 71'],
      ],
      [
        'four deferral periods',
        body({}, { custom_notification_deferment_periods: [1, 2, 4, 8] }),
        ['configuration.custom_notification_deferment_periods must list at most 3 deferral periods, got 4'],
      ],
      [
        'deferral period over 24',
        body({}, { custom_notification_deferment_periods: [1, 25] }),
        ['configuration.custom_notification_deferment_periods[1] must be between 1 and 24 hours, got 25'],
      ],
      [
        'deferral periods not distinct',
        body({}, { custom_notification_deferment_periods: [4, 4] }),
        [
          'configuration.custom_notification_deferment_periods[1] repeats 4 hours (the periods must be distinct) (already at index 0)',
        ],
      ],
      [
        'periods without max delays',
        body({}, { custom_notification_max_delays: undefined }),
        [
          'configuration.custom_notification_max_delays is required when custom_notification_deferment_periods are given (how many times may a user defer?)',
        ],
      ],
      [
        'max delays without periods',
        body({}, { custom_notification_deferment_periods: undefined }),
        [
          'configuration.custom_notification_deferment_periods must list at least one period when custom_notification_max_delays is 3',
        ],
      ],
      ['schedule_days missing', body({ schedule_days: undefined }), ['schedule_days is required']],
      [
        'schedule_days trailing bit',
        body({ schedule_days: 255 }),
        ['schedule_days 255 sets the trailing bit, which must be 0'],
      ],
      [
        'schedule_days beyond 7 days',
        body({ schedule_days: 256 }),
        ['schedule_days 256 sets bits beyond the 7 defined ones (largest is 254)'],
      ],
      [
        'schedule_weeks_of_month beyond 5 weeks',
        body({ schedule_weeks_of_month: 64 }),
        ['schedule_weeks_of_month 64 sets bits beyond the 5 defined ones (largest is 62)'],
      ],
      [
        'schedule_months beyond 12 months',
        body({ schedule_months: 8192 }),
        ['schedule_months 8192 sets bits beyond the 12 defined ones (largest is 8190)'],
      ],
      ['schedule_months nothing', body({ schedule_months: 0 }), ['schedule_months selects nothing (0)']],
      [
        'schedule_days not an integer',
        body({ schedule_days: '146' }),
        ['schedule_days must be an integer bitmask, got the string "146"'],
      ],
      [
        'schedule_time malformed',
        body({ schedule_time: '25:00' }),
        ['schedule_time must be a time "hh:mm", got "25:00"'],
      ],
      [
        'server_groups not an array',
        body({ server_groups: 5 }),
        ['server_groups must be an array of server group ids, got 5'],
      ],
      [
        'server group of another organization',
        body({ server_groups: [s.world.groupB.id] }),
        [`server_groups not in organization ${A}: ${s.world.groupB.id}`],
      ],
      ['id on create', body({ id: 5 }), ['id is given by the server']],
      [
        'worklet field on a patch policy',
        body({}, { evaluation_code: 'exit 0' }),
        ['configuration.evaluation_code is not used by a patch policy'],
      ],
    ];
    const actual: [string, string[] | string][] = [];
    for (const [what, b] of cases) {
      const r = await s.ax.post(`/api/policies?o=${A}`, b);
      actual.push([
        what,
        r.status === 400 ? (r.body.errors as string[]) : `${r.status} ${r.text.slice(0, 100)}`,
      ]);
    }
    assert.deepEqual(
      actual,
      cases.map(([what, , errors]) => [what, errors]),
    );
    // nothing of it was stored
    const list = await s.ax.get(`/api/policies?o=${A}&limit=500`);
    assert.ok(!list.body.some((p: { name: string }) => p.name.length > 200));
  });

  it('checks worklet and required-software bodies with the exact error', async () => {
    const worklet = (config: Record<string, unknown>) => ({
      ...body({ policy_type_name: 'custom' }),
      configuration: { notify_user: false, os_family: 'Linux', remediation_code: 'true', ...config },
    });
    const software = (config: Record<string, unknown>) => ({
      ...body({ policy_type_name: 'required_software' }),
      configuration: {
        notify_user: false,
        os_family: 'Windows',
        package_name: 'curl',
        installation_code: 'winget install curl',
        ...config,
      },
    });
    const cases: [string, unknown, string[]][] = [
      ['os_family missing', worklet({ os_family: undefined }), ['configuration.os_family is required']],
      [
        'os_family unknown',
        worklet({ os_family: 'BeOS' }),
        ['configuration.os_family must be one of Windows, Linux, Mac, got the string "BeOS"'],
      ],
      [
        'remediation_code missing',
        worklet({ remediation_code: undefined }),
        ['configuration.remediation_code is required'],
      ],
      [
        'patch rule on a worklet',
        worklet({ patch_rule: 'all' }),
        ['configuration.patch_rule is used only by a patch policy, not custom'],
      ],
      [
        'package field on a worklet',
        worklet({ package_name: 'curl' }),
        ['configuration.package_name is not used by a policy of type custom'],
      ],
      [
        'package_name missing',
        software({ package_name: undefined }),
        ['configuration.package_name is required'],
      ],
      [
        'installation_code missing',
        software({ installation_code: undefined }),
        ['configuration.installation_code is required'],
      ],
      [
        'worklet field on required software',
        software({ evaluation_code: 'exit 0' }),
        ['configuration.evaluation_code is not used by a policy of type required_software'],
      ],
    ];
    const actual: [string, string[] | string][] = [];
    for (const [what, b] of cases) {
      const r = await s.ax.post(`/api/policies?o=${A}`, b);
      actual.push([
        what,
        r.status === 400 ? (r.body.errors as string[]) : `${r.status} ${r.text.slice(0, 200)}`,
      ]);
    }
    assert.deepEqual(
      actual,
      cases.map(([what, , errors]) => [what, errors]),
    );
    // a valid worklet: the same policy natively, a worklet with the Linux scripts
    const ok = await s.ax.post(`/api/policies?o=${A}`, worklet({ evaluation_code: 'test -f /etc/ok' }));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.policy_type_name, 'custom');
    assert.deepEqual(ok.body.configuration.os_family, 'Linux');
    const native = await s.admin.get(`/api/v1/policies/${ok.body.id}`);
    assert.equal(native.body.kind, 'worklet');
    assert.deepEqual(native.body.worklet.scripts[0].evaluation.code, 'test -f /etc/ok');
    assert.deepEqual(native.body.worklet.scripts[0].osFamily, 'linux');
    const again = await s.ax.put(`/api/policies/${ok.body.id}?o=${A}`, ok.body);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, ok.body);
  });

  it('reads the settings at the top level too, as the parameter table lists them', async () => {
    const b = body(
      { auto_patch: true, notify_user: true },
      { auto_patch: undefined, notify_user: undefined },
    );
    const r = await s.ax.post(`/api/policies?o=${A}`, b);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.configuration.auto_patch, true);
  });

  it('keeps the filter kinds: include, exclude with wildcards, severity, all, manual', async () => {
    const kinds: [Record<string, unknown>, Record<string, unknown>][] = [
      [
        { patch_rule: 'filter', filter_type: 'include', filters: ['*openssl*'] },
        { kind: 'include', patterns: ['*openssl*'] },
      ],
      [
        { patch_rule: 'filter', filter_type: 'exclude', filters: ['tz*'] },
        { kind: 'exclude', patterns: ['tz*'] },
      ],
      [
        { patch_rule: 'filter', filter_type: 'severity', severity_filter: ['critical', 'high'] },
        { kind: 'severity', severities: ['critical', 'high'] },
      ],
      [{ patch_rule: 'all' }, { kind: 'all' }],
      [{ patch_rule: 'manual' }, { kind: 'manual' }],
    ];
    for (const [config, rule] of kinds) {
      const r = await s.ax.post(
        `/api/policies?o=${A}`,
        body(
          {},
          {
            ...config,
            advanced_filter: undefined,
            filters: config.filters,
            severity_filter: config.severity_filter,
          },
        ),
      );
      assert.equal(r.status, 201, r.text);
      for (const [k, v] of Object.entries(config)) assert.deepEqual(r.body.configuration[k], v, k);
      const native = await s.admin.get(`/api/v1/policies/${r.body.id}`);
      for (const [k, v] of Object.entries(rule)) assert.deepEqual(native.body.rule[k], v, k);
    }
  });

  it('an update keeps what Automox cannot name: directly targeted devices and a rollout plan', async () => {
    const plan = await s.admin.post('/api/v1/rollout-plans', {
      organizationId: A,
      name: `rings ${Math.random()}`,
      rings: [{ name: 'first', devices: [s.world.deviceA.id] }],
    });
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    const native = (targets: Record<string, unknown>) => ({
      organizationId: A,
      name: `kept ${Math.random().toString(36).slice(2, 8)}`,
      rule: { kind: 'all' },
      targets,
    });
    const targetsOf = async (id: number) => (await s.admin.get(`/api/v1/policies/${id}`)).body.targets;
    // a policy on a plan: the Automox PUT of what it reads (no server groups) keeps the plan
    const ringed = await s.admin.post('/api/v1/policies', native({ rolloutPlan: plan.body.id }));
    assert.equal(ringed.status, 201, JSON.stringify(ringed.body));
    const read = await s.ax.get(`/api/policies/${ringed.body.id}?o=${A}`);
    assert.deepEqual(read.body.server_groups, []);
    const put = await s.ax.put(
      `/api/policies/${ringed.body.id}?o=${A}`,
      body({ name: read.body.name, server_groups: [] }),
    );
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(await targetsOf(ringed.body.id), {
      groups: [],
      devices: [],
      deviceFilter: null,
      rolloutPlan: plan.body.id,
    });
    // server groups take the plan's place
    const regrouped = await s.ax.put(
      `/api/policies/${ringed.body.id}?o=${A}`,
      body({ name: read.body.name, server_groups: [gA] }),
    );
    assert.equal(regrouped.status, 200, regrouped.text);
    assert.deepEqual((await targetsOf(ringed.body.id)).rolloutPlan, null);
    // devices targeted by themselves stay targeted
    const direct = await s.admin.post(
      '/api/v1/policies',
      native({ groups: [gA], devices: [s.world.deviceA2.id] }),
    );
    assert.equal(direct.status, 201, JSON.stringify(direct.body));
    const name = (await s.ax.get(`/api/policies/${direct.body.id}?o=${A}`)).body.name;
    const again = await s.ax.put(
      `/api/policies/${direct.body.id}?o=${A}`,
      body({ name, server_groups: [gA] }),
    );
    assert.equal(again.status, 200, again.text);
    const t = await targetsOf(direct.body.id);
    assert.deepEqual([t.groups, t.devices], [[gA], [s.world.deviceA2.id]]);
  });

  it('pages with limit and page from 0, and an empty array past the end', async () => {
    const all = (await s.ax.get(`/api/policies?o=${A}`)).body as { id: number }[];
    assert.ok(all.length >= 3);
    const p0 = await s.ax.get(`/api/policies?o=${A}&limit=2&page=0`);
    const p1 = await s.ax.get(`/api/policies?o=${A}&limit=2&page=1`);
    assert.deepEqual(
      p0.body.map((p: { id: number }) => p.id),
      all.slice(0, 2).map((p) => p.id),
    );
    assert.deepEqual(
      p1.body.map((p: { id: number }) => p.id),
      all.slice(2, 4).map((p) => p.id),
    );
    const past = await s.ax.get(`/api/policies?o=${A}&limit=2&page=1000`);
    assert.equal(past.status, 200);
    assert.deepEqual(past.body, []);
  });
});
