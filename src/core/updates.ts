import { compareVersions, type VersionScheme } from './advisories/versions.ts';
import { invalid } from './errors.ts';
import { normalizeSeverity, type Severity } from './severity.ts';
import type { Detection } from './status.ts';

export const UPDATE_KINDS = ['deb', 'rpm', 'kb', 'macos', 'app', 'simulated'] as const;
export type UpdateKind = (typeof UPDATE_KINDS)[number];

/** An update as an agent (or an import) describes it. */
export interface UpdateDescriptor {
  kind: UpdateKind;
  name: string;
  packageName?: string;
  version?: string;
  architecture?: string;
  kb?: string;
  osFamily?: string;
  classification?: string;
  isSecurity?: boolean;
  isOptional?: boolean;
  severity?: string;
  rebootBehavior?: 'never' | 'may' | 'always';
  sizeBytes?: number;
  patchSource?: string;
  cves?: string[];
}

export interface ReportedUpdate extends UpdateDescriptor {
  detection: Detection;
  installedVersion?: string;
}

/** The identity of an update across devices: the same package version is one update. */
export function naturalKey(u: UpdateDescriptor): string {
  switch (u.kind) {
    case 'kb': {
      const kb = normalizeKb(u.kb ?? u.name);
      return `kb:${kb}${u.architecture ? `:${u.architecture}` : ''}`;
    }
    case 'macos':
      return `macos:${u.name}${u.version ? `:${u.version}` : ''}`;
    default: {
      const pkg = u.packageName ?? u.name;
      if (!u.version)
        throw invalid(`a ${u.kind} update needs a version`, [
          { path: '/version', message: `missing for ${pkg}` },
        ]);
      return `${u.kind}:${pkg}:${u.version}${u.architecture ? `:${u.architecture}` : ''}`;
    }
  }
}

export function normalizeKb(kb: string): string {
  const m = /^(?:KB)?\s*([0-9]{5,8})$/i.exec(kb.trim());
  if (!m)
    throw invalid(`'${kb}' is not a KB article number`, [
      { path: '/kb', message: 'must look like KB5034441' },
    ]);
  return `KB${m[1]}`;
}

export const CVE_PATTERN = /^CVE-[0-9]{4}-[0-9]{4,}$/;
export const normalizeCve = (id: string) => id.trim().toUpperCase();

export function updateSeverity(u: UpdateDescriptor): Severity {
  return normalizeSeverity(u.severity);
}

// ---- supersedence of package updates -------------------------------------------------------------------
// An update is superseded when a later update replaces it: installing the later one makes the earlier one
// pointless (Kaseya's IsSuperseded, Altiris's superseded bulletins). What the data says, and nothing more:
//  - apt and dnf install the newest version of a package: a newer version of the same package (same kind,
//    package name and architecture, ordered by dpkg's or rpm's rules) supersedes an older one. Versions are
//    only compared where something says both belong to the same distribution release, since a newer
//    release's package is not offered to an older release's machines: one device's package manager reported
//    both (it had the older one and now offers or has the newer), or the vendor said so (the newer one's
//    advisory supersedes the older one's, store/repos/catalog-repo.ts linkUpdateSupersedence).
//  - nothing else is known to supersede: a KB, a macOS or an application update is never marked (the
//    catalog knows no KB's product, so a bulletin's supersedence cannot tell which of its KBs replaces which).

/** what supersedence compares of an update */
export interface PackageVersion {
  kind: string;
  package_name: string | null;
  architecture: string | null;
  version: string | null;
}

/** the version order of a package update's kind: dpkg for deb, rpm for rpm, none for any other kind */
export const versionSchemeOfKind = (kind: string): VersionScheme | undefined =>
  kind === 'deb' ? 'dpkg' : kind === 'rpm' ? 'rpm' : undefined;

/** whether `newer` is a newer version of the same package as `older` (the rule above; same release assumed) */
export function supersedesPackage(newer: PackageVersion, older: PackageVersion): boolean {
  const scheme = versionSchemeOfKind(newer.kind);
  if (!scheme || newer.kind !== older.kind) return false;
  if (!newer.package_name || newer.package_name !== older.package_name) return false;
  if ((newer.architecture ?? null) !== (older.architecture ?? null)) return false;
  if (!newer.version || !older.version) return false;
  return compareVersions(scheme, newer.version, older.version) > 0;
}

/** pairs (older, newer) among some package updates, each on the evidence that they share a release */
export function supersededPairs<T extends PackageVersion & { id: number }>(
  updates: readonly T[],
): { updateId: number; supersededById: number }[] {
  const byPackage = new Map<string, T[]>();
  for (const u of updates) {
    if (!versionSchemeOfKind(u.kind) || !u.package_name) continue;
    const key = JSON.stringify([u.kind, u.package_name, u.architecture ?? null]);
    byPackage.set(key, [...(byPackage.get(key) ?? []), u]);
  }
  const out: { updateId: number; supersededById: number }[] = [];
  for (const same of byPackage.values())
    for (const n of same)
      for (const o of same)
        if (n.id !== o.id && supersedesPackage(n, o)) out.push({ updateId: o.id, supersededById: n.id });
  return out;
}
