import {
  parseDf,
  parseEnabledServices,
  parseGroups,
  parseOsRelease,
  parsePasswd,
} from '../audit/linux-parse.ts';
import { parseMacosAudit } from '../audit/macos-parse.ts';
import {
  boundReport,
  emptyLists,
  linuxSecurityProducts,
  type AuditKind,
  type AuditReport,
} from '../audit/model.ts';
import { parseWindowsAudit } from '../audit/windows-parse.ts';
import {
  LINUX_DF,
  LINUX_ENABLED_SERVICES,
  LINUX_GROUP,
  LINUX_OS_RELEASE,
  LINUX_PASSWD,
  MACOS_AUDIT_SAMPLE,
  WINDOWS_AUDIT_SAMPLE,
} from './audit-samples.ts';
import type { InstalledPackage } from './types.ts';
import type { OsFamily } from './machine.ts';

// What a simulated machine reports when asked for an audit: the recorded (or format-true) outputs of its
// OS's tools (audit-samples.ts) run through the same parsers as a real agent's, made its own: its
// name, a serial derived from its seed, and (Linux) its own installed packages.

export function simulatedAudit(input: {
  family: OsFamily;
  name: string;
  seed: number;
  inventory: readonly InstalledPackage[];
  kind: AuditKind;
  now: number;
}): AuditReport {
  const at = new Date(input.now).toISOString();
  const serial = `SIM${(input.seed >>> 0).toString(36).toUpperCase().padStart(7, '0')}`;
  let r: AuditReport;
  if (input.family === 'windows') r = parseWindowsAudit(WINDOWS_AUDIT_SAMPLE, input.kind, at);
  else if (input.family === 'macos') r = parseMacosAudit(MACOS_AUDIT_SAMPLE, input.kind, at);
  else {
    const startupApps = parseEnabledServices(LINUX_ENABLED_SERVICES);
    const applications = input.inventory.map((p) => ({ name: p.name, version: p.version }));
    r = {
      kind: input.kind,
      collectedAt: at,
      summary: {
        ...parseOsRelease(LINUX_OS_RELEASE[input.family] ?? ''),
        manufacturer: 'QEMU',
        model: 'Standard PC (Q35 + ICH9, 2009)',
        cpuManufacturer: 'AMD',
        cpuDescription: 'AMD EPYC 7763 64-Core Processor',
        cpuCount: 2,
        ramMBytes: 4096,
      },
      ...emptyLists(),
      applications,
      volumes: parseDf(LINUX_DF),
      users: parsePasswd(LINUX_PASSWD),
      ...parseGroups(LINUX_GROUP, LINUX_PASSWD),
      startupApps,
      securityProducts: linuxSecurityProducts(applications, startupApps),
    };
  }
  r.summary = { ...r.summary, hostname: input.name, serialNumber: serial };
  return boundReport(r);
}
