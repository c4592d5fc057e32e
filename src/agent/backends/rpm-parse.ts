// Parsers for what dnf 4, dnf 5, yum and rpm print. Pure: text in, values out.
import type { InstalledPackage, RebootState, Severity, UpdateClassification } from './types.ts';

export interface Nevra {
  readonly name: string;
  readonly epoch: string | null;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
}

/** `glibc-2.28-26.fc29.x86_64`, `iwl1000-firmware-1:39.31.5.1-115.fc32.noarch`, `1:bash-…` */
export function parseNevra(text: string): Nevra | null {
  let s = text.trim().replace(/\.rpm$/, '');
  let epoch: string | null = null;
  const lead = /^(\d+):(.*)$/.exec(s);
  if (lead) {
    epoch = lead[1]!;
    s = lead[2]!;
  }
  const dot = s.lastIndexOf('.');
  if (dot < 0) return null;
  const arch = s.slice(dot + 1);
  const nvr = s.slice(0, dot);
  const r = nvr.lastIndexOf('-');
  if (r < 0) return null;
  const v = nvr.lastIndexOf('-', r - 1);
  if (v < 0) return null;
  let version = nvr.slice(v + 1, r);
  const ev = /^(\d+):(.*)$/.exec(version);
  if (ev) {
    epoch = ev[1]!;
    version = ev[2]!;
  }
  return { name: nvr.slice(0, v), epoch, version, release: nvr.slice(r + 1), arch };
}

/** `[epoch:]version-release`, dropping a zero epoch so both spellings compare equal. */
export function evr(n: Pick<Nevra, 'epoch' | 'version' | 'release'>): string {
  return `${n.epoch && n.epoch !== '0' ? `${n.epoch}:` : ''}${n.version}-${n.release}`;
}

export const normaliseEvr = (v: string): string => v.replace(/^0:/, '');

export interface CheckUpdateEntry {
  readonly name: string;
  readonly arch: string;
  /** `[epoch:]version-release` */
  readonly version: string;
  readonly repo: string;
}

const NAME_ARCH = /^(\S+)\.([A-Za-z0-9_]+)$/;

/**
 * Parses `dnf check-update` / `yum check-update` (exit 100 = updates). Skips the metadata and plugin
 * chatter, joins names that yum wrapped onto their own line, and stops at "Obsoleting Packages" and the
 * trailing "Security:" notes.
 */
export function parseCheckUpdate(text: string): CheckUpdateEntry[] {
  const out: CheckUpdateEntry[] = [];
  const seen = new Set<string>();
  let pendingName: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^Obsoleting Packages/.test(line) || /^Security: /.test(line)) break;
    if (
      line === '' ||
      /^(Last metadata|Loaded plugins|Loading mirror|Repodata is|Updating and loading|Repositories loaded)/.test(
        line,
      )
    )
      continue;
    if (/^ \* /.test(line)) continue; // mirror list of yum's fastestmirror plugin
    const cols = line.trim().split(/\s+/);
    if (pendingName !== null && /^\s/.test(line) && cols.length === 2) {
      cols.unshift(pendingName);
    } else if (cols.length === 1 && NAME_ARCH.test(cols[0]!)) {
      pendingName = cols[0]!;
      continue;
    }
    pendingName = null;
    if (cols.length !== 3) continue;
    const m = NAME_ARCH.exec(cols[0]!);
    if (!m || !/\d/.test(cols[1]!)) continue;
    const key = `${m[1]}.${m[2]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: m[1]!, arch: m[2]!, version: cols[1]!, repo: cols[2]! });
  }
  return out;
}

export interface AdvisoryEntry {
  /** RHSA-2020:3011, FEDORA-2020-786c7010d2, ALSA-…, or a CVE id in the `--with-cve` listings */
  readonly id: string;
  readonly classification: UpdateClassification;
  readonly severity?: Severity;
  readonly vendorSeverity?: string;
  readonly nevra: Nevra;
  /** listed as already installed (`i` marker of `--all`) */
  readonly installed: boolean;
}

export function severityOf(word: string | undefined): Severity | undefined {
  switch (word?.toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'important':
    case 'high':
      return 'important';
    case 'moderate':
    case 'medium':
      return 'moderate';
    case 'low':
      return 'low';
    case 'none':
      return 'none';
    default:
      return undefined;
  }
}

export function classificationOf(type: string): UpdateClassification {
  const t = type.toLowerCase();
  if (t === 'security' || t.endsWith('/sec.') || t === 'sec.') return 'security';
  if (t === 'bugfix') return 'bugfix';
  if (t === 'enhancement') return 'enhancement';
  if (t === 'newpackage' || t === 'feature') return 'feature';
  return 'other';
}

function advisory(
  id: string,
  type: string,
  severityWord: string | undefined,
  nevraText: string,
  installed: boolean,
) {
  const nevra = parseNevra(nevraText);
  if (!nevra) return null;
  const sev = severityOf(severityWord);
  return {
    id,
    classification: classificationOf(type),
    ...(sev ? { severity: sev } : {}),
    ...(severityWord && severityWord.toLowerCase() !== 'none' ? { vendorSeverity: severityWord } : {}),
    nevra,
    installed,
  } satisfies AdvisoryEntry;
}

/**
 * Parses `dnf updateinfo list` (dnf 4) and `yum updateinfo list` lines `ID TYPE NEVRA`, where TYPE is
 * `bugfix`, `enhancement`, `security` or `Severity/Sec.`; `--all` prefixes installed ones with `i`.
 * With `--with-cve` (dnf 4) or `cves` (yum) the first column is a CVE id.
 */
export function parseUpdateinfoList(text: string): AdvisoryEntry[] {
  const out: AdvisoryEntry[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    let installed = false;
    if (cols[0] === 'i' || cols[0] === 'I') {
      installed = true;
      cols.shift();
    }
    if (cols.length !== 3) continue;
    const [id, type, nevra] = cols as [string, string, string];
    if (!/^[A-Za-z0-9][A-Za-z0-9:._-]*\d/.test(id) || /^(Last|Updates|Loaded)$/.test(id)) continue;
    const sec = /^(\w+)\/Sec\.$/.exec(type);
    const a = advisory(id, type, sec ? sec[1] : undefined, nevra, installed);
    if (a) out.push(a);
  }
  return out;
}

/** Parses dnf 5 `advisory list --json` / `updateinfo list --json`: [{name, type, severity, nevra, buildtime}]. */
export function parseAdvisoryListJson(text: string): AdvisoryEntry[] {
  const rows = JSON.parse(text) as { name?: string; type?: string; severity?: string; nevra?: string }[];
  const out: AdvisoryEntry[] = [];
  for (const r of rows) {
    if (!r.name || !r.nevra) continue;
    const a = advisory(r.name, r.type ?? 'other', r.severity, r.nevra, false);
    if (a) out.push(a);
  }
  return out;
}

/**
 * Parses dnf 5 `advisory list` text: a header `Name|CVE Type Severity Package Issued` then rows
 * `ID TYPE SEVERITY NEVRA YYYY-MM-DD HH:MM:SS`.
 */
export function parseAdvisoryListText(text: string): AdvisoryEntry[] {
  const out: AdvisoryEntry[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[0] === 'Name' || cols[0] === 'CVE') continue;
    const [id, type, severity, nevra] = cols as [string, string, string, string];
    const a = advisory(id, type, severity, nevra, false);
    if (a) out.push(a);
  }
  return out;
}

/**
 * `needs-restarting -r` (yum-utils, dnf 4 plugin, tdnf) and dnf 5 `needs-restarting`: exit 1 means a reboot
 * is needed; the packages follow as `  * name` (dnf) or `  name -> version` (yum).
 */
export function parseNeedsRestarting(text: string, exitCode: number): RebootState {
  const packages: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s+\*\s+(\S+)\s*$/.exec(line) ?? /^\s+(\S+) -> \S+/.exec(line);
    if (m) packages.push(m[1]!);
  }
  const saysReboot = /Reboot is required/.test(text);
  return { required: exitCode === 1 || (exitCode === 0 && saysReboot && packages.length > 0), packages };
}

/** The dnf 5 `needs-restarting --json` form. */
export function parseNeedsRestartingJson(text: string): RebootState {
  const rows = JSON.parse(text) as { type?: string; reboot_required?: boolean; packages?: string[] }[];
  const reboot = rows.find((r) => r.type === 'reboot');
  return { required: reboot?.reboot_required === true, packages: reboot?.packages ?? [] };
}

/** The rpm query format the backends ask for: one JSON object per installed package. */
export const RPM_QUERY_FORMAT =
  '\\{"architecture":"%{ARCH}","package":"%{NAME}","source_name":"%{SOURCERPM}","version":"%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}"\\}\\n';

/** `rpm -q` of one `name[.arch]`: the `[epoch:]version-release` of each installed one, a line each. */
export const rpmInstalledVersions = (nameArch: string) =>
  ['rpm', ['-q', '--qf', '%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n', nameArch]] as const;

/** The versions `rpmInstalledVersions` printed; none when rpm failed (not installed). */
export function parseRpmInstalledVersions(code: number, stdout: string): string[] {
  return code === 0 ? stdout.split('\n').filter((l) => l.trim() !== '') : [];
}

/** Parses the JSON-lines inventory; drops `gpg-pubkey` pseudo-packages. */
export function parseRpmQuery(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as Record<string, string | undefined>;
    if (!j.package || !j.version || j.package === 'gpg-pubkey') continue;
    const source = j.source_name && j.source_name !== '(none)' ? srpmName(j.source_name) : undefined;
    out.push({
      name: j.package,
      version: j.version,
      ...(j.architecture && j.architecture !== '(none)' ? { arch: j.architecture } : {}),
      ...(source ? { source } : {}),
    });
  }
  return out;
}

/** `libreport-2.15.2-6.el9.src.rpm` → `libreport` */
export function srpmName(srpm: string): string {
  const n = parseNevra(srpm);
  return n ? n.name : srpm;
}

const RANK: Record<Severity, number> = { none: 0, low: 1, moderate: 2, important: 3, critical: 4 };

export function maxSeverity(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

// One version comparator for the whole project: the catalog's, in core.
export { compareRpmVersions } from '../../core/advisories/versions.ts';
