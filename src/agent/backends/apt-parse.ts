// Parsers for what apt and dpkg print. Pure: text in, values out; tested against recorded outputs.
import type { InstalledPackage, Severity } from './types.ts';

/** One origin as apt prints it in a simulation: `Debian-Security:12/oldstable-security`. */
export interface AptOrigin {
  /** as printed */
  readonly text: string;
  /** the Release file's Label (`Debian-Security`, `Ubuntu`, `cloud-sdk-bullseye`) */
  readonly label: string;
  /** the Release Version (`12`, `22.04`), may be empty */
  readonly release: string;
  /** the archive/suite (`oldstable-security`, `jammy-updates`) */
  readonly archive: string;
}

/** An `Inst` line of `apt-get -s` (`--just-print`): what the simulated transaction would unpack. */
export interface AptPlannedInstall {
  readonly name: string;
  /** `:i386` of a foreign-architecture package, if printed */
  readonly qualifier?: string;
  /** null when the package is new (pulled in as a dependency) */
  readonly currentVersion: string | null;
  readonly version: string;
  readonly origins: readonly AptOrigin[];
  readonly arch: string;
  readonly security: boolean;
}

export interface AptSimulation {
  readonly installs: readonly AptPlannedInstall[];
  /** packages the transaction would remove (`Remv` lines) */
  readonly removals: readonly string[];
}

const INST = /^Inst (\S+) (?:\[([^\]]*)\] )?\((\S+) (.*) \[([^\]\s]+)\]\)/;
const REMV = /^Remv (\S+)/;

export function parseAptOrigin(text: string): AptOrigin {
  // apt prints [Label:][Version/]Archive, or the site (`localhost`) when the source has no Release file
  const t = text.trim();
  const colon = t.indexOf(':');
  const label = colon >= 0 ? t.slice(0, colon) : '';
  const rest = colon >= 0 ? t.slice(colon + 1) : t;
  const slash = rest.lastIndexOf('/');
  return slash >= 0
    ? { text: t, label, release: rest.slice(0, slash), archive: rest.slice(slash + 1) }
    : { text: t, label, release: '', archive: rest };
}

/**
 * Security updates come from the security archive: Debian's origin is labelled `Debian-Security`,
 * Ubuntu's pocket is `<series>-security` (also `-infra-security`/`-apps-security` for ESM).
 */
export function isSecurityOrigin(o: AptOrigin): boolean {
  return /-security$/i.test(o.archive) || /security/i.test(o.label);
}

/** Parses `apt-get -s dist-upgrade` / `apt-get --just-print -qq full-upgrade` / `-s install` output. */
export function parseAptSimulation(text: string): AptSimulation {
  const installs: AptPlannedInstall[] = [];
  const removals: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const m = INST.exec(line);
    if (m) {
      const [, fullName, current, version, originText, arch] = m as unknown as [
        string,
        string,
        string | undefined,
        string,
        string,
        string,
      ];
      const colon = fullName.indexOf(':');
      const origins = originText
        .split(', ')
        .filter((o) => o.trim() !== '')
        .map(parseAptOrigin);
      installs.push({
        name: colon >= 0 ? fullName.slice(0, colon) : fullName,
        ...(colon >= 0 ? { qualifier: fullName.slice(colon + 1) } : {}),
        currentVersion: current === undefined || current === '' ? null : current,
        version,
        origins,
        arch,
        security: origins.some(isSecurityOrigin),
      });
      continue;
    }
    const r = REMV.exec(line);
    if (r) removals.push(r[1]!);
  }
  return { installs, removals };
}

export interface AptUpgradable {
  readonly name: string;
  /** suites that carry the new version (`oldstable`, `oldstable-security`) */
  readonly suites: readonly string[];
  readonly version: string;
  readonly arch: string;
  readonly currentVersion: string;
  readonly security: boolean;
}

const UPGRADABLE = /^(\S+?)\/(\S+) (\S+) (\S+) \[upgradable from: ([^\]]+)\]/;

/** Parses `apt list --upgradable` (`name/suite[,suite] version arch [upgradable from: old]`). */
export function parseAptListUpgradable(text: string): AptUpgradable[] {
  const out: AptUpgradable[] = [];
  for (const line of text.split('\n')) {
    const m = UPGRADABLE.exec(line.trim());
    if (!m) continue;
    const suites = m[2]!.split(',');
    out.push({
      name: m[1]!,
      suites,
      version: m[3]!,
      arch: m[4]!,
      currentVersion: m[5]!,
      security: suites.some((s) => /-security$/.test(s)),
    });
  }
  return out;
}

/**
 * The dpkg-query format the backend asks for: tab-separated
 * binary:Package, Version, Architecture, db:Status-Abbrev, source:Package, source:Version.
 */
export const DPKG_QUERY_FORMAT =
  '${binary:Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\t${source:Package}\\t${source:Version}\\n';

const STATUS_ABBREV: Record<string, string> = {
  n: 'not-installed',
  c: 'config-files',
  H: 'half-installed',
  U: 'unpacked',
  F: 'half-configured',
  W: 'triggers-awaiting',
  t: 'triggers-pending',
  i: 'installed',
};

/**
 * Parses dpkg-query inventory output: either the backend's tab-separated format, or JSON lines with
 * fields package/version/architecture/status/source_name (as other agents record it).
 * Entries whose status is not-installed or config-files are dropped.
 */
export function parseDpkgQuery(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('{')) {
      const j = JSON.parse(line) as Record<string, string | undefined>;
      if (!j.package || !j.version) continue;
      const status = j.status ?? 'installed';
      if (status === 'not-installed' || status === 'config-files') continue;
      out.push({
        name: j.package,
        version: j.version,
        ...(j.architecture ? { arch: j.architecture } : {}),
        ...(j.source_name ? { source: j.source_name } : {}),
        ...(status !== 'installed' ? { status } : {}),
      });
      continue;
    }
    const [pkg, version, arch, abbrev = 'ii ', source] = line.split('\t');
    if (!pkg || !version) continue;
    // abbrev: desired (u/i/h/r/p), status letter, error flag
    const status = STATUS_ABBREV[abbrev[1] ?? 'i'] ?? 'unknown';
    if (status === 'not-installed' || status === 'config-files') continue;
    const colon = pkg.indexOf(':');
    out.push({
      name: colon >= 0 ? pkg.slice(0, colon) : pkg,
      version,
      ...(arch ? { arch } : {}),
      ...(source ? { source } : {}),
      ...(status !== 'installed' ? { status } : {}),
    });
  }
  return out;
}

/** `/var/run/reboot-required.pkgs`: one package name per line, repeated names kept once. */
export function parseRebootRequiredPkgs(text: string): string[] {
  return [
    ...new Set(
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    ),
  ];
}

export interface ChangelogEntry {
  readonly source: string;
  readonly version: string;
  readonly distributions: readonly string[];
  readonly urgency: string;
  readonly cves: readonly string[];
  readonly text: string;
}

const CHANGELOG_HEAD = /^(\S+) \(([^)]+)\) ([^;]+);(.*)$/;
const CVE = /CVE-\d{4}-\d{4,}/g;

/** Parses a Debian changelog (`changelog.Debian`) into entries, newest first. */
export function parseDebianChangelog(text: string): ChangelogEntry[] {
  const entries: ChangelogEntry[] = [];
  let cur: {
    source: string;
    version: string;
    distributions: string[];
    urgency: string;
    body: string[];
  } | null = null;
  const flush = () => {
    if (!cur) return;
    const body = cur.body.join('\n');
    entries.push({
      source: cur.source,
      version: cur.version,
      distributions: cur.distributions,
      urgency: cur.urgency,
      cves: [...new Set(body.match(CVE) ?? [])],
      text: body.trim(),
    });
    cur = null;
  };
  for (const line of text.split('\n')) {
    const h = CHANGELOG_HEAD.exec(line);
    if (h && !line.startsWith(' ')) {
      flush();
      const urgency = /urgency=(\w+)/.exec(h[4]!)?.[1]?.toLowerCase() ?? 'low';
      cur = { source: h[1]!, version: h[2]!, distributions: h[3]!.trim().split(/\s+/), urgency, body: [] };
    } else if (cur && !line.startsWith(' -- ')) {
      cur.body.push(line);
    }
  }
  flush();
  return entries;
}

const URGENCY_RANK = ['low', 'medium', 'high', 'emergency', 'critical'];

/** Debian changelog urgency as a severity: critical/emergency → critical, high → important, … */
export function urgencyToSeverity(urgency: string): Severity {
  switch (urgency.toLowerCase()) {
    case 'critical':
    case 'emergency':
      return 'critical';
    case 'high':
      return 'important';
    case 'medium':
      return 'moderate';
    default:
      return 'low';
  }
}

/** The highest urgency and all CVE ids of the entries newer than `installed` (compare with dpkg rules). */
export function summariseChangelog(
  entries: readonly ChangelogEntry[],
  isNewer: (version: string) => boolean,
): { urgency: string; cves: string[] } | null {
  const newer = entries.filter((e) => isNewer(e.version));
  if (newer.length === 0) return null;
  let urgency = 'low';
  for (const e of newer)
    if (URGENCY_RANK.indexOf(e.urgency) > URGENCY_RANK.indexOf(urgency)) urgency = e.urgency;
  return { urgency, cves: [...new Set(newer.flatMap((e) => e.cves))] };
}

export interface AptPolicyVersion {
  readonly version: string;
  readonly installed: boolean;
  /** `bookworm-security/main amd64 Packages` style lines reduced to the suite (`bookworm-security`); `now` for dpkg's status */
  readonly suites: readonly string[];
}

export interface AptPolicy {
  readonly name: string;
  readonly installed: string | null;
  readonly candidate: string | null;
  readonly versions: readonly AptPolicyVersion[];
}

/** Parses `apt-cache policy NAME…`: installed, candidate and where each version comes from. */
export function parseAptCachePolicy(text: string): AptPolicy[] {
  const out: {
    name: string;
    installed: string | null;
    candidate: string | null;
    versions: AptPolicyVersion[];
  }[] = [];
  let cur: (typeof out)[number] | undefined;
  let ver: { version: string; installed: boolean; suites: string[] } | undefined;
  const none = (v: string) => (v === '(none)' ? null : v);
  for (const line of text.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      cur = { name: head[1]!, installed: null, candidate: null, versions: [] };
      out.push(cur);
      ver = undefined;
      continue;
    }
    if (!cur) continue;
    let m = /^ {2}Installed: (\S+)/.exec(line);
    if (m) {
      cur.installed = none(m[1]!);
      continue;
    }
    m = /^ {2}Candidate: (\S+)/.exec(line);
    if (m) {
      cur.candidate = none(m[1]!);
      continue;
    }
    m = /^ (\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
    if (m) {
      ver = { version: m[2]!, installed: m[1] === '***', suites: [] };
      cur.versions.push(ver);
      continue;
    }
    m = /^ {8}-?\d+ (\S+)(?: (\S+))?/.exec(line);
    if (m && ver) {
      // `500 http://host/debian bookworm-security/main amd64 Packages` or `100 /var/lib/dpkg/status`
      ver.suites.push(m[2] ? m[2].split('/')[0]! : m[1] === '/var/lib/dpkg/status' ? 'now' : m[1]!);
    }
  }
  return out;
}
