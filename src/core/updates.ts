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
