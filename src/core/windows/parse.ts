import type {
  DownloadSettings,
  RebootPostponement,
  TimeOfDay,
  TimeOfDayRange,
} from '../policies/behaviour.ts';
import {
  Issues,
  at,
  checkInt,
  checkString,
  got,
  isRecord,
  readArray,
  readBoolean,
  readObject,
  type Json,
} from '../policies/fields.ts';
import type { OsFamily } from '../policies/model.ts';
import type { Schedule } from '../schedule/model.ts';
import { canonicalOfGz, type GzWindowSchedule } from './gz-form.ts';
import { parseGzOldScheduler, parseGzScheduler } from './gz-schedule.ts';
import {
  checkSwitches,
  PATCH_CLASSES,
  type MaintenanceWindowSettings,
  type PatchClass,
  type SwitchValues,
  type WindowFieldNames,
} from './model.ts';
import {
  checkCachingServers,
  checkPatchIds,
  readClassWindows,
  readPostponement,
  readVendorPairs,
  vendorProductPair,
  type PostponementFieldNames,
} from './read.ts';

// The native API's window settings (the shape a GET returns), validated into the stored settings with
// canonical schedules. Each schedule is `{format, value}` with one of GravityZone's schedule objects as
// value (the native API's form since windows began, see gz-form.ts), read with GravityZone's schedule
// rules and converted. Every problem is reported at once, at its native dotted path.

const SCHEDULE_FORMATS = {
  'gravityzone-scheduler': 'current',
  'gravityzone-old-scheduler': 'fallback',
} as const;
type ScheduleFormat = keyof typeof SCHEDULE_FORMATS;
const POSTPONE_MODES = ['user-may-postpone', 'within-interval', 'automatic-after'] as const;
const OS: readonly OsFamily[] = ['windows', 'linux', 'macos'];

function only(o: Json, allowed: readonly string[], path: string, issues: Issues): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) issues.add(at(path, k), `is not a field; allowed: ${allowed.join(', ')}`);
}

const names = (p: string): WindowFieldNames => ({
  scanEnabled: { path: `${p}.scan.enabled`, word: 'scan.enabled' },
  installEnabled: 'install.enabled',
  classes: `${p}.install`,
  class: {
    security: { path: `${p}.install.security`, word: 'install.security' },
    nonSecurity: { path: `${p}.install.nonSecurity`, word: 'install.nonSecurity' },
    manuallyApproved: { path: `${p}.install.manuallyApproved`, word: 'install.manuallyApproved' },
  },
  sameSchedule: 'scan.sameScheduleForAll',
});

/**
 * A schedule `{format, value}`: validated whatever its format; returned when it has the window's format.
 * When `required`, one of the window's format must be there.
 */
function readSchedule(
  v: unknown,
  path: string,
  issues: Issues,
  use: 'scan' | 'install',
  want: 'current' | 'fallback' | undefined,
  need: { required: boolean; because: string },
): Schedule | null {
  const formatText = want === 'fallback' ? 'gravityzone-old-scheduler' : 'gravityzone-scheduler';
  if (v === undefined || v === null) {
    if (need.required && want)
      issues.add(
        at(path, 'value'),
        `is required when ${need.because} and scan.scheduleFormat is "${want}" (format "${formatText}")`,
      );
    return null;
  }
  if (!isRecord(v) || typeof v.format !== 'string' || !(v.format in SCHEDULE_FORMATS)) {
    issues.add(
      at(path, 'format'),
      `must be ${Object.keys(SCHEDULE_FORMATS).join(' or ')} with the schedule in "value"`,
    );
    return null;
  }
  only(v, ['format', 'value'], path, issues);
  const format = v.format as ScheduleFormat;
  const vp = at(path, 'value');
  let ws: GzWindowSchedule | undefined;
  if (format === 'gravityzone-scheduler') {
    const value = parseGzScheduler(v.value, vp, issues, use);
    if (value) ws = { format, value };
  } else {
    const value = parseGzOldScheduler(v.value, vp, issues, use);
    if (value) ws = { format, value };
  }
  if (!want) return null;
  if (SCHEDULE_FORMATS[format] !== want) {
    // a schedule of the other format is checked and left out, as the window does not use it
    if (need.required)
      issues.add(
        vp,
        `is required when ${need.because} and scan.scheduleFormat is "${want}" (format "${formatText}")`,
      );
    return null;
  }
  return ws ? canonicalOfGz(ws) : null;
}

/** an absent field is reported as required; present ones are checked by `check` */
function needed<T>(
  v: unknown,
  path: string,
  issues: Issues,
  check: () => T | undefined,
  why = '',
): T | undefined {
  if (v !== undefined) return check();
  issues.add(path, why ? `is required ${why}` : 'is required');
  return undefined;
}

function readTime(v: unknown, path: string, issues: Issues): TimeOfDay | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object {hour, minute}, ${got(v)}`);
    return undefined;
  }
  only(v, ['hour', 'minute'], path, issues);
  const hour = needed(v.hour, at(path, 'hour'), issues, () =>
    checkInt(v.hour, at(path, 'hour'), issues, { min: 0, max: 23 }),
  );
  const minute = needed(v.minute, at(path, 'minute'), issues, () =>
    checkInt(v.minute, at(path, 'minute'), issues, { min: 0, max: 59 }),
  );
  return hour === undefined || minute === undefined ? undefined : { hour, minute };
}

function readReboot(i: Json, ip: string, issues: Issues): RebootPostponement | undefined {
  const path = at(ip, 'rebootPostponement');
  const v = readObject(i, 'rebootPostponement', ip, issues);
  if (!v) return i.rebootPostponement === undefined ? { mode: 'user-may-postpone' } : undefined;
  only(v, ['mode', 'afterMinutes', 'message', 'between'], path, issues);
  const mode = POSTPONE_MODES.find((m) => m === v.mode);
  if (!mode) {
    issues.add(at(path, 'mode'), `must be one of ${POSTPONE_MODES.join(', ')}, ${got(v.mode)}`);
    return undefined;
  }
  if (mode === 'user-may-postpone') return { mode };
  return readPostponement(mode, `when mode is "${mode}"`, v, path, POSTPONE_FIELDS, issues, (b, bp) =>
    readBetween(b, bp, issues),
  );
}

const POSTPONE_FIELDS: PostponementFieldNames = {
  afterMinutes: 'afterMinutes',
  message: 'message',
  between: 'between',
};

function readBetween(v: unknown, bp: string, issues: Issues): TimeOfDayRange | undefined {
  if (!isRecord(v)) {
    issues.add(bp, `must be an object {start, end}, ${got(v)}`);
    return undefined;
  }
  only(v, ['start', 'end'], bp, issues);
  const start = readTime(v.start, at(bp, 'start'), issues);
  const end = readTime(v.end, at(bp, 'end'), issues);
  if (start && end && start.hour * 60 + start.minute >= end.hour * 60 + end.minute)
    issues.add(bp, 'start must be before end (the same day)');
  else if (start && end) return { start, end };
  return undefined;
}

function readVendorProducts(i: Json, ip: string, issues: Issues) {
  const path = at(ip, 'vendorProducts');
  const v = readObject(i, 'vendorProducts', ip, issues);
  if (!v) return { enabled: false, mode: 'include' as const, pairs: [] };
  only(v, ['enabled', 'mode', 'pairs'], path, issues);
  const enabled = readBoolean(v, 'enabled', path, issues, true);
  if (v.mode === undefined) {
    if (enabled === true) issues.add(at(path, 'mode'), 'is required');
  } else if (v.mode !== 'include' && v.mode !== 'exclude')
    issues.add(at(path, 'mode'), `must be "include" or "exclude", got ${JSON.stringify(v.mode)}`);
  const list = readArray(v, 'pairs', path, issues) ?? [];
  const pairs = readVendorPairs(list, at(path, 'pairs'), issues, (p, pp) => {
    only(p, ['os', 'vendor', 'products'], pp, issues);
    const vendor = needed(p.vendor, at(pp, 'vendor'), issues, () =>
      checkString(p.vendor, at(pp, 'vendor'), issues, { min: 1, notBlank: true }),
    );
    let os: OsFamily | undefined;
    if (p.os !== undefined && p.os !== null) {
      if (!OS.includes(p.os as OsFamily))
        issues.add(at(pp, 'os'), `must be one of ${OS.join(', ')}, ${got(p.os)}`);
      else os = p.os as OsFamily;
    }
    const products = readArray(p, 'products', pp, issues, true);
    return vendorProductPair(vendor, os, products, at(pp, 'products'), issues, (x, xp) =>
      checkString(x, xp, issues, { min: 1, notBlank: true }),
    );
  });
  return {
    enabled: enabled === true,
    mode: v.mode === 'exclude' ? ('exclude' as const) : ('include' as const),
    pairs,
  };
}

function readPatches(i: Json, ip: string, issues: Issues): string[] | undefined {
  const list = readArray(i, 'manuallyApprovedPatches', ip, issues);
  if (!list) return i.manuallyApprovedPatches === undefined ? [] : undefined;
  return checkPatchIds(list, at(ip, 'manuallyApprovedPatches'), issues);
}

function readDownload(obj: Json, path: string, issues: Issues): DownloadSettings {
  const dp = at(path, 'download');
  const d = readObject(obj, 'download', path, issues) ?? {};
  only(d, ['cachingServers', 'directDownloadFallback'], dp, issues);
  const list = readArray(d, 'cachingServers', dp, issues) ?? [];
  const cp = at(dp, 'cachingServers');
  const ids = list.map((s, k) => checkString(s, at(cp, k), issues, { min: 1, notBlank: true }));
  return {
    cachingServers: checkCachingServers(ids, cp, issues),
    directDownloadFallback: readBoolean(d, 'directDownloadFallback', dp, issues) ?? true,
  };
}

/** Reads native window settings; throws DomainError('invalid') naming every problem at its native path. */
export function parseWindowSettings(v: unknown, path = 'settings'): MaintenanceWindowSettings {
  const issues = new Issues();
  const settings = readSettings(v, path, issues);
  issues.throwIfAny('invalid maintenance window settings');
  return settings!;
}

function readSettings(v: unknown, path: string, issues: Issues): MaintenanceWindowSettings | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object, ${got(v)}`);
    return undefined;
  }
  only(v, ['scan', 'install', 'download'], path, issues);
  const n = names(path);
  const download = readDownload(v, path, issues);

  const sp = at(path, 'scan');
  const scan = readObject(v, 'scan', path, issues, true) ?? {};
  only(
    scan,
    ['enabled', 'onNewApplications', 'scheduleFormat', 'sameScheduleForAll', 'schedule'],
    sp,
    issues,
  );
  const scanEnabled = readBoolean(scan, 'enabled', sp, issues, v.scan !== undefined);
  const onNewApplications = readBoolean(scan, 'onNewApplications', sp, issues) ?? false;
  const same =
    readBoolean(scan, 'sameScheduleForAll', sp, issues) ??
    (scan.sameScheduleForAll === undefined ? false : undefined);
  let want: 'current' | 'fallback' | undefined;
  if (scan.scheduleFormat === undefined || scan.scheduleFormat === 'current') want = 'current';
  else if (scan.scheduleFormat === 'fallback') want = 'fallback';
  else
    issues.add(
      at(sp, 'scheduleFormat'),
      `must be "current" or "fallback", got ${JSON.stringify(scan.scheduleFormat)}`,
    );
  const scanSchedule = readSchedule(scan.schedule, at(sp, 'schedule'), issues, 'scan', want, {
    required: scanEnabled === true,
    because: 'scan.enabled is true',
  });

  const ip = at(path, 'install');
  const install = readObject(v, 'install', path, issues, true) ?? {};
  only(
    install,
    [
      'enabled',
      'runMissedAsap',
      ...PATCH_CLASSES,
      'vendorProducts',
      'rebootPostponement',
      'manuallyApprovedPatches',
    ],
    ip,
    issues,
  );
  const installEnabled = readBoolean(install, 'enabled', ip, issues, v.install !== undefined);
  const runMissedAsap = readBoolean(install, 'runMissedAsap', ip, issues) ?? false;
  const vendorProducts = readVendorProducts(install, ip, issues);
  const rebootPostponement = readReboot(install, ip, issues);
  const manuallyApprovedPatches = readPatches(install, ip, issues);

  const classObj = (cls: PatchClass) => {
    const o = readObject(install, cls, ip, issues);
    if (o) only(o, ['enabled', 'schedule'], at(ip, cls), issues);
    return { obj: o ?? {}, enabled: o ? readBoolean(o, 'enabled', at(ip, cls), issues, true) : false };
  };
  const objs = {
    security: classObj('security'),
    nonSecurity: classObj('nonSecurity'),
    manuallyApproved: classObj('manuallyApproved'),
  };
  const switches: SwitchValues = {
    scan: scanEnabled,
    install: installEnabled,
    classes: {
      security: objs.security.enabled,
      nonSecurity: objs.nonSecurity.enabled,
      manuallyApproved: objs.manuallyApproved.enabled,
    },
    same,
  };
  const { security, nonSecurity, manuallyApproved } = readClassWindows(switches, n, (cls, need) =>
    readSchedule(
      objs[cls].obj.schedule,
      at(at(ip, cls), 'schedule'),
      issues,
      'install',
      same === undefined ? undefined : want,
      need,
    ),
  );
  checkSwitches(switches, n, issues);

  if (issues.count) return undefined;
  return {
    scan: {
      enabled: scanEnabled!,
      onNewApplications,
      sameScheduleForAll: same!,
      schedule: scanSchedule,
    },
    install: {
      enabled: installEnabled!,
      runMissedAsap,
      security,
      nonSecurity,
      manuallyApproved,
      vendorProducts,
      rebootPostponement: rebootPostponement!,
      manuallyApprovedPatches: manuallyApprovedPatches!,
    },
    download,
  };
}
