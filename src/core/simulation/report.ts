// Turns what a backend found into the scan report the agent protocol carries, and a report into a delta
// against the last one sent. Pure: no I/O. The agent reports its machine with it, and the demo its
// simulated machines, so both send the very same reports.
import type { ReportedUpdate, UpdateKind } from '../updates.ts';
import type { AvailableUpdate, BackendName, InstalledPackage, ScanResult } from './types.ts';

const CVE = /^CVE-[0-9]{4}-[0-9]{4,}$/;
const KB = /^KB[0-9]{5,8}$/i;
const cut = (s: string | undefined, n: number) => (s === undefined ? undefined : s.slice(0, n));

/** the protocol's update kind for what a backend reports */
export function updateKind(backend: BackendName, u: { name: string }): UpdateKind {
  switch (backend) {
    case 'apt':
      return 'deb';
    case 'dnf':
    case 'yum':
    case 'zypper':
      return 'rpm';
    case 'windows':
      return KB.test(u.name) ? 'kb' : 'app';
    case 'macos':
      return 'macos';
    case 'simulated':
      return 'simulated';
  }
}

const REBOOT = {
  never: 'never',
  may: 'may',
  unknown: 'may',
  required: 'always',
  shutdown: 'always',
} as const;

/** the KB article an update names: its name when that is one (KB5034441), else one its title names */
export function kbOf(u: { name: string; title?: string | undefined }): string | undefined {
  if (KB.test(u.name)) return u.name.toUpperCase();
  const m = /\bKB\s?([0-9]{5,8})\b/i.exec(u.title ?? '');
  return m ? `KB${m[1]}` : undefined;
}

export function reportedUpdate(backend: BackendName, u: AvailableUpdate): ReportedUpdate {
  const kind = updateKind(backend, u);
  // a package manager's names are never KB articles; Windows updates (and simulated Windows machines,
  // whose kind is `simulated`) carry the KB their name or title names
  const kb = kind === 'deb' || kind === 'rpm' || kind === 'macos' ? undefined : kbOf(u);
  return {
    kind,
    name: u.name.slice(0, 300),
    ...(kb ? { kb } : {}),
    version: cut(u.version, 100),
    ...(u.arch ? { architecture: cut(u.arch, 50) } : {}),
    classification: u.classification,
    isSecurity: u.classification === 'security',
    ...(u.severity ? { severity: u.severity } : {}),
    rebootBehavior: REBOOT[u.reboot],
    ...(u.sizeBytes !== undefined ? { sizeBytes: u.sizeBytes } : {}),
    ...(u.source ? { patchSource: u.source.slice(0, 50) } : {}),
    cves: u.cves.filter((c) => CVE.test(c)).slice(0, 500),
    detection: 'missing',
    ...(u.installedVersion ? { installedVersion: cut(u.installedVersion, 100) } : {}),
  };
}

/**
 * The scan as the server should see it: each available update is missing; a package the package
 * manager left unfinished (half-configured, unpacked: a failed install) is missing at its version too,
 * because it is not installed until it is configured.
 */
export function scanToReport(scan: ScanResult): ReportedUpdate[] {
  const out = scan.updates.map((u) => reportedUpdate(scan.backend, u));
  const offered = new Set(out.map((u) => `${u.name}\u0000${u.version}`));
  for (const p of scan.inventory) {
    if (!p.status || offered.has(`${p.name}\u0000${p.version}`)) continue;
    out.push(unfinished(scan.backend, p));
  }
  return out;
}

function unfinished(backend: BackendName, p: InstalledPackage): ReportedUpdate {
  return {
    kind: updateKind(backend, p),
    name: p.name.slice(0, 300),
    version: p.version.slice(0, 100),
    ...(p.arch ? { architecture: p.arch.slice(0, 50) } : {}),
    detection: 'missing',
  };
}

/** what identifies a reported update across reports (the server's natural key, give or take the kind) */
export const updateKey = (u: ReportedUpdate) =>
  `${u.kind}:${u.kb ?? u.packageName ?? u.name}:${u.version ?? ''}:${u.architecture ?? ''}`;

export type Snapshot = Record<string, string>;

export function snapshotOf(updates: readonly ReportedUpdate[]): Snapshot {
  const s: Snapshot = {};
  for (const u of updates) s[updateKey(u)] = u.detection;
  return s;
}

/**
 * The delta from the last snapshot sent: updates that are new or changed, and updates that were missing
 * and are no longer reported, now installed.
 */
export function deltaOf(previous: Snapshot, current: readonly ReportedUpdate[]): ReportedUpdate[] {
  const out: ReportedUpdate[] = [];
  const seen = new Set<string>();
  for (const u of current) {
    const k = updateKey(u);
    seen.add(k);
    if (previous[k] !== u.detection) out.push(u);
  }
  for (const [k, detection] of Object.entries(previous)) {
    if (seen.has(k) || detection !== 'missing') continue;
    const [kind, name, version, arch] = splitKey(k);
    out.push({
      // the key was made from a reported update, so its kind is one of the update kinds
      kind: kind as UpdateKind,
      name,
      ...(kind === 'kb' ? { kb: name } : {}),
      ...(version ? { version } : {}),
      ...(arch ? { architecture: arch } : {}),
      detection: 'installed',
    });
  }
  return out;
}

function splitKey(k: string): [string, string, string, string] {
  // kind and architecture hold no ':'; names hold none in any packaging system; versions may (epochs)
  const first = k.indexOf(':');
  const second = k.indexOf(':', first + 1);
  const last = k.lastIndexOf(':');
  return [k.slice(0, first), k.slice(first + 1, second), k.slice(second + 1, last), k.slice(last + 1)];
}
