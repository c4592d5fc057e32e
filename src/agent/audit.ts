// The audit an agent sends when a scan job asks for one (payload.audit): the backend's own when it has
// one (the simulated machine), else what this machine's OS tells, read with its real tools and files and
// parsed by core/audit (Linux: /etc/os-release, /proc, /sys/class/dmi/id, /sys/bus/pci, dpkg-query or
// rpm, df, lsblk, systemctl, lpstat, /etc/passwd and /etc/group; Windows: one PowerShell CIM query;
// macOS: system_profiler). A tool that is missing or fails leaves its part empty: an audit is what the
// OS could tell, never a failed job.
import { readdir, readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import {
  parseCpuInfo,
  parseDf,
  parseDmi,
  parseDpkgApps,
  parseEnabledServices,
  parseGroups,
  parseLpstat,
  parseLsblkDisks,
  parseMemInfo,
  parseOsRelease,
  parsePasswd,
  parseRpmApps,
  parseSysPci,
  parseUptime,
  RPM_APPS_FORMAT,
} from '../core/audit/linux-parse.ts';
import { MACOS_AUDIT_ARGS, parseMacosAudit } from '../core/audit/macos-parse.ts';
import {
  AUDIT_KINDS,
  boundReport,
  emptyLists,
  linuxSecurityProducts,
  type AuditKind,
  type AuditReport,
  type AuditSummary,
} from '../core/audit/model.ts';
import { parseWindowsAudit, WINDOWS_AUDIT_SCRIPT } from '../core/audit/windows-parse.ts';
import { spawnRunner } from './backends/runner.ts';
import type { CommandRunner } from './backends/types.ts';
import type { Job } from './client.ts';
import type { AgentRuntime } from './runtime.ts';
import { auditKey } from './storage.ts';

const TIMEOUT_MS = 60_000;

/** the audit a job asks for, if any */
export const auditOf = (job: Job): AuditKind | undefined =>
  (AUDIT_KINDS as readonly unknown[]).includes(job.payload.audit)
    ? (job.payload.audit as AuditKind)
    : undefined;

const read = (path: string) => readFile(path, 'utf8').catch(() => '');

/** the addresses Node sees: the first non-internal IPv4 (with its mask and MAC) and IPv6 */
function network(): AuditSummary {
  const out: AuditSummary = {};
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4' && !out.ipAddress) {
        out.ipAddress = a.address;
        out.subnetMask = a.netmask;
        if (a.mac && a.mac !== '00:00:00:00:00:00') out.macAddress = a.mac.toUpperCase();
      }
      if (a.family === 'IPv6' && !out.ipv6Address && !a.address.startsWith('fe80'))
        out.ipv6Address = a.address;
    }
  return out;
}

const DMI_FILES = [
  'sys_vendor',
  'product_name',
  'product_version',
  'product_serial',
  'chassis_vendor',
  'chassis_serial',
  'chassis_asset_tag',
  'chassis_type',
  'board_vendor',
  'board_name',
  'board_version',
  'board_serial',
  'bios_vendor',
  'bios_version',
  'bios_date',
];

/** the PCI devices as parseSysPci reads them: `<slot> <class> <vendor> <device>` per line */
async function sysPci(root = '/sys/bus/pci/devices'): Promise<string> {
  const slots = await readdir(root).catch(() => [] as string[]);
  const lines: string[] = [];
  for (const s of slots.slice(0, 500)) {
    const [cls, vendor, device] = await Promise.all(
      ['class', 'vendor', 'device'].map(async (f) => (await read(join(root, s, f))).trim()),
    );
    if (cls && vendor && device) lines.push(`${s} ${cls} ${vendor} ${device}`);
  }
  return lines.join('\n');
}

export async function collectLinuxAudit(
  kind: AuditKind,
  run: CommandRunner = spawnRunner,
  now = Date.now(),
): Promise<AuditReport> {
  const out = async (cmd: string, args: readonly string[]) => {
    const r = await run(cmd, args, { timeoutMs: TIMEOUT_MS });
    return r.code === 0 ? r.stdout : '';
  };
  const dmi: Record<string, string> = {};
  await Promise.all(DMI_FILES.map(async (f) => (dmi[f] = await read(`/sys/class/dmi/id/${f}`))));
  const [osRelease = '', cpu = '', mem = '', uptime = '', passwd = '', group = ''] = await Promise.all(
    ['/etc/os-release', '/proc/cpuinfo', '/proc/meminfo', '/proc/uptime', '/etc/passwd', '/etc/group'].map(
      read,
    ),
  );
  const dpkg = await out('dpkg-query', [
    '-W',
    '-f=${binary:Package}\\t${Version}\\t${Maintainer}\\t${Installed-Size}\\t${db:Status-Abbrev}\\t${binary:Summary}\\n',
  ]);
  const applications = dpkg
    ? parseDpkgApps(dpkg)
    : parseRpmApps(await out('rpm', ['-qa', '--qf', RPM_APPS_FORMAT]));
  const startupApps = parseEnabledServices(
    await out('systemctl', [
      'list-unit-files',
      '--type=service',
      '--state=enabled',
      '--no-legend',
      '--no-pager',
    ]),
  );
  const lsblk = await out('lsblk', [
    '-J',
    '-b',
    '-o',
    'NAME,TYPE,SIZE,MODEL,VENDOR,SERIAL,FSTYPE,MOUNTPOINT,LABEL,RM,ROTA',
  ]);
  let disks: AuditReport['devices'];
  try {
    disks = lsblk ? parseLsblkDisks(lsblk) : [];
  } catch {
    disks = []; // lsblk too old for -J: no disks rather than no audit
  }
  const { groups, members } = parseGroups(group, passwd);
  return boundReport({
    kind,
    collectedAt: new Date(now).toISOString(),
    summary: {
      hostname: hostname(),
      ...parseOsRelease(osRelease),
      ...parseDmi(dmi),
      ...parseCpuInfo(cpu),
      ...parseMemInfo(mem),
      ...parseUptime(uptime, now),
      ...network(),
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    },
    ...emptyLists(),
    applications,
    volumes: parseDf(await out('df', ['-P', '-T', '-B1'])),
    devices: [...parseSysPci(await sysPci()), ...disks],
    printers: parseLpstat(await out('lpstat', ['-v'])),
    securityProducts: linuxSecurityProducts(applications, startupApps),
    startupApps,
    users: parsePasswd(passwd),
    groups,
    members,
  });
}

/** this machine's audit, by platform */
export async function collectAudit(kind: AuditKind, run: CommandRunner = spawnRunner): Promise<AuditReport> {
  const at = new Date().toISOString();
  if (process.platform === 'win32') {
    const r = await run(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-Command', WINDOWS_AUDIT_SCRIPT],
      {
        timeoutMs: TIMEOUT_MS * 3,
      },
    );
    if (r.code !== 0) throw new Error(`the audit query failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    return boundReport(parseWindowsAudit(r.stdout, kind, at));
  }
  if (process.platform === 'darwin') {
    const r = await run('/usr/sbin/system_profiler', MACOS_AUDIT_ARGS, { timeoutMs: TIMEOUT_MS * 3 });
    if (r.code !== 0) throw new Error(`system_profiler failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    return boundReport(parseMacosAudit(r.stdout, kind, at));
  }
  return collectLinuxAudit(kind, run);
}

/** collects the audit a job asked for and queues it before the job's result; returns what it found */
export async function auditAndQueue(rt: AgentRuntime, job: Job, kind: AuditKind) {
  const report = rt.o.backend.audit ? await rt.o.backend.audit(kind) : await collectAudit(kind);
  await rt.o.storage.put({ key: auditKey(job.id), type: 'audit', body: report });
  return { audit: kind, applications: report.applications.length, volumes: report.volumes.length };
}
