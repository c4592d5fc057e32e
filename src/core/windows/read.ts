import {
  REBOOT_AFTER_MINUTES,
  REBOOT_MESSAGE_MAX,
  type RebootPostponement,
  type TimeOfDayRange,
} from '../policies/behaviour.ts';
import {
  Issues,
  at,
  checkString,
  checkUnique,
  got,
  isRecord,
  readCode,
  type Json,
} from '../policies/fields.ts';
import type { OsFamily, VendorProductPair } from '../policies/model.ts';
import {
  classScheduleNeed,
  normalPatchId,
  type PatchClass,
  type PatchClassWindowOf,
  type SwitchValues,
  type WindowFieldNames,
} from './model.ts';

// The rules of a window's settings that every face reads the same way, whatever it calls its fields: the
// native API (parse.ts) and GravityZone's parameters (faces/gravityzone/window-settings.ts) each read
// their own shapes and hand the values, with their field names, to these.

/** Manually approved patch ids: each a GUID (kept braced, upper case), each at most once. */
export function checkPatchIds(list: readonly unknown[], path: string, issues: Issues): string[] | undefined {
  const ids = list.map((x, k) => {
    const id = normalPatchId(x);
    if (id === undefined)
      issues.add(
        at(path, k),
        `must be a patch id (a GUID such as {0001354A-0000-0000-0000-000000000000}), ${got(x)}`,
      );
    return id;
  });
  checkUnique(
    ids,
    path,
    issues,
    (s) => s,
    (s) => `patch id ${s}`,
  );
  return ids.every((x) => x !== undefined) ? (ids as string[]) : undefined;
}

/** Caching servers in priority order: each at most once; the valid ones are kept. */
export function checkCachingServers(
  ids: readonly (string | undefined)[],
  path: string,
  issues: Issues,
): string[] {
  checkUnique(
    ids,
    path,
    issues,
    (s) => s,
    (s) => `caching server ${JSON.stringify(s)}, which can have one priority only`,
  );
  return ids.filter((s): s is string => s !== undefined);
}

/** The vendor/product pairs, each an object the face reads with `read`; the invalid ones are left out. */
export function readVendorPairs(
  list: readonly unknown[],
  path: string,
  issues: Issues,
  read: (p: Json, path: string) => VendorProductPair | undefined,
): VendorProductPair[] {
  const pairs = list.map((p, k): VendorProductPair | undefined => {
    const pp = at(path, k);
    if (!isRecord(p)) {
      issues.add(pp, `must be an object {os, vendor, products}, ${got(p)}`);
      return undefined;
    }
    return read(p, pp);
  });
  return pairs.filter((p): p is VendorProductPair => p !== undefined);
}

/**
 * One vendor/product pair once the face has read its vendor and its OS: one or more products, each read
 * with `readProduct`; without an OS, the seed's default: Windows when the vendor id has only digits,
 * Linux when it has letters.
 */
export function vendorProductPair(
  vendor: string | undefined,
  os: OsFamily | undefined,
  products: readonly unknown[] | undefined,
  productsPath: string,
  issues: Issues,
  readProduct: (x: unknown, path: string) => string | undefined,
): VendorProductPair | undefined {
  if (products?.length === 0) issues.add(productsPath, 'must include one or more products');
  const ids = (products ?? []).map((x, j) => readProduct(x, at(productsPath, j)));
  if (vendor === undefined || !products?.length || !ids.every((x) => x !== undefined)) return undefined;
  return { os: os ?? (/^[0-9]+$/.test(vendor) ? 'windows' : 'linux'), vendor, products: ids as string[] };
}

/** How a face names the fields of a reboot postponement other than its mode. */
export interface PostponementFieldNames {
  readonly afterMinutes: string;
  readonly message: string;
  readonly between: string;
}

/**
 * A reboot postponement whose mode is not "user may postpone": the minutes and the message are required,
 * and for "within interval" the interval too (`why` says so in the face's words); the face reads the
 * interval with `readBetween`.
 */
export function readPostponement(
  mode: 'within-interval' | 'automatic-after',
  why: string,
  v: Json,
  path: string,
  keys: PostponementFieldNames,
  issues: Issues,
  readBetween: (v: unknown, path: string) => TimeOfDayRange | undefined,
): RebootPostponement | undefined {
  let afterMinutes: (typeof REBOOT_AFTER_MINUTES)[number] | undefined;
  if (v[keys.afterMinutes] === undefined) issues.add(at(path, keys.afterMinutes), `is required ${why}`);
  else afterMinutes = readCode(v, keys.afterMinutes, path, issues, REBOOT_AFTER_MINUTES);
  let message: string | undefined;
  if (v[keys.message] === undefined) issues.add(at(path, keys.message), `is required ${why}`);
  else message = checkString(v[keys.message], at(path, keys.message), issues, { max: REBOOT_MESSAGE_MAX });
  if (mode === 'automatic-after')
    return afterMinutes !== undefined && message !== undefined ? { mode, afterMinutes, message } : undefined;
  let between: TimeOfDayRange | undefined;
  if (v[keys.between] === undefined) issues.add(at(path, keys.between), `is required ${why}`);
  else between = readBetween(v[keys.between], at(path, keys.between));
  return afterMinutes !== undefined && message !== undefined && between
    ? { mode, afterMinutes, message, between }
    : undefined;
}

/**
 * The three install classes, in order: each enabled or not, with its own schedule unless the rules
 * ignore it (`classScheduleNeed`); `readSchedule` reads it, told whether it is required and why.
 */
export function readClassWindows<S>(
  switches: SwitchValues,
  names: WindowFieldNames,
  readSchedule: (cls: PatchClass, need: { required: boolean; because: string }) => S | null,
): Record<PatchClass, PatchClassWindowOf<S>> {
  const classWindow = (cls: PatchClass): PatchClassWindowOf<S> => {
    const need = classScheduleNeed(cls, switches, names);
    return {
      enabled: switches.classes[cls] === true,
      schedule: need.ignored ? null : readSchedule(cls, need),
    };
  };
  const security = classWindow('security');
  const nonSecurity = classWindow('nonSecurity');
  const manuallyApproved = classWindow('manuallyApproved');
  return { security, nonSecurity, manuallyApproved };
}
