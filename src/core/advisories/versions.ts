// Version order of the package managers the catalog matches against: dpkg (Debian, Ubuntu) and rpm
// (Red Hat, SUSE, Fedora…). A catalog entry is "affected" when installed < fixed in *that* order.
import type { AffectedPackage } from './model.ts';

export type Comparison = -1 | 0 | 1;
const sign = (n: number): Comparison => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Compares digit strings of any length numerically (no Number overflow on long date stamps). */
function compareDigits(a: string, b: string): Comparison {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return sign(x.length - y.length);
  return x < y ? -1 : x > y ? 1 : 0;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined) => c !== undefined && /^[A-Za-z]$/.test(c);

/** dpkg's character order in non-digit parts: `~` before the end, the end before letters, letters before the rest. */
function dpkgOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp: alternating non-digit and digit runs. */
function verrevcmp(a: string, b: string): Comparison {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = dpkgOrder(a[i]);
      const bc = dpkgOrder(b[j]);
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    let ad = '';
    let bd = '';
    while (isDigit(a[i])) ad += a[i++];
    while (isDigit(b[j])) bd += b[j++];
    const digits = compareDigits(ad || '0', bd || '0');
    if (digits !== 0) return digits;
  }
  return 0;
}

export interface DebianVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

/**
 * Splits `[epoch:]main[-tail]` as dpkg and rpm both do: the epoch (digits, 0 when absent) before the first
 * `:`, the tail after the last `-`. Throws RangeError on a malformed epoch or an empty main part, naming
 * them as the scheme does (`Debian version "…" has an empty upstream version`).
 */
function splitVersion(
  version: string,
  scheme: string,
  mainName: string,
): { epoch: number; main: string; tail: string | undefined } {
  const text = version.trim();
  const colon = text.indexOf(':');
  const epochText = colon >= 0 ? text.slice(0, colon) : '0';
  if (!/^\d+$/.test(epochText)) throw new RangeError(`${scheme} "${version}" has a non-numeric epoch`);
  const rest = colon >= 0 ? text.slice(colon + 1) : text;
  const dash = rest.lastIndexOf('-');
  const main = dash >= 0 ? rest.slice(0, dash) : rest;
  if (main === '') throw new RangeError(`${scheme} "${version}" has an empty ${mainName}`);
  return { epoch: Number(epochText), main, tail: dash >= 0 ? rest.slice(dash + 1) : undefined };
}

/** Splits `epoch:upstream-revision`: the epoch before the first `:`, the revision after the last `-`. */
export function parseDebianVersion(version: string): DebianVersion {
  const v = splitVersion(version, 'Debian version', 'upstream version');
  return { epoch: v.epoch, upstream: v.main, revision: v.tail ?? '' };
}

/** dpkg --compare-versions: -1, 0 or 1. Throws RangeError on a malformed epoch or empty upstream part. */
export function compareDebianVersions(a: string, b: string): Comparison {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return sign(x.epoch - y.epoch);
  return verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}

const isAlnum = (c: string | undefined) => isDigit(c) || isAlpha(c);

/** rpm's rpmvercmp (rpm 4.15+, with `~` sorting before and `^` after the end). */
export function rpmvercmp(a: string, b: string): Comparison {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const test = numeric ? isDigit : isAlpha;
    let x = '';
    let y = '';
    while (test(a[i])) x += a[i++];
    while (test(b[j])) y += b[j++];
    // a numeric segment is newer than an alphabetic one
    if (y === '') return numeric ? 1 : -1;
    const c = numeric ? compareDigits(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface RpmVersion {
  readonly epoch: number;
  readonly version: string;
  readonly release?: string;
}

/** Splits `[epoch:]version[-release]`. */
export function parseRpmVersion(evr: string): RpmVersion {
  const v = splitVersion(evr, 'RPM version', 'version');
  return v.tail === undefined
    ? { epoch: v.epoch, version: v.main }
    : { epoch: v.epoch, version: v.main, release: v.tail };
}

/** Compares `[epoch:]version[-release]` as rpm does; a missing epoch is 0, a missing release is not compared. */
export function compareRpmVersions(a: string, b: string): Comparison {
  const x = parseRpmVersion(a);
  const y = parseRpmVersion(b);
  if (x.epoch !== y.epoch) return sign(x.epoch - y.epoch);
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0 || x.release === undefined || y.release === undefined) return v;
  return rpmvercmp(x.release, y.release);
}

export type VersionScheme = 'dpkg' | 'rpm';

const RPM_FAMILIES = [
  'Red Hat',
  'SUSE',
  'openSUSE',
  'AlmaLinux',
  'Rocky Linux',
  'Mageia',
  'openEuler',
  'Fedora',
];

/** Which order an ecosystem's versions follow, or undefined when we do not know it. */
export function versionScheme(ecosystem: string): VersionScheme | undefined {
  const family = ecosystem.split(':')[0] ?? '';
  if (family === 'Debian' || family === 'Ubuntu') return 'dpkg';
  if (RPM_FAMILIES.includes(family)) return 'rpm';
  return undefined;
}

export function compareVersions(scheme: VersionScheme, a: string, b: string): Comparison {
  return scheme === 'dpkg' ? compareDebianVersions(a, b) : compareRpmVersions(a, b);
}

/**
 * Whether an installed version is affected by a catalog entry: inside one of its ECOSYSTEM ranges, or,
 * without ranges, older than the fixed version. Undefined when the ecosystem's version order is unknown
 * (Alpine, language ecosystems) or the entry is still under investigation.
 */
export function isVersionAffected(pkg: AffectedPackage, installed: string): boolean | undefined {
  if (pkg.status === 'not_affected') return false;
  if (pkg.status === 'under_investigation') return undefined;
  const scheme = versionScheme(pkg.ecosystem);
  if (scheme === undefined) return undefined;
  const cmp = (a: string, b: string) => compareVersions(scheme, a, b);
  const ranges = (pkg.ranges ?? []).filter((r) => r.type === 'ECOSYSTEM');
  if (ranges.length > 0) {
    return ranges.some(
      (r) =>
        (r.introduced === '0' || cmp(installed, r.introduced) >= 0) &&
        (r.fixed === undefined || cmp(installed, r.fixed) < 0) &&
        (r.lastAffected === undefined || cmp(installed, r.lastAffected) <= 0),
    );
  }
  if (pkg.fixedVersion !== undefined) return cmp(installed, pkg.fixedVersion) < 0;
  return pkg.status === 'affected';
}
