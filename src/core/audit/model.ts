// An audit of a machine (issue 16, seed 004's "Audit" chapter): what its operating system tells about its
// hardware and software, in domain words. The agent's backends fill it (Linux from real commands and
// files, Windows and macOS from their tools' outputs, parsed in core/audit), the wire schema bounds it
// (wire/audit.ts), the store keeps the latest and the baseline one per device, and each face renders it
// in its own words (faces/kaseya/audit.ts).

/** which audit: latest (the configuration now), baseline (the reference it is compared with), sysinfo (hardware) */
export const AUDIT_KINDS = ['latest', 'baseline', 'sysinfo'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditSummary {
  hostname?: string;
  osName?: string;
  osVersion?: string;
  manufacturer?: string;
  model?: string;
  systemVersion?: string;
  serialNumber?: string;
  chassisType?: string;
  chassisManufacturer?: string;
  chassisSerialNumber?: string;
  chassisAssetTag?: string;
  boardManufacturer?: string;
  boardProduct?: string;
  boardVersion?: string;
  boardSerialNumber?: string;
  biosVendor?: string;
  biosVersion?: string;
  /** YYYY-MM-DD */
  biosReleaseDate?: string;
  cpuManufacturer?: string;
  cpuDescription?: string;
  cpuFamily?: string;
  cpuCount?: number;
  cpuSpeedMhz?: number;
  ramMBytes?: number;
  ipAddress?: string;
  ipv6Address?: string;
  macAddress?: string;
  subnetMask?: string;
  defaultGateway?: string;
  dnsServer?: string;
  /** ISO date-time of the last boot */
  lastBootAt?: string;
  timeZone?: string;
}

export interface AuditApplication {
  name: string;
  version?: string;
  publisher?: string;
  description?: string;
  directory?: string;
  sizeKBytes?: number;
  /** ISO date (or date-time) the OS says it was installed or last changed */
  installedAt?: string;
}
export interface AuditProgram {
  name: string;
  uninstallString?: string;
}
export interface AuditVolume {
  drive: string;
  /** Fixed, Removable, Network, CD-ROM, RAM disk */
  type?: string;
  format?: string;
  label?: string;
  totalMBytes?: number;
  freeMBytes?: number;
}
export interface AuditDevice {
  kind: 'pci' | 'disk';
  typeName?: string;
  vendor?: string;
  product?: string;
  note?: string;
}
export interface AuditPrinter {
  name: string;
  port?: string;
  model?: string;
}
export interface AuditSecurityProduct {
  /** AntiVirus, Firewall, AntiSpyware, Mandatory Access Control */
  type: string;
  name: string;
  manufacturer?: string;
  version?: string;
  active?: boolean;
  upToDate?: boolean;
}
export interface AuditStartupApp {
  name: string;
  command?: string;
  user?: string;
}
export interface AuditUser {
  logonName: string;
  fullName?: string;
  description?: string;
  disabled?: boolean;
  lockedOut?: boolean;
  passwordRequired?: boolean;
  passwordExpired?: boolean;
  passwordChangeable?: boolean;
}
export interface AuditGroup {
  name: string;
  description?: string;
}
export interface AuditMember {
  group: string;
  member: string;
}
export interface AuditLicense {
  product: string;
  publisher?: string;
  productKey?: string;
  licenseCode?: string;
  version?: string;
  installedAt?: string;
}

/** the list parts of an audit, each with the most items one report may carry (wire/audit.ts) */
export const AUDIT_LISTS = {
  applications: 5000,
  programs: 5000,
  volumes: 200,
  devices: 500,
  printers: 200,
  securityProducts: 100,
  startupApps: 1000,
  users: 2000,
  groups: 2000,
  members: 10000,
  licenses: 500,
} as const;
export type AuditList = keyof typeof AUDIT_LISTS;

export interface AuditLists {
  applications: AuditApplication[];
  programs: AuditProgram[];
  volumes: AuditVolume[];
  devices: AuditDevice[];
  printers: AuditPrinter[];
  securityProducts: AuditSecurityProduct[];
  startupApps: AuditStartupApp[];
  users: AuditUser[];
  groups: AuditGroup[];
  members: AuditMember[];
  licenses: AuditLicense[];
}

/** what an agent reports: the summary and every list (a list the OS cannot tell is empty) */
export interface AuditReport extends AuditLists {
  kind: AuditKind;
  /** ISO date-time the agent collected it */
  collectedAt: string;
  summary: AuditSummary;
}

/** the longest text any field of an audit may hold; longer text is cut by the collector */
export const AUDIT_TEXT_MAX = 1000;

export const emptyLists = (): AuditLists => ({
  applications: [],
  programs: [],
  volumes: [],
  devices: [],
  printers: [],
  securityProducts: [],
  startupApps: [],
  users: [],
  groups: [],
  members: [],
  licenses: [],
});

/**
 * Cuts a report to the wire's bounds (item counts, text lengths) and drops empty optional values, so a
 * machine with 9,000 packages still reports (its first 5,000, by name) rather than failing.
 */
export function boundReport(r: AuditReport): AuditReport {
  const cut = (v: unknown): unknown => {
    if (typeof v === 'string') return v.length > AUDIT_TEXT_MAX ? v.slice(0, AUDIT_TEXT_MAX) : v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(
        Object.entries(v)
          .map(([k, x]) => [k, cut(x)] as const)
          .filter(([, x]) => x !== undefined && x !== ''),
      );
    return v;
  };
  const out = { kind: r.kind, collectedAt: r.collectedAt, summary: cut(r.summary) } as AuditReport;
  for (const k of Object.keys(AUDIT_LISTS) as AuditList[]) {
    const items = (r[k] as unknown[]).slice(0, AUDIT_LISTS[k]).map(cut);
    (out as unknown as Record<string, unknown>)[k] = items;
  }
  return out;
}

// ---- security products an OS shows through its installed software ----------------------------------
// Linux has no security center: a known package installed is the product, active when its service is
// among the enabled startup services. The table is the decision (names as Debian, Fedora and SUSE
// package them).
const LINUX_SECURITY: readonly { pkg: RegExp; type: string; name: string; service?: string }[] = [
  { pkg: /^clamav-daemon$/, type: 'AntiVirus', name: 'ClamAV', service: 'clamav-daemon' },
  { pkg: /^clamav$/, type: 'AntiVirus', name: 'ClamAV (scanner)' },
  { pkg: /^ufw$/, type: 'Firewall', name: 'Uncomplicated Firewall', service: 'ufw' },
  { pkg: /^firewalld$/, type: 'Firewall', name: 'firewalld', service: 'firewalld' },
  { pkg: /^nftables$/, type: 'Firewall', name: 'nftables', service: 'nftables' },
  { pkg: /^fail2ban$/, type: 'Intrusion Prevention', name: 'Fail2ban', service: 'fail2ban' },
  { pkg: /^apparmor$/, type: 'Mandatory Access Control', name: 'AppArmor', service: 'apparmor' },
  { pkg: /^selinux-policy(-targeted)?$/, type: 'Mandatory Access Control', name: 'SELinux' },
  { pkg: /^falcon-sensor$/, type: 'AntiVirus', name: 'CrowdStrike Falcon', service: 'falcon-sensor' },
  { pkg: /^mdatp$/, type: 'AntiVirus', name: 'Microsoft Defender for Endpoint', service: 'mdatp' },
];

export function linuxSecurityProducts(
  apps: readonly AuditApplication[],
  startup: readonly AuditStartupApp[],
): AuditSecurityProduct[] {
  const enabled = new Set(startup.map((s) => s.name.replace(/\.service$/, '')));
  const out: AuditSecurityProduct[] = [];
  for (const a of apps)
    for (const s of LINUX_SECURITY)
      if (s.pkg.test(a.name))
        out.push({
          type: s.type,
          name: s.name,
          ...(a.publisher ? { manufacturer: a.publisher } : {}),
          ...(a.version ? { version: a.version } : {}),
          ...(s.service ? { active: enabled.has(s.service) } : {}),
        });
  return out;
}
