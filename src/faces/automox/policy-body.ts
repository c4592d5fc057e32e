import { DomainError, invalid, type FieldIssue } from '../../core/errors.ts';
import { Issues, at, checkInt, checkString, got, isRecord, type Json } from '../../core/policies/fields.ts';
import { fromAutomox, toAutomox } from '../../core/schedule/automox.ts';
import type { Schedule } from '../../core/schedule/model.ts';
import type { PolicyView } from '../../services/policies.ts';

// The Automox policy object (seed 003, "Update a policy") read into the native policy body and rendered
// back from the native policy. The face only translates: every limit (name, notes, notification message
// lengths, deferral periods, filter lines, wildcard patterns) is the core's (core/policies/parse.ts,
// NOTIFICATION_LIMITS, advanced-filter.ts), whose issues come back here with the Automox field names.
//
// Decisions on the seed, each tested in test/faces/automox/policies.test.ts:
// - The parameter table lists auto_patch, notify_user, patch_rule, filters, … as top-level fields, while
//   the example body puts them inside `configuration`. Both places are read; the same field in both
//   places with different values is refused. The policy is shown with them inside `configuration`.
// - The example body sends `filters` and `severity_filter` with `patch_rule: "advanced"` ("this example
//   shows each filter type included"), so a filter list that the chosen rule does not use is accepted,
//   validated all the same, and kept without being applied (the rule's `keptLists`, core/policies):
//   the policy shows it back as it was given.
//   `filter_type`, which only chooses among filter lists, is refused outside `patch_rule: "filter"`.
// - `patch_rule` is required for a patch policy ("use only with Patch Policy").
// - `organization_id` is required and must be the organization of `o` when `o` is given.
// - Required by the table: name, policy_type_name, organization_id, the four schedule fields,
//   configuration and notify_user. PUT replaces the policy as a whole, so it needs them too.
// - The schedule goes through the core's converter (core/schedule/automox.ts, where the layout and the
//   146 decision are written): the three masks and the time are shown again exactly as given.

export const POLICY_TYPES = ['patch', 'custom', 'required_software'] as const;
export type PolicyTypeName = (typeof POLICY_TYPES)[number];
const PATCH_RULES = ['all', 'filter', 'manual', 'advanced'] as const;
const FILTER_TYPES = ['exclude', 'include', 'severity'] as const;

/** settings that may sit at the top level or in `configuration`, with their native place */
const SETTINGS = [
  'auto_patch',
  'auto_reboot',
  'notify_user',
  'notify_reboot_user',
  'missed_patch_window',
  'patch_rule',
  'filter_type',
  'filters',
  'severity_filter',
  'advanced_filter',
  'include_optional',
  'custom_notification_max_delays',
  'custom_notification_deferment_periods',
  'custom_notification_patch_message',
  'custom_notification_reboot_message',
  'custom_notification_patch_message_mac',
  'custom_notification_reboot_message_mac',
] as const;
type Setting = (typeof SETTINGS)[number];

const TOP_FIELDS = [
  'name',
  'policy_type_name',
  'organization_id',
  'schedule_days',
  'schedule_weeks_of_month',
  'schedule_months',
  'schedule_time',
  'notes',
  'server_groups',
  'configuration',
  // shown by GET, so accepted back unchanged (read-only)
  'id',
  'create_time',
  'server_count',
  ...SETTINGS,
];

/** native issue paths → Automox field names (the rest are renamed by their last segment) */
const NATIVE_TO_AUTOMOX: readonly [RegExp, string][] = [
  [/^name$/, 'name'],
  [/^notes$/, 'notes'],
  [/^rule\.patterns/, 'filters'],
  [/^rule\.severities/, 'severity_filter'],
  [/^rule\.keptLists\.patterns/, 'filters'],
  [/^rule\.keptLists\.severities/, 'severity_filter'],
  [/^rule\.filters/, 'advanced_filter'],
  [/^rule\.includeOptional/, 'include_optional'],
  [/^rule\.kind/, 'patch_rule'],
  [/^targets\.groups/, 'server_groups'],
  [/^behaviour\.autoInstall/, 'auto_patch'],
  [/^behaviour\.autoReboot/, 'auto_reboot'],
  [/^behaviour\.runMissedAsap/, 'missed_patch_window'],
  [/^behaviour\.notifications\.beforeInstall/, 'notify_user'],
  [/^behaviour\.notifications\.beforeReboot/, 'notify_reboot_user'],
  [/^behaviour\.notifications\.installMessageMac/, 'custom_notification_patch_message_mac'],
  [/^behaviour\.notifications\.rebootMessageMac/, 'custom_notification_reboot_message_mac'],
  [/^behaviour\.notifications\.installMessage/, 'custom_notification_patch_message'],
  [/^behaviour\.notifications\.rebootMessage/, 'custom_notification_reboot_message'],
  [/^behaviour\.notifications\.deferralPeriodsHours/, 'custom_notification_deferment_periods'],
  [/^behaviour\.notifications\.maxDeferrals/, 'custom_notification_max_delays'],
  [/^schedule/, 'schedule'],
  [/^kind/, 'policy_type_name'],
  [/^deviceId/, 'serverId'],
  [/^worklet\.scripts\[\d+\]\.osFamily/, 'os_family'],
  [/^worklet\.scripts\[\d+\]\.evaluation(\.code)?/, 'evaluation_code'],
  [/^worklet\.scripts\[\d+\]\.remediation(\.code)?/, 'remediation_code'],
  [/^worklet\.scripts/, 'os_family'],
  [/^requiredSoftware\.osFamily/, 'os_family'],
  [/^requiredSoftware\.packageName/, 'package_name'],
  [/^requiredSoftware\.packageVersion/, 'package_version'],
  [/^requiredSoftware\.installation(\.code)?/, 'installation_code'],
];
/** configuration fields of worklets and required-software policies */
const SCRIPT_FIELDS = new Set([
  'os_family',
  'evaluation_code',
  'remediation_code',
  'package_name',
  'package_version',
  'installation_code',
]);
const CONFIG_SETTINGS = new Set<string>(SETTINGS);

/** native field names that core messages mention */
const MESSAGE_WORDS: Record<string, string> = {
  deferralPeriodsHours: 'custom_notification_deferment_periods',
  maxDeferrals: 'custom_notification_max_delays',
};

/** the Automox name of a native issue path, keeping an index suffix (`filters[2]`, `advanced_filter[0].right`) */
export function automoxPath(path: string): string {
  for (const [re, name] of NATIVE_TO_AUTOMOX) {
    const m = re.exec(path);
    if (!m) continue;
    let rest = path.slice(m[0].length);
    if (name === 'advanced_filter') rest = rest.replace(/\.field$/, '.left').replace(/\.value$/, '.right');
    // a script's own fields (shell, code) are the Automox field itself
    if (SCRIPT_FIELDS.has(name)) rest = rest.replace(/^\.(code|shell)$/, '');
    const full = `${name}${rest}`;
    return CONFIG_SETTINGS.has(name) || SCRIPT_FIELDS.has(name) ? `configuration.${full}` : full;
  }
  return path;
}

/** a domain error whose issues name native fields, renamed to the Automox ones */
export function renameIssues(e: unknown): unknown {
  if (!(e instanceof DomainError) || e.kind !== 'invalid' || !e.issues.length) return e;
  const issues: FieldIssue[] = e.issues.map((i) => ({
    ...i,
    path: automoxPath(i.path),
    message: i.message.replace(/\b(deferralPeriodsHours|maxDeferrals)\b/g, (w) => MESSAGE_WORDS[w] ?? w),
  }));
  return invalid(`invalid policy: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
}

export interface AutomoxPolicyInput {
  organizationId: number;
  type: PolicyTypeName;
  /** the native body (core/policies/parse.ts) */
  body: Record<string, unknown>;
  /** type-specific configuration (worklet and required-software fields), for the services of those kinds */
  configuration: Json;
}

function mask(v: unknown, key: string, issues: Issues) {
  if (v === undefined) issues.add(key, 'is required');
  else if (typeof v !== 'number' || !Number.isInteger(v))
    issues.add(key, `must be an integer bitmask, ${got(v)}`);
}

/**
 * Reads an Automox policy body (POST, PUT). `orgOfQuery` is the `o` parameter; `idOfPath` the id of PUT.
 * Throws `invalid` naming every Automox field that is wrong.
 */
export function readAutomoxPolicy(
  raw: unknown,
  orgOfQuery: number | undefined,
  idOfPath?: number,
): AutomoxPolicyInput {
  const issues = new Issues();
  if (!isRecord(raw)) {
    issues.add('body', `must be a JSON object, ${got(raw)}`);
    throw issues.error('invalid policy');
  }
  for (const k of Object.keys(raw)) if (!TOP_FIELDS.includes(k)) issues.add(k, 'is not a field of a policy');
  const cfg = raw.configuration;
  if (cfg === undefined) issues.add('configuration', 'is required');
  else if (!isRecord(cfg)) issues.add('configuration', `must be an object, ${got(cfg)}`);
  const config: Json = isRecord(cfg) ? cfg : {};

  // type
  const typeRaw = raw.policy_type_name;
  let type: PolicyTypeName | undefined;
  if (typeRaw === undefined) issues.add('policy_type_name', 'is required');
  else if (typeof typeRaw !== 'string' || !(POLICY_TYPES as readonly string[]).includes(typeRaw))
    issues.add('policy_type_name', `must be one of ${POLICY_TYPES.join(', ')}, ${got(typeRaw)}`);
  else type = typeRaw as PolicyTypeName;

  // organization
  let organizationId: number | undefined;
  const org = raw.organization_id;
  if (org === undefined) issues.add('organization_id', 'is required');
  else {
    const n = typeof org === 'string' && /^[0-9]{1,15}$/.test(org) ? Number(org) : org;
    organizationId = checkInt(n, 'organization_id', issues, { min: 1 });
    if (organizationId !== undefined && orgOfQuery !== undefined && organizationId !== orgOfQuery)
      issues.add('organization_id', `must be the organization of o (${orgOfQuery}), got ${organizationId}`);
  }
  if (raw.id !== undefined && idOfPath !== undefined && raw.id !== idOfPath)
    issues.add('id', `must be the id of the path (${idOfPath}) or absent, ${got(raw.id)}`);
  if (raw.id !== undefined && idOfPath === undefined) issues.add('id', 'is given by the server');

  // settings: top level or configuration, never two different values
  const setting = (k: Setting): unknown => {
    const top = raw[k];
    const inner = config[k];
    if (top !== undefined && inner !== undefined && JSON.stringify(top) !== JSON.stringify(inner))
      issues.add(
        k,
        'is given both at the top level and in configuration, with different values; give it once',
      );
    return inner !== undefined ? inner : top;
  };
  const bool = (k: Setting, required = false): boolean | undefined => {
    const v = setting(k);
    if (v === undefined) {
      if (required) issues.add(`configuration.${k}`, 'is required');
      return undefined;
    }
    if (typeof v !== 'boolean') {
      issues.add(`configuration.${k}`, `must be true or false, ${got(v)}`);
      return undefined;
    }
    return v;
  };
  const autoPatch = bool('auto_patch');
  const autoReboot = bool('auto_reboot');
  const notifyUser = bool('notify_user', true);
  const notifyReboot = bool('notify_reboot_user');
  const missed = bool('missed_patch_window');
  const includeOptional = bool('include_optional');

  // schedule: present and integers here; the converter checks the layout
  mask(raw.schedule_days, 'schedule_days', issues);
  mask(raw.schedule_weeks_of_month, 'schedule_weeks_of_month', issues);
  mask(raw.schedule_months, 'schedule_months', issues);
  if (raw.schedule_time === undefined) issues.add('schedule_time', 'is required');
  let schedule: Schedule | undefined;
  if (!issues.list.some((i) => i.path.startsWith('schedule_'))) {
    try {
      schedule = fromAutomox({
        schedule_days: raw.schedule_days,
        schedule_weeks_of_month: raw.schedule_weeks_of_month,
        schedule_months: raw.schedule_months,
        schedule_time: raw.schedule_time,
      });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      for (const i of e.issues) issues.add(i.path.replace(/^\//, ''), i.message);
    }
  }

  // server groups
  let groups: unknown[] = [];
  const sg = raw.server_groups;
  if (sg !== undefined && sg !== null) {
    if (!Array.isArray(sg)) issues.add('server_groups', `must be an array of server group ids, ${got(sg)}`);
    else groups = sg;
  }

  // the selection rule (patch policies)
  const rule = readRule(type, setting, issues, includeOptional);

  // custom notifications: only their shape here; their limits and deferral rules are the core's
  const text = (k: Setting) => {
    const v = setting(k);
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string'
      ? v
      : (issues.add(`configuration.${k}`, `must be a string, ${got(v)}`), undefined);
  };
  const installMessage = text('custom_notification_patch_message');
  const rebootMessage = text('custom_notification_reboot_message');
  const installMessageMac = text('custom_notification_patch_message_mac');
  const rebootMessageMac = text('custom_notification_reboot_message_mac');
  const periods = setting('custom_notification_deferment_periods');
  const maxDelays = setting('custom_notification_max_delays');

  // type-specific configuration fields are left to their kind; unknown ones refused
  const typeFields: Json = {};
  for (const [k, v] of Object.entries(config)) {
    if (CONFIG_SETTINGS.has(k)) continue;
    if (type && type !== 'patch' && TYPE_FIELDS[type].includes(k)) typeFields[k] = v;
    else
      issues.add(
        `configuration.${k}`,
        type && type !== 'patch' && [...TYPE_FIELDS.custom, ...TYPE_FIELDS.required_software].includes(k)
          ? `is not used by a policy of type ${type}`
          : type === 'patch' && [...TYPE_FIELDS.custom, ...TYPE_FIELDS.required_software].includes(k)
            ? 'is not used by a patch policy'
            : 'is not a field of a policy configuration',
      );
  }

  if (type && type !== 'patch') {
    const os = config.os_family;
    if (os === undefined) issues.add('configuration.os_family', 'is required');
    else if (typeof os !== 'string' || !OS_OF[os.toLowerCase()])
      issues.add('configuration.os_family', `must be one of Windows, Linux, Mac, ${got(os)}`);
  }
  const name = raw.name;
  if (name === undefined) issues.add('name', 'is required');
  issues.throwIfAny('invalid policy');

  const notifications: Json = {
    beforeInstall: notifyUser,
    ...(notifyReboot !== undefined ? { beforeReboot: notifyReboot } : {}),
    ...(installMessage !== undefined ? { installMessage } : {}),
    ...(rebootMessage !== undefined ? { rebootMessage } : {}),
    ...(installMessageMac !== undefined ? { installMessageMac } : {}),
    ...(rebootMessageMac !== undefined ? { rebootMessageMac } : {}),
    ...(periods !== undefined && periods !== null ? { deferralPeriodsHours: periods } : {}),
    ...(maxDelays !== undefined ? { maxDeferrals: maxDelays } : {}),
  };
  const body: Record<string, unknown> = {
    name,
    notes: raw.notes ?? '',
    ...(type === 'patch' ? { rule: rule ?? { kind: 'all' } } : scriptBody(type!, typeFields)),
    targets: { groups },
    schedule,
    behaviour: {
      ...(autoPatch !== undefined ? { autoInstall: autoPatch } : {}),
      ...(autoReboot !== undefined ? { autoReboot } : {}),
      ...(missed !== undefined ? { runMissedAsap: missed } : {}),
      notifications,
    },
  };
  return { organizationId: organizationId!, type: type!, body, configuration: typeFields };
}

/**
 * configuration fields of the other policy types (seed's response schema). `test_code` of the schema is
 * not taken: Patchline's worklet has one evaluation, `evaluation_code`.
 */
export const TYPE_FIELDS: Record<Exclude<PolicyTypeName, 'patch'>, readonly string[]> = {
  custom: ['os_family', 'evaluation_code', 'remediation_code'],
  required_software: ['os_family', 'package_name', 'package_version', 'installation_code'],
};

/** Automox's OS family names (Windows, Linux, Mac) ↔ the domain's */
const OS_OF: Record<string, string> = { windows: 'windows', linux: 'linux', mac: 'macos', macos: 'macos' };
const OS_NAME: Record<string, string> = { windows: 'Windows', linux: 'Linux', macos: 'Mac' };

/**
 * The native payload of a worklet (`custom`) or a required-software policy. Scripts run with the shell
 * of their OS family (sh on Linux and macOS, PowerShell on Windows). Missing or malformed values are
 * left to the core's parser, whose issues come back under the Automox names (automoxPath).
 */
function scriptBody(type: Exclude<PolicyTypeName, 'patch'>, c: Json): Json {
  const rawOs = c.os_family;
  const osFamily = typeof rawOs === 'string' ? (OS_OF[rawOs.toLowerCase()] ?? rawOs) : rawOs;
  const script = (v: unknown) => (v === undefined || v === null ? v : { code: v });
  if (type === 'custom')
    return {
      kind: 'worklet',
      worklet: {
        scripts: [
          {
            osFamily,
            evaluation: script(c.evaluation_code) ?? null,
            remediation: script(c.remediation_code),
          },
        ],
      },
    };
  return {
    kind: 'required-software',
    requiredSoftware: {
      osFamily,
      packageName: c.package_name,
      packageVersion: c.package_version ?? null,
      installation: script(c.installation_code),
    },
  };
}

function readRule(
  type: PolicyTypeName | undefined,
  setting: (k: Setting) => unknown,
  issues: Issues,
  includeOptional: boolean | undefined,
): Json | undefined {
  const patchRule = setting('patch_rule');
  const filterType = setting('filter_type');
  const filters = setting('filters');
  const severities = setting('severity_filter');
  const advanced = setting('advanced_filter');
  if (type !== 'patch') {
    for (const [k, v] of [
      ['patch_rule', patchRule],
      ['filter_type', filterType],
      ['filters', filters],
      ['severity_filter', severities],
      ['advanced_filter', advanced],
      ['include_optional', includeOptional],
    ] as const)
      if (v !== undefined && type)
        issues.add(`configuration.${k}`, `is used only by a patch policy, not ${type}`);
    return undefined;
  }
  // every list given is checked for its shape, used or not (see the decision above)
  const list = (k: Setting, v: unknown): unknown[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      issues.add(`configuration.${k}`, `must be an array, ${got(v)}`);
      return undefined;
    }
    return v;
  };
  const filterList = list('filters', filters);
  filterList?.forEach((f, i) =>
    checkString(f, at('configuration.filters', i), issues, { min: 1, max: 256, notBlank: true }),
  );
  const severityList = list('severity_filter', severities);
  const advancedList = list('advanced_filter', advanced)?.map((line, i) => {
    const p = at('configuration.advanced_filter', i);
    if (!isRecord(line)) {
      issues.add(p, `must be an object {left, condition, right}, ${got(line)}`);
      return undefined;
    }
    for (const k of Object.keys(line))
      if (!['left', 'right', 'condition'].includes(k))
        issues.add(at(p, k), 'is not a field of a filter line');
    return { field: line.left, condition: line.condition, value: line.right };
  });
  // the lists the chosen rule does not use are kept (not applied), as Automox keeps them
  const kept = (usesPatterns: boolean, usesSeverities: boolean) => {
    const patterns = usesPatterns ? [] : (filterList ?? []);
    const severities = usesSeverities ? [] : (severityList ?? []);
    return patterns.length || severities.length ? { keptLists: { patterns, severities } } : {};
  };
  const base = includeOptional !== undefined ? { includeOptional } : {};
  if (patchRule === undefined) {
    issues.add('configuration.patch_rule', 'is required for a patch policy');
    return undefined;
  }
  if (typeof patchRule !== 'string' || !(PATCH_RULES as readonly string[]).includes(patchRule)) {
    issues.add('configuration.patch_rule', `must be one of ${PATCH_RULES.join(', ')}, ${got(patchRule)}`);
    return undefined;
  }
  if (patchRule !== 'filter' && filterType !== undefined)
    issues.add('configuration.filter_type', `is used only with patch_rule filter, not ${patchRule}`);
  switch (patchRule) {
    case 'all':
    case 'manual':
      return { kind: patchRule, ...base, ...kept(false, false) };
    case 'advanced':
      if (advancedList === undefined) {
        issues.add('configuration.advanced_filter', 'is required with patch_rule advanced');
        return undefined;
      }
      return { kind: 'advanced', filters: advancedList, ...base, ...kept(false, false) };
    case 'filter': {
      if (filterType === undefined) {
        issues.add('configuration.filter_type', 'is required with patch_rule filter');
        return undefined;
      }
      if (typeof filterType !== 'string' || !(FILTER_TYPES as readonly string[]).includes(filterType)) {
        issues.add(
          'configuration.filter_type',
          `must be one of ${FILTER_TYPES.join(', ')}, ${got(filterType)}`,
        );
        return undefined;
      }
      if (filterType === 'severity') {
        if (severityList === undefined) {
          issues.add('configuration.severity_filter', 'is required with filter_type severity');
          return undefined;
        }
        return { kind: 'severity', severities: severityList, ...base, ...kept(false, true) };
      }
      if (filterList === undefined) {
        issues.add('configuration.filters', `is required with filter_type ${filterType}`);
        return undefined;
      }
      return { kind: filterType, patterns: filterList, ...base, ...kept(true, false) };
    }
  }
  return undefined;
}

// ---- rendering ----

/** the configuration fields of a worklet or a required-software policy (its first OS family's scripts) */
function scriptConfiguration(p: PolicyView): Json {
  if (p.worklet) {
    const w = p.worklet.scripts[0];
    if (!w) return {};
    return {
      os_family: OS_NAME[w.osFamily] ?? w.osFamily,
      ...(w.evaluation ? { evaluation_code: w.evaluation.code } : {}),
      remediation_code: w.remediation.code,
    };
  }
  if (p.requiredSoftware) {
    const r = p.requiredSoftware;
    return {
      os_family: OS_NAME[r.osFamily] ?? r.osFamily,
      package_name: r.packageName,
      ...(r.packageVersion !== null ? { package_version: r.packageVersion } : {}),
      installation_code: r.installation.code,
    };
  }
  return {};
}

/**
 * The masks of a schedule; all zero (and no time) for a native policy whose schedule Automox cannot
 * express (an interval, a day of the month, a window…) or that has none: Automox clients read 0 as
 * "no day selected", which is the closest true statement.
 */
function automoxSchedule(s: Schedule | null) {
  if (!s) return null;
  try {
    return toAutomox(s);
  } catch (e) {
    if (e instanceof DomainError) return null;
    throw e;
  }
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** the Automox policy object of a native policy (the same policy the console shows) */
/** Automox's policy type of a policy kind */
export const typeName = (kind: PolicyView['kind']): PolicyTypeName =>
  kind === 'worklet' ? 'custom' : kind === 'required-software' ? 'required_software' : 'patch';

export function renderPolicy(p: PolicyView) {
  const type = typeName(p.kind);
  const extra = scriptConfiguration(p);
  const n = p.behaviour.notifications;
  const r = p.rule ?? { kind: 'all', includeOptional: false };
  const rule: Json =
    r.kind === 'all' || r.kind === 'manual'
      ? { patch_rule: r.kind }
      : r.kind === 'advanced'
        ? {
            patch_rule: 'advanced',
            advanced_filter: (r.filters ?? []).map((f) => ({
              left: f.field,
              right: f.value,
              condition: f.condition,
            })),
          }
        : r.kind === 'severity'
          ? { patch_rule: 'filter', filter_type: 'severity', severity_filter: r.severities ?? [] }
          : r.kind === 'include' || r.kind === 'exclude'
            ? { patch_rule: 'filter', filter_type: r.kind, filters: r.patterns ?? [] }
            : { patch_rule: r.kind };
  // lists kept without being applied are shown where the rule does not show its own
  const kl = 'keptLists' in r ? r.keptLists : undefined;
  const keptLists: Json = {
    ...(kl?.patterns.length && rule.filters === undefined ? { filters: kl.patterns } : {}),
    ...(kl?.severities.length && rule.severity_filter === undefined
      ? { severity_filter: kl.severities }
      : {}),
  };
  const schedule = automoxSchedule(p.schedule);
  return {
    id: p.id,
    name: p.name,
    policy_type_name: type,
    organization_id: p.organizationId,
    configuration: {
      auto_patch: p.behaviour.autoInstall,
      auto_reboot: p.behaviour.autoReboot,
      notify_user: n.beforeInstall,
      notify_reboot_user: n.beforeReboot,
      missed_patch_window: p.behaviour.runMissedAsap,
      ...(type === 'patch' ? { ...rule, ...keptLists, include_optional: r.includeOptional } : {}),
      ...(n.installMessage !== null ? { custom_notification_patch_message: n.installMessage } : {}),
      ...(n.rebootMessage !== null ? { custom_notification_reboot_message: n.rebootMessage } : {}),
      ...(n.installMessageMac !== null ? { custom_notification_patch_message_mac: n.installMessageMac } : {}),
      ...(n.rebootMessageMac !== null ? { custom_notification_reboot_message_mac: n.rebootMessageMac } : {}),
      ...(n.maxDeferrals !== null ? { custom_notification_max_delays: n.maxDeferrals } : {}),
      ...(n.deferralPeriodsHours.length
        ? { custom_notification_deferment_periods: n.deferralPeriodsHours }
        : {}),
      ...extra,
    },
    schedule_days: schedule?.schedule_days ?? 0,
    schedule_weeks_of_month: schedule?.schedule_weeks_of_month ?? 0,
    schedule_months: schedule?.schedule_months ?? 0,
    schedule_time: schedule?.schedule_time ?? '',
    notes: p.notes,
    create_time: iso(p.createdAt),
    server_groups: p.targets.groups,
  };
}

/** Automox's OS family names (servers, device previews) */
export const automoxOsFamily = (f: string | null | undefined) =>
  f === 'macos' ? 'Mac' : f === 'windows' ? 'Windows' : f === 'linux' ? 'Linux' : 'Unknown';
