// Bulletins for the demo data set, made from what the simulated machines were offered: one advisory per
// release of an OS feed (DSA, USN, RHSA/RHBA, SUSE-SU/RU, a Microsoft KB), naming the package and the
// fixed version, so the catalog links every demo update to its bulletin and CVEs as it would link real ones.
// Pure: no I/O.
import type { AvailableUpdate } from '../core/simulation/types.ts';
import type { OsFamily as SimulatedFamily } from '../core/simulation/machine.ts';
import type { AffectedPackage, Bulletin, CveRecord, KevRecord, Severity } from '../core/advisories/model.ts';

export interface OfferedUpdate {
  readonly family: SimulatedFamily;
  /** the OS feed's version: `12`, `24.04`, `9.4`, `15-SP5`, `11-24H2` */
  readonly osVersion: string;
  readonly update: AvailableUpdate;
  /** when the demo first saw it offered: its bulletin's publication */
  readonly seenAt: Date;
}

const SEVERITY: Record<string, Severity> = {
  critical: 'critical',
  important: 'high',
  moderate: 'medium',
  low: 'low',
};

const VENDOR: Record<SimulatedFamily, string> = {
  debian: 'Debian',
  ubuntu: 'Canonical',
  rhel: 'Red Hat',
  suse: 'SUSE',
  windows: 'Microsoft',
  macos: 'Apple',
};

function ecosystem(family: SimulatedFamily, osVersion: string): string {
  switch (family) {
    case 'debian':
      return `Debian:${osVersion}`;
    case 'ubuntu':
      return `Ubuntu:${osVersion}`;
    case 'rhel':
      return 'Red Hat';
    case 'suse':
      return 'SUSE';
    default:
      return VENDOR[family];
  }
}

/** a stable number in [0, 1) from a string, so the same CVE always gets the same score */
export function unit(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return ((h ^ (h >>> 12)) >>> 0) / 4294967296;
}

const SCORE_RANGE: Record<Severity, [number, number]> = {
  critical: [9.0, 9.8],
  high: [7.0, 8.9],
  medium: [4.0, 6.9],
  low: [2.0, 3.9],
  none: [0, 0],
  unknown: [0, 0],
};
const score = (severity: Severity, key: string) => {
  const [lo, hi] = SCORE_RANGE[severity];
  return Math.round((lo + (hi - lo) * unit(key)) * 10) / 10;
};

const FLAWS = [
  'A heap-based buffer overflow',
  'A use-after-free',
  'An out-of-bounds read',
  'An integer overflow',
  'Improper certificate validation',
  'A path traversal flaw',
  'A race condition',
  'A NULL pointer dereference',
];
const IMPACTS = [
  'could allow a remote attacker to execute arbitrary code',
  'could allow a local user to gain elevated privileges',
  'could let a remote attacker cause a denial of service',
  'could disclose sensitive information to an attacker',
  'could allow an attacker to bypass authentication',
];

function cveRecord(cve: string, product: string, severity: Severity, published: string): CveRecord {
  const flaw = FLAWS[Math.floor(unit(`${cve}/f`) * FLAWS.length)]!;
  const impact = IMPACTS[Math.floor(unit(`${cve}/i`) * IMPACTS.length)]!;
  return {
    id: cve,
    description: `${flaw} in ${product} ${impact}.`,
    cvss: { score: score(severity, cve), version: '3.1' },
    severity,
    published,
  };
}

function title(family: SimulatedFamily, u: AvailableUpdate, at: Date, security: boolean): string {
  if (family === 'windows') {
    const month = at.toISOString().slice(0, 7);
    return `${month} ${u.title ?? u.name} for Windows 11 Version 24H2 (${u.name})`;
  }
  const kind = security ? 'security update' : 'bug fix update';
  return `${u.name}: ${kind}`;
}

/** one bulletin per advisory id the offered updates name (macOS updates name none) */
export function demoBulletins(offered: Iterable<OfferedUpdate>): Bulletin[] {
  const out = new Map<string, Bulletin>();
  for (const o of offered) {
    const u = o.update;
    const id = u.advisoryIds[0];
    if (!id || out.has(id)) continue;
    const security = u.classification === 'security';
    const severity: Severity = security ? (SEVERITY[u.severity ?? ''] ?? 'medium') : 'none';
    const published = o.seenAt.toISOString();
    const product = o.family === 'windows' ? (u.title ?? u.name) : u.name;
    const pkg: AffectedPackage =
      o.family === 'windows'
        ? {
            ecosystem: ecosystem(o.family, o.osVersion),
            product: 'Windows 11 Version 24H2',
            name: u.title ?? u.name,
            status: 'fixed',
            kbs: [u.name],
          }
        : {
            ecosystem: ecosystem(o.family, o.osVersion),
            name: u.name,
            status: 'fixed',
            fixedVersion: u.version,
            ...(u.arch ? { architectures: [u.arch] } : {}),
          };
    const cves = security ? [...new Set(u.cves)] : [];
    out.set(id, {
      source: o.family === 'debian' || o.family === 'ubuntu' ? 'osv' : 'csaf',
      id,
      vendor: VENDOR[o.family],
      title: title(o.family, u, o.seenAt, security),
      summary: security
        ? `Fixes ${cves.length} vulnerabilit${cves.length === 1 ? 'y' : 'ies'} in ${product}; ${u.version} is the fixed version.`
        : `${product} ${u.version}: ${u.classification}.`,
      severity,
      ...(security && cves[0] ? { cvss: { score: score(severity, cves[0]), version: '3.1' } } : {}),
      published,
      modified: published,
      cves,
      aliases: [],
      supersedes: [],
      references: [
        { url: `https://patchline.invalid/demo/advisories/${encodeURIComponent(id)}`, type: 'ADVISORY' },
      ],
      packages: [pkg],
      cveDetails: cves.map((c) => cveRecord(c, product, severity, published)),
    });
  }
  return [...out.values()];
}

/**
 * CISA's known exploited vulnerabilities catalog (its JSON shape) for some of the critical demo CVEs, so
 * the console shows exploited vulnerabilities; imported through the KEV importer like the real file.
 */
export function demoKevCatalog(bulletins: readonly Bulletin[], at: Date): string {
  const vulnerabilities: Record<string, string>[] = [];
  for (const b of bulletins) {
    if (b.severity !== 'critical') continue;
    for (const cve of b.cves) {
      if (unit(`${cve}/kev`) >= 0.35) continue;
      const added = new Date(Date.parse(b.published ?? at.toISOString()) + 3 * 86_400_000);
      const record: KevRecord = {
        cve,
        vendor: b.vendor ?? 'unknown',
        product: b.packages[0]?.name ?? 'unknown',
        name: `${b.packages[0]?.name ?? 'product'} vulnerability`,
        dateAdded: added.toISOString().slice(0, 10),
        dueDate: new Date(added.getTime() + 21 * 86_400_000).toISOString().slice(0, 10),
        ransomwareUse: 'unknown',
        cwes: [],
      };
      vulnerabilities.push({
        cveID: record.cve,
        vendorProject: record.vendor,
        product: record.product,
        vulnerabilityName: record.name,
        dateAdded: record.dateAdded,
        shortDescription: `${record.product} contains a vulnerability that is being exploited (demo data).`,
        requiredAction: 'Apply mitigations per vendor instructions or discontinue use of the product.',
        dueDate: record.dueDate!,
        knownRansomwareCampaignUse: 'Unknown',
        notes: '',
      });
    }
  }
  return JSON.stringify({
    title: 'CISA Catalog of Known Exploited Vulnerabilities (Patchline demo)',
    catalogVersion: at.toISOString().slice(0, 10).replace(/-/g, '.'),
    dateReleased: at.toISOString(),
    count: vulnerabilities.length,
    vulnerabilities,
  });
}
