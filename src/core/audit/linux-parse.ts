import type {
  AuditApplication,
  AuditDevice,
  AuditGroup,
  AuditMember,
  AuditPrinter,
  AuditStartupApp,
  AuditSummary,
  AuditUser,
  AuditVolume,
} from './model.ts';

// Parsers of what a Linux machine tells about itself, each over one command's output or one file
// (agent/audit.ts runs and reads them; test/core/audit/linux-parse.test.ts replays outputs recorded on a
// Debian 12 machine, test/core/audit/fixtures/linux/README.md names the commands).

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const mb = (bytes: number) => Math.round(bytes / 1048576);

/** /etc/os-release: NAME, VERSION_ID, PRETTY_NAME */
export function parseOsRelease(text: string): Pick<AuditSummary, 'osName' | 'osVersion'> {
  const v: Record<string, string> = {};
  for (const l of lines(text)) {
    const m = /^([A-Z_]+)=(.*)$/.exec(l.trim());
    if (m) v[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  const name = v.PRETTY_NAME ?? v.NAME;
  return { ...(name ? { osName: name } : {}), ...(v.VERSION_ID ? { osVersion: v.VERSION_ID } : {}) };
}

/** /proc/cpuinfo (x86: vendor_id, model name, cpu MHz, cpu family; one block per logical processor) */
export function parseCpuInfo(
  text: string,
): Pick<AuditSummary, 'cpuManufacturer' | 'cpuDescription' | 'cpuFamily' | 'cpuCount' | 'cpuSpeedMhz'> {
  const blocks = text.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  const first: Record<string, string> = {};
  for (const l of (blocks[0] ?? text).split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) first[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  const vendor = first.vendor_id ?? first['CPU implementer'];
  const VENDORS: Record<string, string> = { GenuineIntel: 'Intel', AuthenticAMD: 'AMD', '0x41': 'ARM' };
  const mhz = Number(first['cpu MHz']);
  return {
    ...(vendor ? { cpuManufacturer: VENDORS[vendor] ?? vendor } : {}),
    ...(first['model name'] ? { cpuDescription: first['model name'] } : {}),
    ...(first['cpu family'] ? { cpuFamily: first['cpu family'] } : {}),
    cpuCount: Math.max(1, blocks.length),
    ...(Number.isFinite(mhz) && mhz > 0 ? { cpuSpeedMhz: Math.round(mhz) } : {}),
  };
}

/** /proc/meminfo: MemTotal in kB */
export function parseMemInfo(text: string): Pick<AuditSummary, 'ramMBytes'> {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? { ramMBytes: Math.round(Number(m[1]) / 1024) } : {};
}

/** /proc/uptime ("seconds idle"), read at `now` (epoch ms): the last boot */
export function parseUptime(text: string, now: number): Pick<AuditSummary, 'lastBootAt'> {
  const m = /^(\d+(?:\.\d+)?)\s/.exec(text.trim() + ' ');
  return m ? { lastBootAt: new Date(now - Number(m[1]) * 1000).toISOString() } : {};
}

/** /sys/class/dmi/id files by name (sys_vendor, product_name, …), those the kernel let us read */
export function parseDmi(files: Readonly<Record<string, string>>): AuditSummary {
  const f = (n: string) => {
    const v = files[n]?.trim();
    return v && !/^(to be filled by o\.e\.m\.|default string|not specified|none)$/i.test(v) ? v : undefined;
  };
  const pairs: [keyof AuditSummary, string][] = [
    ['manufacturer', 'sys_vendor'],
    ['model', 'product_name'],
    ['systemVersion', 'product_version'],
    ['serialNumber', 'product_serial'],
    ['chassisManufacturer', 'chassis_vendor'],
    ['chassisSerialNumber', 'chassis_serial'],
    ['chassisAssetTag', 'chassis_asset_tag'],
    ['boardManufacturer', 'board_vendor'],
    ['boardProduct', 'board_name'],
    ['boardVersion', 'board_version'],
    ['boardSerialNumber', 'board_serial'],
    ['biosVendor', 'bios_vendor'],
    ['biosVersion', 'bios_version'],
  ];
  const out: AuditSummary = {};
  for (const [k, n] of pairs) {
    const v = f(n);
    if (v) (out as Record<string, string>)[k] = v;
  }
  const date = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(f('bios_date') ?? '');
  if (date) out.biosReleaseDate = `${date[3]}-${date[1]}-${date[2]}`;
  const chassis = Number(f('chassis_type'));
  if (CHASSIS[chassis]) out.chassisType = CHASSIS[chassis];
  return out;
}

/** SMBIOS chassis types (DSP0134 7.4.1), the common ones */
const CHASSIS: Record<number, string> = {
  1: 'Other',
  3: 'Desktop',
  4: 'Low Profile Desktop',
  6: 'Mini Tower',
  7: 'Tower',
  8: 'Portable',
  9: 'Laptop',
  10: 'Notebook',
  13: 'All in One',
  17: 'Main Server Chassis',
  23: 'Rack Mount Chassis',
  30: 'Tablet',
  31: 'Convertible',
  35: 'Mini PC',
};

/**
 * `dpkg-query -W -f='${binary:Package}\t${Version}\t${Maintainer}\t${Installed-Size}\t${db:Status-Abbrev}\t${binary:Summary}\n'`:
 * installed packages (status `ii`, or `iU`/`iF` half-installed ones, kept); Installed-Size is in KiB.
 */
export function parseDpkgApps(text: string): AuditApplication[] {
  const out: AuditApplication[] = [];
  for (const l of lines(text)) {
    const [name, version, maintainer, size, status, summary] = l.split('\t');
    if (!name || !status || status[1] === 'n' || !/^[ih]/.test(status)) continue;
    const publisher = maintainer?.replace(/\s*<[^>]*>\s*$/, '').trim();
    const kb = Number(size);
    out.push({
      name: name.replace(/:(amd64|i386|arm64|armhf|all)$/, ''),
      ...(version ? { version } : {}),
      ...(publisher ? { publisher } : {}),
      ...(summary ? { description: summary.trim() } : {}),
      ...(size && Number.isFinite(kb) ? { sizeKBytes: kb } : {}),
    });
  }
  return out;
}

/** file systems that are not volumes a person stores files on */
const PSEUDO_FS = new Set(['tmpfs', 'devtmpfs', 'overlay', 'squashfs', 'proc', 'sysfs', 'cgroup', 'cgroup2']);

/** `df -P -T -B1`: mounted file systems (pseudo ones left out); sizes in bytes */
export function parseDf(text: string): AuditVolume[] {
  const out: AuditVolume[] = [];
  for (const l of lines(text).slice(1)) {
    const m = /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+\s+(.+)$/.exec(l);
    if (!m || PSEUDO_FS.has(m[2]!)) continue;
    const [, source, fs, total, , avail, mount] = m;
    const network = /^(nfs|nfs4|cifs|smb3|fuse\.sshfs)$/.test(fs!);
    out.push({
      drive: mount!,
      type: network ? 'Network' : /^\/dev\/(sr|cdrom)/.test(source!) ? 'CD-ROM' : 'Fixed',
      format: fs!,
      label: source!,
      totalMBytes: mb(Number(total)),
      freeMBytes: mb(Number(avail)),
    });
  }
  return out;
}

interface LsblkDevice {
  name?: string;
  type?: string;
  size?: number | string | null;
  model?: string | null;
  vendor?: string | null;
  serial?: string | null;
  rm?: boolean | string | null;
  rota?: boolean | string | null;
  children?: LsblkDevice[];
}

/** `lsblk -J -b -o NAME,TYPE,SIZE,MODEL,VENDOR,SERIAL,FSTYPE,MOUNTPOINT,LABEL,RM,ROTA`: the disks */
export function parseLsblkDisks(json: string): AuditDevice[] {
  const doc = JSON.parse(json) as { blockdevices?: LsblkDevice[] };
  const out: AuditDevice[] = [];
  for (const d of doc.blockdevices ?? []) {
    const size = Number(d.size ?? 0);
    // zram and loop devices are memory and files, not drives; an empty size is an absent medium
    if ((d.type !== 'disk' && d.type !== 'rom') || /^(zram|loop|ram)/.test(d.name ?? '') || !(size > 0))
      continue;
    const flag = (v: unknown) => v === true || v === '1' || v === 1;
    const gb = size / 1e9;
    out.push({
      kind: 'disk',
      typeName: d.type === 'rom' ? 'CD-ROM Drive' : flag(d.rm) ? 'Removable Disk' : 'Disk Drive',
      ...(d.vendor?.trim() ? { vendor: d.vendor.trim() } : {}),
      product: d.model?.trim() || `/dev/${d.name ?? ''}`,
      note: [
        `${gb >= 10 ? Math.round(gb) : gb.toFixed(1)} GB`,
        flag(d.rota) ? 'rotational' : 'solid state',
        ...(d.serial?.trim() ? [`serial ${d.serial.trim()}`] : []),
      ].join(', '),
    });
  }
  return out;
}

/** PCI class codes (base class, and a few subclasses) to names, per the PCI Code and ID Assignment spec */
const PCI_CLASSES: Record<string, string> = {
  '0100': 'SCSI Storage Controller',
  '0101': 'IDE Interface',
  '0106': 'SATA Controller',
  '0108': 'Non-Volatile Memory Controller',
  '01': 'Mass Storage Controller',
  '0200': 'Ethernet Controller',
  '0280': 'Network Controller',
  '02': 'Network Controller',
  '0300': 'VGA Compatible Controller',
  '03': 'Display Controller',
  '04': 'Multimedia Controller',
  '05': 'Memory Controller',
  '0600': 'Host Bridge',
  '0601': 'ISA Bridge',
  '0604': 'PCI Bridge',
  '06': 'Bridge',
  '07': 'Communication Controller',
  '08': 'System Peripheral',
  '0c03': 'USB Controller',
  '0c05': 'SMBus',
  '0c': 'Serial Bus Controller',
  ff: 'Unassigned Class',
};
/** PCI vendor ids of the common makers (the rest are shown as their id) */
const PCI_VENDORS: Record<string, string> = {
  '8086': 'Intel Corporation',
  '1022': 'Advanced Micro Devices, Inc. [AMD]',
  '10de': 'NVIDIA Corporation',
  '1002': 'Advanced Micro Devices, Inc. [AMD/ATI]',
  '14e4': 'Broadcom Inc.',
  '10ec': 'Realtek Semiconductor Co., Ltd.',
  '15ad': 'VMware',
  '1af4': 'Red Hat, Inc. (virtio)',
  '1b36': 'Red Hat, Inc. (QEMU)',
  '1234': 'QEMU',
  '80ee': 'InnoTek (VirtualBox)',
  '1414': 'Microsoft Corporation (Hyper-V)',
  '144d': 'Samsung Electronics Co Ltd',
  '15b3': 'Mellanox Technologies',
};

/**
 * The PCI devices from sysfs, one line per device as agent/audit.ts writes it from
 * /sys/bus/pci/devices/<slot>/{class,vendor,device}: `<slot> 0x<class> 0x<vendor> 0x<device>`.
 */
export function parseSysPci(text: string): AuditDevice[] {
  const out: AuditDevice[] = [];
  for (const l of lines(text)) {
    const m = /^(\S+)\s+0x([0-9a-f]{6})\s+0x([0-9a-f]{4})\s+0x([0-9a-f]{4})$/i.exec(l.trim());
    if (!m) continue;
    const [, slot, cls, vendor, device] = m.map((x) => x.toLowerCase()) as [
      string,
      string,
      string,
      string,
      string,
    ];
    out.push({
      kind: 'pci',
      typeName: PCI_CLASSES[cls.slice(0, 4)] ?? PCI_CLASSES[cls.slice(0, 2)] ?? `PCI class ${cls}`,
      vendor: PCI_VENDORS[vendor] ?? `PCI vendor ${vendor}`,
      product: `device ${vendor}:${device}`,
      note: `slot ${slot}`,
    });
  }
  return out;
}

/** /etc/passwd: accounts; a login shell of nologin/false marks a system account as disabled for logon */
export function parsePasswd(text: string, shadowLocked: ReadonlySet<string> = new Set()): AuditUser[] {
  const out: AuditUser[] = [];
  for (const l of lines(text)) {
    if (l.startsWith('#')) continue;
    const [name, , uid, , gecos, home, shell] = l.split(':');
    if (!name || uid === undefined) continue;
    const noLogin = /(nologin|false)$/.test(shell ?? '');
    const fullName = (gecos ?? '').split(',')[0]?.trim();
    out.push({
      logonName: name,
      ...(fullName ? { fullName } : {}),
      description: `uid ${uid}, home ${home ?? ''}, shell ${shell ?? ''}`,
      disabled: noLogin,
      lockedOut: shadowLocked.has(name),
    });
  }
  return out;
}

/** /etc/group: the groups, and their listed members (a user's primary group comes from /etc/passwd) */
export function parseGroups(text: string, passwd = ''): { groups: AuditGroup[]; members: AuditMember[] } {
  const groups: AuditGroup[] = [];
  const members: AuditMember[] = [];
  const byGid = new Map<string, string>();
  for (const l of lines(text)) {
    if (l.startsWith('#')) continue;
    const [name, , gid, list] = l.split(':');
    if (!name) continue;
    groups.push({ name, description: `gid ${gid ?? ''}` });
    byGid.set(gid ?? '', name);
    for (const m of (list ?? '').split(',').map((s) => s.trim()))
      if (m) members.push({ group: name, member: m });
  }
  for (const l of lines(passwd)) {
    const [user, , , gid] = l.split(':');
    const group = byGid.get(gid ?? '');
    if (user && group && !members.some((m) => m.group === group && m.member === user))
      members.push({ group, member: user });
  }
  return { groups, members };
}

/** `systemctl list-unit-files --type=service --state=enabled --no-legend --no-pager` */
export function parseEnabledServices(text: string): AuditStartupApp[] {
  const out: AuditStartupApp[] = [];
  for (const l of lines(text)) {
    const [unit, state] = l.trim().split(/\s+/);
    if (!unit || state !== 'enabled') continue;
    out.push({ name: unit, command: `systemctl start ${unit}`, user: 'root' });
  }
  return out;
}

/** `lpstat -v` (CUPS): `device for NAME: URI` per printer */
export function parseLpstat(text: string): AuditPrinter[] {
  const out: AuditPrinter[] = [];
  for (const l of lines(text)) {
    const m = /^device for (.+?):\s*(\S+)\s*$/.exec(l.trim());
    if (m) out.push({ name: m[1]!, port: m[2]! });
  }
  return out;
}

/** the rpm query agent/audit.ts runs on RPM systems (Installed size in bytes) */
export const RPM_APPS_FORMAT = '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{VENDOR}\\t%{SIZE}\\t%{SUMMARY}\\n';

/** `rpm -qa --qf RPM_APPS_FORMAT`; gpg-pubkey pseudo-packages dropped */
export function parseRpmApps(text: string): AuditApplication[] {
  const out: AuditApplication[] = [];
  for (const l of lines(text)) {
    const [name, version, vendor, size, summary] = l.split('\t');
    if (!name || name === 'gpg-pubkey') continue;
    const bytes = Number(size);
    out.push({
      name,
      ...(version ? { version } : {}),
      ...(vendor && vendor !== '(none)' ? { publisher: vendor } : {}),
      ...(summary ? { description: summary.trim() } : {}),
      ...(size && Number.isFinite(bytes) ? { sizeKBytes: Math.round(bytes / 1024) } : {}),
    });
  }
  return out;
}
