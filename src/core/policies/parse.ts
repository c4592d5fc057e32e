import { parseId, type BulletinId, type DeviceId, type GroupId, type Id, type UpdateId } from '../ids.ts';
import { SEVERITIES, isSeverity, type Severity } from '../severity.ts';
import { parseAdvancedFilter, type AdvancedFilter } from './advanced-filter.ts';
import { parseRequiredSoftware, parseWorklet } from '../scripts/parse.ts';
import { POLICY_KINDS, isPolicyKind, type AnyPolicy, type PolicyKind } from './kinds.ts';
import {
  DEFAULT_DOWNLOAD,
  REBOOT_AFTER_MINUTES,
  REBOOT_MESSAGE_MAX,
  minutesOfDay,
  formatTimeOfDay,
  type DownloadSettings,
  type RebootAfterMinutes,
  type RebootPostponement,
  type TimeOfDay,
  type TimeOfDayRange,
  type WindowsUpdateOptions,
  WINDOWS_UPDATE_FIELDS,
} from './behaviour.ts';
import { isDomainError } from '../errors.ts';
import { parseSchedule, type Schedule } from '../schedule/model.ts';
import {
  Issues,
  at,
  checkInt,
  checkString,
  checkUnique,
  got,
  isRecord,
  readArray,
  readBoolean,
  readObject,
  readString,
  rejectUnknown,
  type Json,
} from './fields.ts';
import {
  INSTALL_COMMAND_LINE_MAX,
  NOTIFICATION_LIMITS,
  OS_FAMILIES,
  REBOOT_PENDING_MODES,
  RULE_KINDS,
  type DeviceFilterId,
  type KeptLists,
  type Notifications,
  type OsFamily,
  type PatchClasses,
  type PatchPolicy,
  type PolicyBehaviour,
  type PolicyTargets,
  type RebootPendingMode,
  type RuleKind,
  type RuleMatch,
  type SelectionRule,
  type VendorProductPair,
  type VendorProductSelection,
} from './model.ts';

// The native shape of a patch policy (REST body, CLI file) and its validating parser. Faces of product
// dialects translate their shapes into this one. Unknown fields are errors: a misspelt setting must not
// be silently dropped. Every problem is reported at once, each with its dotted path.

export const POLICY_LIMITS = {
  nameMax: 200,
  notesMax: 4000,
  patterns: 1000,
  patternMax: 256,
  filters: 50,
  listEntries: 10_000,
  targets: 10_000,
  vendorPairs: 500,
  productsPerPair: 500,
  cachingServers: 50,
} as const;

const POLICY_FIELDS = ['name', 'notes', 'enabled', 'rule', 'targets', 'schedule', 'behaviour'];
const RULE_FIELDS = [
  'kind',
  'patterns',
  'severities',
  'filters',
  'bulletins',
  'updates',
  'vendorProducts',
  'classes',
  'includeOptional',
  'keptLists',
];
/** the rule fields each kind uses; any other kind-specific field is an error */
const KIND_FIELDS: Record<RuleKind, readonly string[]> = {
  all: [],
  include: ['patterns'],
  exclude: ['patterns'],
  severity: ['severities'],
  advanced: ['filters'],
  manual: [],
  list: ['bulletins', 'updates'],
};
const KIND_SPECIFIC = ['patterns', 'severities', 'filters', 'bulletins', 'updates'];

/** Parses and validates a native policy body; throws DomainError('invalid') listing every problem. */
export function parsePolicy(input: unknown): PatchPolicy {
  const issues = new Issues();
  if (!isRecord(input)) {
    issues.add('', `a policy must be an object, ${got(input)}`);
    throw issues.error('invalid policy');
  }
  rejectUnknown(input, POLICY_FIELDS, '', issues);
  const common = parseCommon(input, issues);
  const ruleObj = readObject(input, 'rule', '', issues, true);
  const rule = ruleObj && parseRule(ruleObj, 'rule', issues);
  issues.throwIfAny('invalid policy');
  return { ...common, rule: rule! };
}

/** what every kind of policy has: name, notes, enabled, targets, schedule (opaque here), behaviour */
function parseCommon(input: Json, issues: Issues): Omit<PatchPolicy, 'rule'> {
  const name = readString(
    input,
    'name',
    '',
    issues,
    { min: 1, max: POLICY_LIMITS.nameMax, notBlank: true },
    true,
  );
  const notes = readString(input, 'notes', '', issues, { max: POLICY_LIMITS.notesMax }) ?? '';
  const enabled = readBoolean(input, 'enabled', '', issues) ?? true;
  const targetsObj = readObject(input, 'targets', '', issues);
  const targets = targetsObj
    ? parseTargets(targetsObj, 'targets', issues)
    : { groups: [], devices: [], deviceFilter: null };
  const behaviourObj = readObject(input, 'behaviour', '', issues);
  const behaviour = parseBehaviour(behaviourObj ?? {}, 'behaviour', issues);
  return {
    name: (name ?? '').trim(),
    notes,
    enabled,
    targets,
    schedule: input['schedule'] ?? null,
    behaviour: behaviour!,
  };
}

/** the field holding each kind's own settings */
export const KIND_PAYLOAD_FIELD = {
  patch: 'rule',
  worklet: 'worklet',
  'required-software': 'requiredSoftware',
} as const satisfies Record<PolicyKind, string>;

const PAYLOAD_FIELDS: readonly string[] = Object.values(KIND_PAYLOAD_FIELD);

/**
 * Parses a native policy body of any kind: `kind` ('patch' when absent) decides which settings field
 * it carries (`rule`, `worklet` or `requiredSoftware`, see core/scripts); the other fields are common.
 */
export function parseAnyPolicy(input: unknown): AnyPolicy {
  const issues = new Issues();
  if (!isRecord(input)) {
    issues.add('', `a policy must be an object, ${got(input)}`);
    throw issues.error('invalid policy');
  }
  const k = input['kind'] ?? 'patch';
  if (!isPolicyKind(k)) {
    issues.add('kind', `must be one of ${POLICY_KINDS.join(', ')}, ${got(k)}`);
    throw issues.error('invalid policy');
  }
  const { kind: _kind, ...given } = input;
  // what GET answers can be sent back: the other kinds' settings fields come along as null
  const rest = Object.fromEntries(
    Object.entries(given).filter(
      ([f, v]) => !(v === null && f !== KIND_PAYLOAD_FIELD[k] && PAYLOAD_FIELDS.includes(f)),
    ),
  );
  if (k === 'patch') return { kind: 'patch', ...parsePolicy(rest) };
  const field = KIND_PAYLOAD_FIELD[k];
  rejectUnknown(rest, [...POLICY_FIELDS.filter((f) => f !== 'rule'), field], '', issues);
  const common = parseCommon(rest, issues);
  if (rest[field] === undefined) issues.add(field, `is required for a ${k} policy`);
  if (k === 'worklet') {
    const worklet = rest[field] === undefined ? undefined : parseWorklet(rest[field], field, issues);
    issues.throwIfAny('invalid policy');
    return { kind: k, ...common, worklet: worklet! };
  }
  const requiredSoftware =
    rest[field] === undefined ? undefined : parseRequiredSoftware(rest[field], field, issues);
  issues.throwIfAny('invalid policy');
  return { kind: k, ...common, requiredSoftware: requiredSoftware! };
}

// ---- selection rule ----

function parseRule(obj: Json, path: string, issues: Issues): SelectionRule | undefined {
  rejectUnknown(obj, RULE_FIELDS, path, issues);
  const kind = obj['kind'];
  let match: RuleMatch | undefined;
  if (kind === undefined) issues.add(at(path, 'kind'), 'is required');
  else if (typeof kind !== 'string' || !(RULE_KINDS as readonly string[]).includes(kind)) {
    issues.add(at(path, 'kind'), `must be one of ${RULE_KINDS.join(', ')}, ${got(kind)}`);
  } else {
    const k = kind as RuleKind;
    for (const f of KIND_SPECIFIC) {
      if (obj[f] !== undefined && !KIND_FIELDS[k].includes(f)) {
        issues.add(at(path, f), `is not used by a rule of kind '${k}'; it belongs to kind ${kindsUsing(f)}`);
      }
    }
    match = parseMatch(k, obj, path, issues);
  }
  // null, as a rule renders without a restriction (format.ts), is the same as leaving it out
  const vp = obj['vendorProducts'] === null ? undefined : readObject(obj, 'vendorProducts', path, issues);
  const vendorProducts = vp ? parseVendorProducts(vp, at(path, 'vendorProducts'), issues) : null;
  const classesObj = readObject(obj, 'classes', path, issues);
  const classes = parseClasses(classesObj, at(path, 'classes'), issues);
  const includeOptional = readBoolean(obj, 'includeOptional', path, issues) ?? false;
  const keptLists = parseKeptLists(obj['keptLists'], at(path, 'keptLists'), issues);
  if (!match || vendorProducts === undefined) return undefined;
  return { match, vendorProducts, classes, includeOptional, ...(keptLists ? { keptLists } : {}) };
}

/** `{patterns, severities}` kept unapplied, each checked as the rule kinds using it check it; empty = none */
function parseKeptLists(v: unknown, path: string, issues: Issues): KeptLists | null {
  if (v === undefined || v === null) return null;
  if (!isRecord(v)) {
    issues.add(path, `must be an object {patterns, severities} or null, ${got(v)}`);
    return null;
  }
  rejectUnknown(v, ['patterns', 'severities'], path, issues);
  const nonEmpty = (k: string) =>
    !(Array.isArray(v[k]) && (v[k] as unknown[]).length === 0) && v[k] !== undefined;
  const inc = nonEmpty('patterns')
    ? parseMatch('include', { patterns: v.patterns }, path, issues)
    : undefined;
  const sev = nonEmpty('severities')
    ? parseMatch('severity', { severities: v.severities }, path, issues)
    : undefined;
  const patterns = inc?.kind === 'include' ? inc.patterns : [];
  const severities = sev?.kind === 'severity' ? sev.severities : [];
  return patterns.length || severities.length ? { patterns, severities } : null;
}

const kindsUsing = (field: string): string =>
  RULE_KINDS.filter((k) => KIND_FIELDS[k].includes(field))
    .map((k) => `'${k}'`)
    .join(' or ');

function parseMatch(kind: RuleKind, obj: Json, path: string, issues: Issues): RuleMatch | undefined {
  switch (kind) {
    case 'all':
    case 'manual':
      return { kind };
    case 'include':
    case 'exclude': {
      const list = readArray(obj, 'patterns', path, issues, true);
      if (!list) return undefined;
      const p = at(path, 'patterns');
      if (list.length === 0) issues.add(p, `must list at least one pattern for a rule of kind '${kind}'`);
      if (list.length > POLICY_LIMITS.patterns)
        issues.add(p, `must list at most ${POLICY_LIMITS.patterns} patterns, got ${list.length}`);
      const patterns = list.map((v, i) =>
        checkString(v, at(p, i), issues, { min: 1, max: POLICY_LIMITS.patternMax, notBlank: true }),
      );
      checkUnique(patterns, p, issues, (s) => s.toLowerCase());
      return patterns.every((s) => s !== undefined) ? { kind, patterns: patterns as string[] } : undefined;
    }
    case 'severity': {
      const list = readArray(obj, 'severities', path, issues, true);
      if (!list) return undefined;
      const p = at(path, 'severities');
      if (list.length === 0) issues.add(p, "must list at least one severity for a rule of kind 'severity'");
      const severities = list.map((v, i): Severity | undefined => {
        if (typeof v === 'string' && isSeverity(v)) return v;
        issues.add(at(p, i), `must be one of ${SEVERITIES.join(', ')}, ${got(v)}`);
        return undefined;
      });
      checkUnique(severities, p, issues);
      return severities.every((s) => s !== undefined)
        ? { kind, severities: severities as Severity[] }
        : undefined;
    }
    case 'advanced': {
      const list = readArray(obj, 'filters', path, issues, true);
      if (!list) return undefined;
      const p = at(path, 'filters');
      if (list.length === 0)
        issues.add(p, "must list at least one filter line for a rule of kind 'advanced'");
      if (list.length > POLICY_LIMITS.filters)
        issues.add(p, `must list at most ${POLICY_LIMITS.filters} filter lines, got ${list.length}`);
      const filters = list.map((v, i) => parseAdvancedFilter(v, at(p, i), issues));
      return filters.every((f) => f !== undefined)
        ? { kind, filters: filters as AdvancedFilter[] }
        : undefined;
    }
    case 'list': {
      const bulletins = readIds<BulletinId>(
        obj,
        'bulletins',
        path,
        issues,
        'a bulletin id',
        POLICY_LIMITS.listEntries,
      );
      const updates = readIds<UpdateId>(
        obj,
        'updates',
        path,
        issues,
        'an update id',
        POLICY_LIMITS.listEntries,
      );
      if (bulletins?.length === 0 && updates?.length === 0) {
        issues.add(
          path,
          "a rule of kind 'list' must name at least one bulletin or update (bulletins, updates)",
        );
      }
      return bulletins && updates ? { kind, bulletins, updates } : undefined;
    }
  }
}

function readIds<T extends Id<string>>(
  obj: Json,
  key: string,
  path: string,
  issues: Issues,
  what: string,
  max: number,
): T[] | undefined {
  const list = readArray(obj, key, path, issues) ?? [];
  const p = at(path, key);
  if (list.length > max) issues.add(p, `must list at most ${max} entries, got ${list.length}`);
  const ids = list.map((v, i) => {
    const id = parseId<T>(v);
    if (id === undefined) issues.add(at(p, i), `must be ${what} (a positive integer), ${got(v)}`);
    return id;
  });
  checkUnique(ids, p, issues);
  return ids.every((x) => x !== undefined) ? (ids as T[]) : undefined;
}

function parseClasses(obj: Json | undefined, path: string, issues: Issues): PatchClasses {
  if (!obj) return { security: true, nonSecurity: true, manuallyApproved: true };
  rejectUnknown(obj, ['security', 'nonSecurity', 'manuallyApproved'], path, issues);
  const classes = {
    security: readBoolean(obj, 'security', path, issues) ?? true,
    nonSecurity: readBoolean(obj, 'nonSecurity', path, issues) ?? true,
    manuallyApproved: readBoolean(obj, 'manuallyApproved', path, issues) ?? true,
  };
  if (!classes.security && !classes.nonSecurity && !classes.manuallyApproved) {
    issues.add(
      path,
      'must enable at least one of security, nonSecurity, manuallyApproved (otherwise the policy selects nothing)',
    );
  }
  return classes;
}

/** `undefined` when invalid (the caller distinguishes it from null = no vendor/product restriction). */
export function parseVendorProducts(
  obj: Json,
  path: string,
  issues: Issues,
): VendorProductSelection | undefined {
  rejectUnknown(obj, ['mode', 'pairs'], path, issues);
  const mode = obj['mode'];
  let ok = true;
  if (mode !== 'include' && mode !== 'exclude') {
    issues.add(
      at(path, 'mode'),
      mode === undefined ? 'is required' : `must be include or exclude, ${got(mode)}`,
    );
    ok = false;
  }
  const list = readArray(obj, 'pairs', path, issues, true);
  if (!list) return undefined;
  const p = at(path, 'pairs');
  if (list.length === 0) issues.add(p, 'must list at least one vendor/product pair');
  if (list.length > POLICY_LIMITS.vendorPairs)
    issues.add(p, `must list at most ${POLICY_LIMITS.vendorPairs} pairs, got ${list.length}`);
  const pairs = list.map((v, i) => parsePair(v, at(p, i), issues));
  checkUnique(
    pairs,
    p,
    issues,
    (x) => `${x.os ?? '*'}|${x.vendor.toLowerCase()}`,
    (x) => `vendor ${JSON.stringify(x.vendor)}${x.os ? ` for ${x.os}` : ''}`,
  );
  if (!ok || !pairs.every((x) => x !== undefined)) return undefined;
  return { mode: mode as 'include' | 'exclude', pairs: pairs as VendorProductPair[] };
}

function parsePair(v: unknown, path: string, issues: Issues): VendorProductPair | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object {os, vendor, products}, ${got(v)}`);
    return undefined;
  }
  rejectUnknown(v, ['os', 'vendor', 'products'], path, issues);
  let os: OsFamily | null = null;
  const rawOs = v['os'];
  if (rawOs !== undefined && rawOs !== null) {
    if (typeof rawOs === 'string' && (OS_FAMILIES as readonly string[]).includes(rawOs))
      os = rawOs as OsFamily;
    else issues.add(at(path, 'os'), `must be one of ${OS_FAMILIES.join(', ')} or null, ${got(rawOs)}`);
  }
  const vendor = readString(v, 'vendor', path, issues, { min: 1, max: 256, notBlank: true }, true);
  const list = readArray(v, 'products', path, issues) ?? [];
  const pp = at(path, 'products');
  if (list.length > POLICY_LIMITS.productsPerPair)
    issues.add(pp, `must list at most ${POLICY_LIMITS.productsPerPair} products, got ${list.length}`);
  const products = list.map((x, i) =>
    checkString(x, at(pp, i), issues, { min: 1, max: 256, notBlank: true }),
  );
  checkUnique(products, pp, issues, (s) => s.toLowerCase());
  if (vendor === undefined || !products.every((x) => x !== undefined)) return undefined;
  return { os, vendor, products: products as string[] };
}

// ---- targets ----

function parseTargets(obj: Json, path: string, issues: Issues): PolicyTargets {
  rejectUnknown(obj, ['groups', 'devices', 'deviceFilter', 'rolloutPlan'], path, issues);
  const groups = readIds<GroupId>(obj, 'groups', path, issues, 'a group id', POLICY_LIMITS.targets) ?? [];
  const devices = readIds<DeviceId>(obj, 'devices', path, issues, 'a device id', POLICY_LIMITS.targets) ?? [];
  let deviceFilter: DeviceFilterId | null = null;
  const f = obj['deviceFilter'];
  if (f !== undefined && f !== null) {
    const id = parseId<DeviceFilterId>(f);
    if (id === undefined)
      issues.add(
        at(path, 'deviceFilter'),
        `must be a saved device filter id (a positive integer) or null, ${got(f)}`,
      );
    else deviceFilter = id;
  }
  const p = obj['rolloutPlan'];
  if (p === undefined || p === null) return { groups, devices, deviceFilter };
  const rolloutPlan = parseId<Id<'RolloutPlan'>>(p);
  if (rolloutPlan === undefined)
    issues.add(at(path, 'rolloutPlan'), `must be a rollout plan id (a positive integer) or null, ${got(p)}`);
  else if (groups.length || devices.length || deviceFilter !== null)
    issues.add(
      at(path, 'rolloutPlan'),
      'a policy targets either a rollout plan or groups, devices and a device filter: ' +
        'leave targets.groups and targets.devices empty and targets.deviceFilter null, or remove targets.rolloutPlan',
    );
  return { groups, devices, deviceFilter, rolloutPlan: rolloutPlan as number | undefined };
}

// ---- behaviour ----

const BEHAVIOUR_FIELDS = [
  'autoInstall',
  'autoReboot',
  'suppressReboot',
  'rebootPostponement',
  'whenRebootPending',
  'notifications',
  'runMissedAsap',
  'overrideMaintenanceWindows',
  'download',
  'installCommandLine',
  'windowsUpdate',
  'notifySchedule',
  'rebootSchedule',
];

/** `{configure, autoUpdate, peerToPeer, peerToPeerOverInternet, nonOsUpdates}`, each a boolean, default false */
function parseWindowsUpdate(obj: Json, path: string, issues: Issues): WindowsUpdateOptions {
  rejectUnknown(obj, [...WINDOWS_UPDATE_FIELDS], path, issues);
  const read = (k: (typeof WINDOWS_UPDATE_FIELDS)[number]) => readBoolean(obj, k, path, issues) ?? false;
  return {
    configure: read('configure'),
    autoUpdate: read('autoUpdate'),
    peerToPeer: read('peerToPeer'),
    peerToPeerOverInternet: read('peerToPeerOverInternet'),
    nonOsUpdates: read('nonOsUpdates'),
  };
}

/** a schedule of the canonical model (core/schedule), its issues reported under `path` */
function parseBehaviourSchedule(v: unknown, path: string, issues: Issues): Schedule | null {
  if (v === undefined || v === null) return null;
  try {
    return parseSchedule(v);
  } catch (e) {
    if (!isDomainError(e)) throw e;
    for (const i of e.issues) issues.add(`${path}${i.path.replace(/\//g, '.')}`, i.message);
    return null;
  }
}

function parseBehaviour(obj: Json, path: string, issues: Issues): PolicyBehaviour | undefined {
  rejectUnknown(obj, BEHAVIOUR_FIELDS, path, issues);
  const autoInstall = readBoolean(obj, 'autoInstall', path, issues) ?? true;
  const autoReboot = readBoolean(obj, 'autoReboot', path, issues) ?? false;
  const suppressReboot = readBoolean(obj, 'suppressReboot', path, issues) ?? false;
  const rp = obj['rebootPostponement'];
  let rebootPostponement: RebootPostponement | null | undefined = null;
  if (rp !== undefined && rp !== null) {
    rebootPostponement = isRecord(rp)
      ? parseRebootPostponement(rp, at(path, 'rebootPostponement'), issues)
      : (issues.add(at(path, 'rebootPostponement'), `must be an object or null, ${got(rp)}`), undefined);
  }
  if (autoReboot && suppressReboot) {
    issues.add(
      at(path, 'suppressReboot'),
      'cannot be true together with autoReboot: a policy either reboots automatically or never',
    );
  }
  if (suppressReboot && rebootPostponement) {
    issues.add(
      at(path, 'rebootPostponement'),
      'must be null when suppressReboot is true: there is no reboot to postpone',
    );
  }
  const wrp = obj['whenRebootPending'];
  let whenRebootPending: RebootPendingMode = 'default';
  if (wrp !== undefined) {
    if (typeof wrp === 'string' && (REBOOT_PENDING_MODES as readonly string[]).includes(wrp))
      whenRebootPending = wrp as RebootPendingMode;
    else
      issues.add(
        at(path, 'whenRebootPending'),
        `must be one of ${REBOOT_PENDING_MODES.join(', ')}, ${got(wrp)}`,
      );
  }
  const notificationsObj = readObject(obj, 'notifications', path, issues);
  const notifications = parseNotifications(notificationsObj ?? {}, at(path, 'notifications'), issues);
  const runMissedAsap = readBoolean(obj, 'runMissedAsap', path, issues) ?? false;
  const overrideMaintenanceWindows = readBoolean(obj, 'overrideMaintenanceWindows', path, issues) ?? false;
  const downloadObj = readObject(obj, 'download', path, issues);
  const download = downloadObj ? parseDownload(downloadObj, at(path, 'download'), issues) : DEFAULT_DOWNLOAD;
  const cl = obj['installCommandLine'];
  const installCommandLine =
    cl === undefined || cl === null
      ? null
      : (checkString(cl, at(path, 'installCommandLine'), issues, {
          min: 1,
          max: INSTALL_COMMAND_LINE_MAX,
          notBlank: true,
        }) ?? null);
  const wu = obj['windowsUpdate'];
  const windowsUpdate =
    wu === undefined || wu === null
      ? null
      : isRecord(wu)
        ? parseWindowsUpdate(wu, at(path, 'windowsUpdate'), issues)
        : (issues.add(at(path, 'windowsUpdate'), `must be an object or null, ${got(wu)}`), null);
  const notifySchedule = parseBehaviourSchedule(obj['notifySchedule'], at(path, 'notifySchedule'), issues);
  const rebootSchedule = parseBehaviourSchedule(obj['rebootSchedule'], at(path, 'rebootSchedule'), issues);
  if (suppressReboot && rebootSchedule)
    issues.add(
      at(path, 'rebootSchedule'),
      'must be null when suppressReboot is true: there is no reboot to schedule',
    );
  if (rebootPostponement === undefined) return undefined;
  return {
    ...(installCommandLine !== null ? { installCommandLine } : {}),
    ...(windowsUpdate ? { windowsUpdate } : {}),
    ...(notifySchedule ? { notifySchedule } : {}),
    ...(rebootSchedule ? { rebootSchedule } : {}),
    autoInstall,
    autoReboot,
    suppressReboot,
    rebootPostponement,
    whenRebootPending,
    notifications,
    runMissedAsap,
    overrideMaintenanceWindows,
    download,
  };
}

const POSTPONEMENT_MODES = ['user-may-postpone', 'within-interval', 'automatic-after'] as const;

/** Native reboot postponement `{mode, afterMinutes, message, between: {start: "hh:mm", end: "hh:mm"}}`. */
export function parseRebootPostponement(
  obj: Json,
  path: string,
  issues: Issues,
): RebootPostponement | undefined {
  rejectUnknown(obj, ['mode', 'afterMinutes', 'message', 'between'], path, issues);
  const mode = obj['mode'];
  if (typeof mode !== 'string' || !(POSTPONEMENT_MODES as readonly string[]).includes(mode)) {
    issues.add(
      at(path, 'mode'),
      mode === undefined ? 'is required' : `must be one of ${POSTPONEMENT_MODES.join(', ')}, ${got(mode)}`,
    );
    return undefined;
  }
  if (mode === 'user-may-postpone') {
    for (const k of ['afterMinutes', 'message', 'between']) {
      if (obj[k] !== undefined) issues.add(at(path, k), "is not used when mode is 'user-may-postpone'");
    }
    return { mode };
  }
  const afterMinutes = readAfterMinutes(obj['afterMinutes'], at(path, 'afterMinutes'), issues, mode);
  const message =
    obj['message'] === undefined
      ? (issues.add(at(path, 'message'), `is required when mode is '${mode}'`), undefined)
      : checkString(obj['message'], at(path, 'message'), issues, { max: REBOOT_MESSAGE_MAX });
  if (mode === 'automatic-after') {
    if (obj['between'] !== undefined)
      issues.add(at(path, 'between'), "is not used when mode is 'automatic-after'");
    return afterMinutes !== undefined && message !== undefined ? { mode, afterMinutes, message } : undefined;
  }
  const b = obj['between'];
  let between: TimeOfDayRange | undefined;
  if (b === undefined) issues.add(at(path, 'between'), "is required when mode is 'within-interval'");
  else if (!isRecord(b))
    issues.add(at(path, 'between'), `must be an object {start: "hh:mm", end: "hh:mm"}, ${got(b)}`);
  else between = parseTimeRange(b, at(path, 'between'), issues);
  return afterMinutes !== undefined && message !== undefined && between
    ? { mode: 'within-interval', afterMinutes, message, between }
    : undefined;
}

function readAfterMinutes(
  v: unknown,
  path: string,
  issues: Issues,
  mode: string,
): RebootAfterMinutes | undefined {
  if (v === undefined) {
    issues.add(path, `is required when mode is '${mode}'`);
    return undefined;
  }
  if (typeof v !== 'number' || !(REBOOT_AFTER_MINUTES as readonly number[]).includes(v)) {
    issues.add(path, `must be one of ${REBOOT_AFTER_MINUTES.join(', ')} minutes, ${got(v)}`);
    return undefined;
  }
  return v as RebootAfterMinutes;
}

function parseTimeRange(obj: Json, path: string, issues: Issues): TimeOfDayRange | undefined {
  rejectUnknown(obj, ['start', 'end'], path, issues);
  const start = parseTimeOfDay(obj['start'], at(path, 'start'), issues);
  const end = parseTimeOfDay(obj['end'], at(path, 'end'), issues);
  if (!start || !end) return undefined;
  if (minutesOfDay(start) >= minutesOfDay(end)) {
    issues.add(path, `start (${formatTimeOfDay(start)}) must be earlier than end (${formatTimeOfDay(end)})`);
    return undefined;
  }
  return { start, end };
}

export function parseTimeOfDay(v: unknown, path: string, issues: Issues): TimeOfDay | undefined {
  if (v === undefined) {
    issues.add(path, 'is required');
    return undefined;
  }
  const m = typeof v === 'string' ? /^([0-9]{2}):([0-9]{2})$/.exec(v) : null;
  const hour = m ? Number(m[1]) : NaN;
  const minute = m ? Number(m[2]) : NaN;
  if (!m || hour > 23 || minute > 59) {
    issues.add(path, `must be a time "hh:mm" from 00:00 to 23:59, ${got(v)}`);
    return undefined;
  }
  return { hour, minute };
}

const NOTIFICATION_FIELDS = [
  'beforeInstall',
  'beforeReboot',
  'installMessage',
  'rebootMessage',
  'installMessageMac',
  'rebootMessageMac',
  'deferralPeriodsHours',
  'maxDeferrals',
  'progressMessage',
  'rebootReminderMessage',
  'deferralMessage',
];

function parseNotifications(obj: Json, path: string, issues: Issues): Notifications {
  rejectUnknown(obj, NOTIFICATION_FIELDS, path, issues);
  const message = (key: keyof typeof NOTIFICATION_LIMITS): string | null => {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    return checkString(v, at(path, key), issues, { max: NOTIFICATION_LIMITS[key] }) ?? null;
  };
  const periodsList = readArray(obj, 'deferralPeriodsHours', path, issues) ?? [];
  const pp = at(path, 'deferralPeriodsHours');
  if (periodsList.length > NOTIFICATION_LIMITS.deferralPeriods) {
    issues.add(
      pp,
      `must list at most ${NOTIFICATION_LIMITS.deferralPeriods} deferral periods, got ${periodsList.length}`,
    );
  }
  const periods = periodsList.map((v, i) =>
    checkInt(v, at(pp, i), issues, {
      min: 1,
      max: NOTIFICATION_LIMITS.deferralHoursMax,
      rangeText: `between 1 and ${NOTIFICATION_LIMITS.deferralHoursMax} hours`,
    }),
  );
  checkUnique(
    periods,
    pp,
    issues,
    (n) => n,
    (n) => `${n} hours (the periods must be distinct)`,
  );
  const md = obj['maxDeferrals'];
  let maxDeferrals: number | null = null;
  if (md !== undefined && md !== null)
    maxDeferrals =
      checkInt(md, at(path, 'maxDeferrals'), issues, { min: 0, max: NOTIFICATION_LIMITS.maxDeferrals }) ??
      null;
  if (periodsList.length > 0 && maxDeferrals === null && md == null) {
    issues.add(
      at(path, 'maxDeferrals'),
      'is required when deferralPeriodsHours are given (how many times may a user defer?)',
    );
  }
  if (maxDeferrals !== null && maxDeferrals > 0 && periodsList.length === 0) {
    issues.add(pp, `must list at least one period when maxDeferrals is ${maxDeferrals}`);
  }
  return {
    beforeInstall: readBoolean(obj, 'beforeInstall', path, issues) ?? false,
    beforeReboot: readBoolean(obj, 'beforeReboot', path, issues) ?? false,
    installMessage: message('installMessage'),
    rebootMessage: message('rebootMessage'),
    installMessageMac: message('installMessageMac'),
    rebootMessageMac: message('rebootMessageMac'),
    deferralPeriodsHours: periods.filter((n): n is number => n !== undefined),
    maxDeferrals,
    // the Altiris messages are kept only when set, so a body without them reads back without them
    ...optionalMessages(message),
  };
}

const OPTIONAL_MESSAGES = ['progressMessage', 'rebootReminderMessage', 'deferralMessage'] as const;
function optionalMessages(message: (k: (typeof OPTIONAL_MESSAGES)[number]) => string | null) {
  const out: Partial<Record<(typeof OPTIONAL_MESSAGES)[number], string>> = {};
  for (const k of OPTIONAL_MESSAGES) {
    const m = message(k);
    if (m !== null) out[k] = m;
  }
  return out;
}

/** Native download settings `{cachingServers: ["…"], directDownloadFallback: true}`. */
export function parseDownload(obj: Json, path: string, issues: Issues): DownloadSettings {
  rejectUnknown(obj, ['cachingServers', 'directDownloadFallback'], path, issues);
  const list = readArray(obj, 'cachingServers', path, issues) ?? [];
  const p = at(path, 'cachingServers');
  if (list.length > POLICY_LIMITS.cachingServers)
    issues.add(p, `must list at most ${POLICY_LIMITS.cachingServers} caching servers, got ${list.length}`);
  const servers = list.map((v, i) => checkString(v, at(p, i), issues, { min: 1, max: 128, notBlank: true }));
  checkUnique(
    servers,
    p,
    issues,
    (s) => s,
    (s) => `caching server ${JSON.stringify(s)}, which can have one priority only`,
  );
  return {
    cachingServers: servers.filter((s): s is string => s !== undefined),
    directDownloadFallback: readBoolean(obj, 'directDownloadFallback', path, issues) ?? true,
  };
}
