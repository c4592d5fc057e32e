import type { DownloadSettings, RebootPostponement } from '../../core/policies/behaviour.ts';
import {
  Issues,
  at,
  got,
  isRecord,
  readArray,
  readBoolean,
  readCode,
  readObject,
  readString,
  type Json,
} from '../../core/policies/fields.ts';
import type { OsFamily } from '../../core/policies/model.ts';
import {
  checkCachingServers,
  checkPatchIds,
  checkSwitches,
  checkWindowName,
  gzFormOf,
  parseGzBetween,
  parseGzOldScheduler,
  parseGzScheduler,
  readClassWindows,
  readPostponement,
  readVendorPairs,
  settingsFromGzForm,
  vendorProductPair,
  type GzFormWindowSettings,
  type GzWindowSchedule,
  type MaintenanceWindowSettings,
  type PatchClassWindowOf,
  type PostponementFieldNames,
  type SwitchValues,
  type WindowFieldNames,
} from '../../core/windows/index.ts';

// GravityZone's `createPatchManagementMaintenanceWindow` / `updatePatchManagementMaintenanceWindow`
// parameters, read into the window settings in GravityZone's form (core/windows/gz-form.ts: each schedule
// still a `scheduler` or `oldScheduler` object), which `windowSettingsOfGz` turns into the stored settings
// (canonical schedules) and `gzWindowSettingsOf` renders back. GravityZone's field names live here and in
// core/windows/gz-schedule.ts only; the GravityZone JSON-RPC face calls `parseGzWindowParams` and maps the
// error. The rules between the switches are core/windows/model.ts's, worded here with GravityZone's names.
// Every rule and range the seed states is checked and reported with the dotted path of the field
// (`settings.installPatchesSettings.updateType.securityPatchesSettings.scheduler.weeklyRecurrence.every`).
//
// Where the seed is inconsistent or silent (decided here, tested in test/core/windows):
// - `settings` is typed "Array of objects" but every example sends one object: an object is expected,
//   an array holding exactly one object is accepted too.
// - the update method's table is the create method's: for update nothing is mandatory, but at least one
//   of name, allowChangeByOtherUsers and settings must be present, and settings are replaced as a whole.
// - `useFallbackSchedule` is typed String "enabled" / "disabled" while the example sends `true`: both
//   spellings are accepted. The example then sends only `scheduler` objects although "enabled" requires
//   `oldScheduler`s; the rules win, so the example (repaired into JSON) is invalid as written and valid
//   with `useFallbackSchedule: false`.
// - `useSameSchedule` (table, example) is also called `useSameScheduler` (updateType text): both read.
// - `between.endminute` (table) vs `endMinute` (examples): both read, conflicting values are an error.
// - `manuallyApprovedPatchIds` belongs to installPatchesSettings (table); the broken example puts it
//   inside updateType, which is accepted too (but not both at once).
// - manually approved patches "must" have a schedule "if securityPatchesSettings.enabled is false": read as
//   applying when manually approved patches are enabled themselves (as for the other two classes), since
//   a scan-only window would otherwise need an install schedule.
// - unknown fields are ignored (as by the product; `id` of the update method is the face's business).
// - "This parameter will be ignored" is honoured literally: an ignored scheduler is not validated.
// - each settings object's `enabled` switch is required (the cross-field rules depend on it); the other
//   booleans default to false, `fallbackOnDirectDownload` to true, `postponeReboot` to option 0.
// - scheduler `startDate` and `between` are required for weekly and monthly schedules, oldScheduler
//   `startHour`/`startMinute` for daily and weekly ones; weekly `days` must list at least one day, once.
// - not checked here because they need the store: name uniqueness, companyId rights and licence, patch
//   ids belonging to the company, caching servers existing, the vendor/product pair matching its `os`.

export type GzWindowMethod = 'create' | 'update';

export interface GzWindowParams {
  readonly name?: string;
  readonly companyId?: string;
  readonly allowChangeByOtherUsers?: boolean;
  readonly settings?: GzFormWindowSettings;
}

/** Reads the params of the create or update method; throws DomainError('invalid') naming every problem. */
export function parseGzWindowParams(params: unknown, method: GzWindowMethod): GzWindowParams {
  const issues = new Issues();
  if (!isRecord(params)) {
    issues.add('params', `must be an object, ${got(params)}`);
    throw issues.error('invalid maintenance window');
  }
  const create = method === 'create';
  let name: string | undefined;
  if (params['name'] === undefined) {
    if (create) issues.add('name', 'is required');
  } else name = checkWindowName(params['name'], 'name', issues);
  const companyId = readString(params, 'companyId', '', issues, { min: 1, notBlank: true });
  const allowChangeByOtherUsers = readBoolean(params, 'allowChangeByOtherUsers', '', issues, create);
  let settings: GzFormWindowSettings | undefined;
  if (params['settings'] === undefined) {
    if (create) issues.add('settings', 'is required');
  } else settings = readSettings(params['settings'], 'settings', issues);
  if (
    !create &&
    params['name'] === undefined &&
    params['settings'] === undefined &&
    params['allowChangeByOtherUsers'] === undefined
  ) {
    issues.add('params', 'must change something: give name, allowChangeByOtherUsers or settings');
  }
  issues.throwIfAny('invalid maintenance window');
  return {
    ...(name !== undefined ? { name } : {}),
    ...(companyId !== undefined ? { companyId } : {}),
    ...(allowChangeByOtherUsers !== undefined ? { allowChangeByOtherUsers } : {}),
    ...(settings ? { settings } : {}),
  };
}

/** Reads a `settings` value alone. */
export function parseGzWindowSettings(settings: unknown, path = 'settings'): GzFormWindowSettings {
  const issues = new Issues();
  const result = readSettings(settings, path, issues);
  issues.throwIfAny('invalid maintenance window settings');
  return result!;
}

const gzNames = (sp: string, up: string): WindowFieldNames => ({
  scanEnabled: { path: at(sp, 'enabled'), word: 'scanPatchesSettings.enabled' },
  installEnabled: 'installPatchesSettings.enabled',
  classes: up,
  class: {
    security: { path: at(up, 'securityPatchesSettings'), word: 'securityPatchesSettings' },
    nonSecurity: { path: at(up, 'nonSecurityPatchesSettings'), word: 'nonSecurityPatchesSettings' },
    manuallyApproved: {
      path: at(up, 'manuallyApprovedPatchesSettings'),
      word: 'manuallyApprovedPatchesSettings',
    },
  },
  sameSchedule: 'scanPatchesSettings.useSameSchedule',
});

function readSettings(v: unknown, path: string, issues: Issues): GzFormWindowSettings | undefined {
  let obj: Json;
  if (isRecord(v)) obj = v;
  else if (Array.isArray(v) && v.length === 1 && isRecord(v[0])) {
    obj = v[0];
    path = at(path, 0);
  } else {
    issues.add(path, `must be an object (or an array holding exactly one object), ${got(v)}`);
    return undefined;
  }
  const before = issues.count;
  const download = readDownload(obj, path, issues);

  // ---- scan ----
  const sp = at(path, 'scanPatchesSettings');
  const scanObj = readObject(obj, 'scanPatchesSettings', path, issues, true) ?? {};
  const scanEnabled = readBoolean(scanObj, 'enabled', sp, issues, obj['scanPatchesSettings'] !== undefined);
  const onNewApplications = readBoolean(scanObj, 'runOnSystemChanges', sp, issues) ?? false;
  const fallback = readFallback(scanObj, sp, issues);
  const same = readSameSchedule(scanObj, sp, issues);
  const scanSchedule = readSchedules(scanObj, sp, issues, 'scan', {
    fallback,
    required: scanEnabled === true,
    because: 'scanPatchesSettings.enabled is true',
  });

  // ---- install ----
  const ip = at(path, 'installPatchesSettings');
  const installObj = readObject(obj, 'installPatchesSettings', path, issues, true) ?? {};
  const installEnabled = readBoolean(
    installObj,
    'enabled',
    ip,
    issues,
    obj['installPatchesSettings'] !== undefined,
  );
  const runMissedAsap = readBoolean(installObj, 'ifMissedRunAsSoonAsPossible', ip, issues) ?? false;
  const vendorProducts = readVendorProducts(installObj, ip, issues);
  const rebootPostponement = readPostponeReboot(installObj, ip, issues);

  const up = at(ip, 'updateType');
  const updateType = readObject(installObj, 'updateType', ip, issues) ?? {};
  const classObj = (key: string) => {
    const o = readObject(updateType, key, up, issues);
    return {
      obj: o ?? {},
      path: at(up, key),
      enabled: o ? readBoolean(o, 'enabled', at(up, key), issues, true) : false,
    };
  };
  const classes = {
    security: classObj('securityPatchesSettings'),
    nonSecurity: classObj('nonSecurityPatchesSettings'),
    manuallyApproved: classObj('manuallyApprovedPatchesSettings'),
  };
  const switches: SwitchValues = {
    scan: scanEnabled,
    install: installEnabled,
    classes: {
      security: classes.security.enabled,
      nonSecurity: classes.nonSecurity.enabled,
      manuallyApproved: classes.manuallyApproved.enabled,
    },
    same,
  };
  const names = gzNames(sp, up);
  const { security, nonSecurity, manuallyApproved } = readClassWindows(switches, names, (cls, need) =>
    readSchedules(classes[cls].obj, classes[cls].path, issues, 'install', {
      fallback,
      required: need.required,
      because: need.because,
    }),
  );
  const manuallyApprovedPatches = readPatchIds(installObj, ip, updateType, up, issues);
  checkSwitches(switches, names, issues);

  if (issues.count > before) return undefined;
  return {
    scan: {
      enabled: scanEnabled!,
      onNewApplications,
      scheduleFormat: fallback ? 'fallback' : 'current',
      sameScheduleForAll: same!,
      schedule: scanSchedule,
    },
    install: {
      enabled: installEnabled!,
      runMissedAsap,
      security,
      nonSecurity,
      manuallyApproved,
      vendorProducts: vendorProducts!,
      rebootPostponement: rebootPostponement!,
      manuallyApprovedPatches: manuallyApprovedPatches!,
    },
    download,
  };
}

/** `useFallbackSchedule`: "enabled" / "disabled" as typed, or true / false as the example sends; default disabled. */
function readFallback(obj: Json, path: string, issues: Issues): boolean | undefined {
  const v = obj['useFallbackSchedule'];
  if (v === undefined || v === 'disabled' || v === false) return false;
  if (v === 'enabled' || v === true) return true;
  issues.add(at(path, 'useFallbackSchedule'), `must be "enabled" or "disabled" (or true / false), ${got(v)}`);
  return undefined;
}

/** `useSameSchedule`, also spelt `useSameScheduler` in the seed; default false. */
function readSameSchedule(obj: Json, path: string, issues: Issues): boolean | undefined {
  const a = obj['useSameSchedule'];
  const b = obj['useSameScheduler'];
  if (a !== undefined && b !== undefined && a !== b) {
    issues.add(
      at(path, 'useSameScheduler'),
      `conflicts with useSameSchedule (${JSON.stringify(a)} vs ${JSON.stringify(b)}); send one of them`,
    );
    return undefined;
  }
  return (
    readBoolean(obj, a !== undefined ? 'useSameSchedule' : 'useSameScheduler', path, issues) ??
    (a === undefined && b === undefined ? false : undefined)
  );
}

/**
 * Validates whichever of `scheduler` / `oldScheduler` is present and returns the one the window's
 * format selects. When `required`, the selected one must be there: `scheduler` when useFallbackSchedule
 * is disabled, `oldScheduler` when it is enabled.
 */
function readSchedules(
  obj: Json,
  path: string,
  issues: Issues,
  use: 'scan' | 'install',
  opts: { fallback: boolean | undefined; required: boolean; because: string },
): GzWindowSchedule | null {
  const current =
    obj['scheduler'] === undefined
      ? undefined
      : parseGzScheduler(obj['scheduler'], at(path, 'scheduler'), issues, use);
  const old =
    obj['oldScheduler'] === undefined
      ? undefined
      : parseGzOldScheduler(obj['oldScheduler'], at(path, 'oldScheduler'), issues, use);
  if (opts.fallback === undefined) return null;
  const key = opts.fallback ? 'oldScheduler' : 'scheduler';
  if (opts.required && obj[key] === undefined) {
    issues.add(
      at(path, key),
      `is required when ${opts.because} and scanPatchesSettings.useFallbackSchedule is ${opts.fallback ? 'enabled' : 'disabled'}`,
    );
  }
  if (opts.fallback) return old ? { format: 'gravityzone-old-scheduler', value: old } : null;
  return current ? { format: 'gravityzone-scheduler', value: current } : null;
}

function readDownload(obj: Json, path: string, issues: Issues): DownloadSettings {
  const dp = at(path, 'downloadSettings');
  const d = readObject(obj, 'downloadSettings', path, issues) ?? {};
  const list = readArray(d, 'cachingServers', dp, issues) ?? [];
  const cp = at(dp, 'cachingServers');
  const ids = list.map((s, i) => {
    if (!isRecord(s)) {
      issues.add(at(cp, i), `must be an object {id}, ${got(s)}`);
      return undefined;
    }
    return readString(s, 'id', at(cp, i), issues, { min: 1, notBlank: true }, true);
  });
  return {
    cachingServers: checkCachingServers(ids, cp, issues),
    directDownloadFallback: readBoolean(d, 'fallbackOnDirectDownload', dp, issues) ?? true,
  };
}

const GZ_OS: Record<number, OsFamily> = { 1: 'windows', 2: 'linux', 3: 'macos' };

function readVendorProducts(obj: Json, path: string, issues: Issues) {
  const vp = at(path, 'specificVendorAndProduct');
  const v = readObject(obj, 'specificVendorAndProduct', path, issues);
  if (!v) return { enabled: false, mode: 'include' as const, pairs: [] };
  const enabled = readBoolean(v, 'enabled', vp, issues, true);
  const type = readCode(v, 'type', vp, issues, [1, 2] as const, enabled === true);
  const list = readArray(v, 'vendorProductsPairs', vp, issues) ?? [];
  const pairs = readVendorPairs(list, at(vp, 'vendorProductsPairs'), issues, (p, pp) => {
    const vendorObj = readObject(p, 'vendor', pp, issues, true);
    const vendor =
      vendorObj && readString(vendorObj, 'id', at(pp, 'vendor'), issues, { min: 1, notBlank: true }, true);
    const osCode = readCode(p, 'os', pp, issues, [1, 2, 3] as const);
    const products = readArray(p, 'products', pp, issues, true);
    return vendorProductPair(
      vendor,
      osCode === undefined ? undefined : GZ_OS[osCode],
      products,
      at(pp, 'products'),
      issues,
      (x, xp) => {
        if (!isRecord(x)) {
          issues.add(xp, `must be an object {id}, ${got(x)}`);
          return undefined;
        }
        return readString(x, 'id', xp, issues, { min: 1, notBlank: true }, true);
      },
    );
  });
  return {
    enabled: enabled === true,
    mode: type === 2 ? ('exclude' as const) : ('include' as const),
    pairs,
  };
}

function readPostponeReboot(obj: Json, path: string, issues: Issues): RebootPostponement | undefined {
  const pp = at(path, 'postponeReboot');
  const v = readObject(obj, 'postponeReboot', path, issues);
  if (!v) return obj['postponeReboot'] === undefined ? { mode: 'user-may-postpone' } : undefined;
  const option = readCode(v, 'option', pp, issues, [0, 1, 2] as const, true);
  if (option === undefined) return undefined;
  if (option === 0) return { mode: 'user-may-postpone' };
  const why = `when option is ${option} (${option === 1 ? 'postpone only within an interval' : 'restart automatically after some minutes'})`;
  return readPostponement(
    option === 1 ? 'within-interval' : 'automatic-after',
    why,
    v,
    pp,
    GZ_POSTPONE_FIELDS,
    issues,
    (b, bp) => {
      const between = parseGzBetween(b, bp, issues);
      return between
        ? {
            start: { hour: between.startHour, minute: between.startMinute },
            end: { hour: between.endHour, minute: between.endMinute },
          }
        : undefined;
    },
  );
}

const GZ_POSTPONE_FIELDS: PostponementFieldNames = {
  afterMinutes: 'afterMinutes',
  message: 'afterCustomMessage',
  between: 'between',
};

/** Patch ids are GUIDs (`{0001354A-0000-0000-0000-000000000000}`), each at most once; kept braced, upper case. */
function readPatchIds(
  install: Json,
  ip: string,
  updateType: Json,
  up: string,
  issues: Issues,
): string[] | undefined {
  const inInstall = install['manuallyApprovedPatchIds'] !== undefined;
  const inUpdateType = updateType['manuallyApprovedPatchIds'] !== undefined;
  if (inInstall && inUpdateType) {
    issues.add(
      at(up, 'manuallyApprovedPatchIds'),
      'is also given under installPatchesSettings; send it once, under installPatchesSettings',
    );
    return undefined;
  }
  const [obj, path] = inUpdateType ? [updateType, up] : [install, ip];
  const list = readArray(obj, 'manuallyApprovedPatchIds', path, issues);
  if (!list) return obj['manuallyApprovedPatchIds'] === undefined ? [] : undefined;
  return checkPatchIds(list, at(path, 'manuallyApprovedPatchIds'), issues);
}

// ---- to and from the stored settings ------------------------------------------------------------------

/** Reads a `settings` value into the stored settings (canonical schedules). */
export function windowSettingsOfGz(settings: unknown, path = 'settings'): MaintenanceWindowSettings {
  return settingsFromGzForm(parseGzWindowSettings(settings, path));
}

const OS_CODE: Record<OsFamily, number> = { windows: 1, linux: 2, macos: 3 };
const POSTPONE_OPTION = { 'user-may-postpone': 0, 'within-interval': 1, 'automatic-after': 2 } as const;

/** The stored settings as GravityZone's `settings` parameter (what `parseGzWindowSettings` reads back). */
export function gzWindowSettingsOf(s: MaintenanceWindowSettings): Json {
  const f = gzFormOf(s);
  const key = f.scan.scheduleFormat === 'fallback' ? 'oldScheduler' : 'scheduler';
  const sched = (ws: GzWindowSchedule | null) => (ws ? { [key]: ws.value } : {});
  const cls = (c: PatchClassWindowOf<GzWindowSchedule>) => ({ enabled: c.enabled, ...sched(c.schedule) });
  const i = f.install;
  const r = i.rebootPostponement;
  return {
    scanPatchesSettings: {
      enabled: f.scan.enabled,
      runOnSystemChanges: f.scan.onNewApplications,
      useFallbackSchedule: f.scan.scheduleFormat === 'fallback' ? 'enabled' : 'disabled',
      useSameSchedule: f.scan.sameScheduleForAll,
      ...sched(f.scan.schedule),
    },
    installPatchesSettings: {
      enabled: i.enabled,
      ifMissedRunAsSoonAsPossible: i.runMissedAsap,
      updateType: {
        securityPatchesSettings: cls(i.security),
        nonSecurityPatchesSettings: cls(i.nonSecurity),
        manuallyApprovedPatchesSettings: cls(i.manuallyApproved),
      },
      specificVendorAndProduct: {
        enabled: i.vendorProducts.enabled,
        type: i.vendorProducts.mode === 'exclude' ? 2 : 1,
        vendorProductsPairs: i.vendorProducts.pairs.map((p) => ({
          ...(p.os === null ? {} : { os: OS_CODE[p.os] }),
          vendor: { id: p.vendor },
          products: p.products.map((id) => ({ id })),
        })),
      },
      postponeReboot: {
        option: POSTPONE_OPTION[r.mode],
        ...(r.mode === 'user-may-postpone'
          ? {}
          : { afterMinutes: r.afterMinutes, afterCustomMessage: r.message }),
        ...(r.mode === 'within-interval'
          ? {
              between: {
                startHour: r.between.start.hour,
                startMinute: r.between.start.minute,
                endHour: r.between.end.hour,
                endMinute: r.between.end.minute,
              },
            }
          : {}),
      },
      manuallyApprovedPatchIds: [...i.manuallyApprovedPatches],
    },
    downloadSettings: {
      cachingServers: s.download.cachingServers.map((id) => ({ id })),
      fallbackOnDirectDownload: s.download.directDownloadFallback,
    },
  };
}
