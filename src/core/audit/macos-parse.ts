import { emptyLists, type AuditKind, type AuditReport, type AuditSummary } from './model.ts';

// The macOS audit: `system_profiler -json` over the data types below (MACOS_AUDIT_ARGS), read by
// parseMacosAudit. system_profiler reports hardware, software, applications, storage, printers, the
// application firewall and PCI/NVMe devices; macOS has no add/remove list (applications are bundles),
// no software licences it reports, and local users and groups come from Directory Services (not read:
// their lists stay empty).

export const MACOS_AUDIT_ARGS = [
  '-json',
  '-detailLevel',
  'mini',
  'SPHardwareDataType',
  'SPSoftwareDataType',
  'SPApplicationsDataType',
  'SPStorageDataType',
  'SPPrintersDataType',
  'SPFirewallDataType',
  'SPNVMeDataType',
  'SPPCIDataType',
] as const;

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] =>
  Array.isArray(v) ? v.filter((x): x is Obj => !!x && typeof x === 'object') : [];
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const opt = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** "16 GB", "2.4 GHz", "3,2 GHz" → a number in the unit asked */
function quantity(text: string | undefined, units: Record<string, number>): number | undefined {
  const m = /^([\d.,]+)\s*([A-Za-z]+)/.exec(text ?? '');
  const f = m ? units[m[2]!.toUpperCase()] : undefined;
  return m && f ? Math.round(Number(m[1]!.replace(',', '.')) * f) : undefined;
}

export function parseMacosAudit(json: string, kind: AuditKind, collectedAt: string): AuditReport {
  const d = JSON.parse(json) as Obj;
  const hw = list(d.SPHardwareDataType)[0] ?? {};
  const sw = list(d.SPSoftwareDataType)[0] ?? {};
  const os = str(sw.os_version); // "macOS 14.4.1 (23E224)"
  const osm = /^(.*?)\s+(\d+(?:\.\d+)*)/.exec(os ?? '');
  const chip = str(hw.chip_type);
  const cores = /(\d+)/.exec(str(hw.number_processors) ?? '');
  const summary: AuditSummary = opt({
    hostname: str(sw.local_host_name),
    osName: osm ? osm[1] : os,
    osVersion: osm ? osm[2] : undefined,
    manufacturer: 'Apple Inc.',
    model: str(hw.machine_name),
    systemVersion: str(hw.machine_model),
    serialNumber: str(hw.serial_number),
    biosVendor: 'Apple Inc.',
    biosVersion: str(hw.boot_rom_version),
    cpuManufacturer: chip ? 'Apple' : /intel/i.test(str(hw.cpu_type) ?? '') ? 'Intel' : undefined,
    cpuDescription: chip ?? str(hw.cpu_type),
    cpuCount: cores ? Number(cores[1]) : undefined,
    cpuSpeedMhz: quantity(str(hw.current_processor_speed), { GHZ: 1000, MHZ: 1 }),
    ramMBytes: quantity(str(hw.physical_memory), { GB: 1024, MB: 1, TB: 1048576 }),
  });
  const r: AuditReport = { kind, collectedAt, summary, ...emptyLists() };
  r.applications = list(d.SPApplicationsDataType).flatMap((a) => {
    const name = str(a._name);
    const info = str(a.info);
    return name
      ? [
          opt({
            name,
            version: str(a.version),
            publisher: str(a.obtained_from) === 'apple' ? 'Apple Inc.' : undefined,
            description: info,
            directory: str(a.path),
            installedAt: str(a.lastModified),
          }),
        ]
      : [];
  });
  r.volumes = list(d.SPStorageDataType).flatMap((v) => {
    const drive = str(v.mount_point);
    const bytes = (k: string) =>
      typeof v[k] === 'number' ? Math.round((v[k] as number) / 1048576) : undefined;
    return drive
      ? [
          opt({
            drive,
            type:
              str(v.physical_drive && (v.physical_drive as Obj).is_internal_disk) === 'no'
                ? 'Removable'
                : 'Fixed',
            format: str(v.file_system),
            label: str(v._name),
            totalMBytes: bytes('size_in_bytes'),
            freeMBytes: bytes('free_space_in_bytes'),
          }),
        ]
      : [];
  });
  r.devices = [
    ...list(d.SPPCIDataType).map((p) =>
      opt({
        kind: 'pci' as const,
        typeName: str(p.sppci_device_type),
        vendor: str(p.sppci_vendor_id),
        product: str(p._name),
        note: str(p.sppci_slot_name),
      }),
    ),
    ...list(d.SPNVMeDataType)
      .flatMap((c) => list(c._items))
      .map((n) =>
        opt({
          kind: 'disk' as const,
          typeName: 'Disk Drive',
          vendor: str(n.device_model)?.split(' ')[0],
          product: str(n.device_model),
          note: [str(n.size), str(n.device_serial) ? `serial ${str(n.device_serial)}` : undefined]
            .filter(Boolean)
            .join(', '),
        }),
      ),
  ];
  r.printers = list(d.SPPrintersDataType).flatMap((p) => {
    const name = str(p._name);
    return name ? [opt({ name, port: str(p.uri), model: str(p.ppd) })] : [];
  });
  const fw = list(d.SPFirewallDataType)[0];
  if (fw) {
    const mode = str(fw.spfirewall_globalstate) ?? '';
    r.securityProducts.push({
      type: 'Firewall',
      name: 'macOS Application Firewall',
      manufacturer: 'Apple Inc.',
      active: !/off/.test(mode),
    });
  }
  return r;
}
