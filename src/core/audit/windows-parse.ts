import {
  emptyLists,
  type AuditKind,
  type AuditReport,
  type AuditSecurityProduct,
  type AuditSummary,
} from './model.ts';

// The Windows audit: one PowerShell run (WINDOWS_AUDIT_SCRIPT) prints the CIM classes and registry keys
// below as one JSON document, and parseWindowsAudit reads it. Property names are the classes' own
// (Win32_ComputerSystem, Win32_OperatingSystem, Win32_BIOS, Win32_SystemEnclosure, Win32_BaseBoard,
// Win32_Processor, Win32_LogicalDisk, Win32_DiskDrive, Win32_PnPEntity, Win32_Printer,
// Win32_StartupCommand, Win32_UserAccount, Win32_Group, Win32_GroupUser, SoftwareLicensingProduct,
// root/SecurityCenter2 AntiVirusProduct and FirewallProduct, and the Uninstall registry keys).
// ConvertTo-Json writes a one-item collection as a bare object: every list is read with `many`.

export const WINDOWS_AUDIT_SCRIPT = String.raw`$ErrorActionPreference = 'SilentlyContinue'
$u = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*','HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
$os = Get-CimInstance Win32_OperatingSystem
[pscustomobject]@{
  ComputerSystem = Get-CimInstance Win32_ComputerSystem | Select-Object Name,Domain,Manufacturer,Model,TotalPhysicalMemory
  OperatingSystem = [pscustomobject]@{ Caption = $os.Caption; Version = $os.Version; LastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('o') }
  BIOS = Get-CimInstance Win32_BIOS | Select-Object Manufacturer,SMBIOSBIOSVersion,SerialNumber,@{n='ReleaseDate';e={$_.ReleaseDate.ToString('yyyy-MM-dd')}}
  Enclosure = Get-CimInstance Win32_SystemEnclosure | Select-Object Manufacturer,SerialNumber,SMBIOSAssetTag,ChassisTypes
  BaseBoard = Get-CimInstance Win32_BaseBoard | Select-Object Manufacturer,Product,Version,SerialNumber
  Processor = @(Get-CimInstance Win32_Processor | Select-Object Manufacturer,Name,MaxClockSpeed,NumberOfLogicalProcessors)
  Products = @(Get-ItemProperty $u | Where-Object DisplayName | Select-Object DisplayName,DisplayVersion,Publisher,InstallLocation,InstallDate,EstimatedSize,UninstallString)
  LogicalDisk = @(Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID,DriveType,FileSystem,VolumeName,Size,FreeSpace)
  DiskDrive = @(Get-CimInstance Win32_DiskDrive | Select-Object Model,Manufacturer,Size,InterfaceType,SerialNumber)
  PnPEntity = @(Get-CimInstance Win32_PnPEntity -Filter "DeviceID LIKE 'PCI%'" | Select-Object Name,Manufacturer,PNPClass,DeviceID)
  Printer = @(Get-CimInstance Win32_Printer | Select-Object Name,PortName,DriverName)
  AntiVirusProduct = @(Get-CimInstance -Namespace root/SecurityCenter2 AntiVirusProduct | Select-Object displayName,productState)
  FirewallProduct = @(Get-CimInstance -Namespace root/SecurityCenter2 FirewallProduct | Select-Object displayName,productState)
  StartupCommand = @(Get-CimInstance Win32_StartupCommand | Select-Object Name,Command,User)
  UserAccount = @(Get-CimInstance Win32_UserAccount -Filter 'LocalAccount=True' | Select-Object Name,FullName,Description,Disabled,Lockout,PasswordRequired,PasswordExpires,PasswordChangeable)
  Group = @(Get-CimInstance Win32_Group -Filter 'LocalAccount=True' | Select-Object Name,Description)
  GroupUser = @(Get-CimInstance Win32_GroupUser | Where-Object { $_.GroupComponent.Domain -eq $env:COMPUTERNAME } | ForEach-Object { [pscustomobject]@{ Group = $_.GroupComponent.Name; Member = $_.PartComponent.Name } })
  License = @(Get-CimInstance SoftwareLicensingProduct -Filter 'PartialProductKey IS NOT NULL' | Select-Object Name,Description,PartialProductKey,ProductKeyChannel,LicenseStatus)
} | ConvertTo-Json -Depth 4 -Compress`;

type Obj = Record<string, unknown>;
const many = (v: unknown): Obj[] =>
  (Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : []).filter(
    (x): x is Obj => !!x && typeof x === 'object',
  );
const one = (v: unknown): Obj => many(v)[0] ?? {};
const str = (v: unknown) =>
  typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined;
const num = (v: unknown) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const mb = (bytes: unknown) => {
  const n = num(bytes);
  return n === undefined ? undefined : Math.round(n / 1048576);
};
const opt = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Win32_LogicalDisk.DriveType */
const DRIVE_TYPES: Record<number, string> = {
  2: 'Removable',
  3: 'Fixed',
  4: 'Network',
  5: 'CD-ROM',
  6: 'RAM disk',
};
/** Win32_SystemEnclosure.ChassisTypes (SMBIOS), the common ones */
const CHASSIS: Record<number, string> = {
  3: 'Desktop',
  4: 'Low Profile Desktop',
  6: 'Mini Tower',
  7: 'Tower',
  9: 'Laptop',
  10: 'Notebook',
  13: 'All in One',
  23: 'Rack Mount Chassis',
  30: 'Tablet',
  31: 'Convertible',
  35: 'Mini PC',
};

/**
 * SecurityCenter2's productState: byte 2 (0x10 of 0x00XX00) set = enabled; byte 3 = 0x00 when the
 * signatures are up to date, 0x10 when out of date (the layout every vendor documents for WSC).
 */
export function decodeProductState(state: number): { active: boolean; upToDate: boolean } {
  return { active: ((state >> 8) & 0x10) !== 0, upToDate: (state & 0xff) === 0 };
}

/** InstallDate of the Uninstall keys: yyyymmdd */
const regDate = (v: unknown) => {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(str(v) ?? '');
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
};

export function parseWindowsAudit(json: string, kind: AuditKind, collectedAt: string): AuditReport {
  const d = JSON.parse(json) as Obj;
  const cs = one(d.ComputerSystem);
  const os = one(d.OperatingSystem);
  const bios = one(d.BIOS);
  const enc = one(d.Enclosure);
  const board = one(d.BaseBoard);
  const cpus = many(d.Processor);
  const ct = enc.ChassisTypes;
  const chassisCode = num(Array.isArray(ct) ? ct[0] : ct);
  const summary: AuditSummary = opt({
    hostname: str(cs.Name),
    osName: str(os.Caption),
    osVersion: str(os.Version),
    manufacturer: str(cs.Manufacturer),
    model: str(cs.Model),
    serialNumber: str(bios.SerialNumber),
    chassisType: chassisCode === undefined ? undefined : CHASSIS[chassisCode],
    chassisManufacturer: str(enc.Manufacturer),
    chassisSerialNumber: str(enc.SerialNumber),
    chassisAssetTag: str(enc.SMBIOSAssetTag),
    boardManufacturer: str(board.Manufacturer),
    boardProduct: str(board.Product),
    boardVersion: str(board.Version),
    boardSerialNumber: str(board.SerialNumber),
    biosVendor: str(bios.Manufacturer),
    biosVersion: str(bios.SMBIOSBIOSVersion),
    biosReleaseDate: str(bios.ReleaseDate),
    cpuManufacturer: str(cpus[0]?.Manufacturer),
    cpuDescription: str(cpus[0]?.Name),
    cpuCount: cpus.reduce((n, c) => n + (num(c.NumberOfLogicalProcessors) ?? 1), 0) || undefined,
    cpuSpeedMhz: num(cpus[0]?.MaxClockSpeed),
    ramMBytes: mb(cs.TotalPhysicalMemory),
    lastBootAt: str(os.LastBootUpTime),
  });
  const products = many(d.Products);
  const security = (v: unknown, type: string): AuditSecurityProduct[] =>
    many(v).flatMap((p) => {
      const name = str(p.displayName);
      const state = num(p.productState);
      return name ? [opt({ type, name, ...(state === undefined ? {} : decodeProductState(state)) })] : [];
    });
  const r: AuditReport = { kind, collectedAt, summary, ...emptyLists() };
  r.applications = products.flatMap((p) => {
    const name = str(p.DisplayName);
    return name
      ? [
          opt({
            name,
            version: str(p.DisplayVersion),
            publisher: str(p.Publisher),
            directory: str(p.InstallLocation),
            sizeKBytes: num(p.EstimatedSize),
            installedAt: regDate(p.InstallDate),
          }),
        ]
      : [];
  });
  r.programs = products.flatMap((p) => {
    const name = str(p.DisplayName);
    return name ? [opt({ name, uninstallString: str(p.UninstallString) })] : [];
  });
  r.volumes = many(d.LogicalDisk).flatMap((v) => {
    const drive = str(v.DeviceID);
    const t = num(v.DriveType);
    return drive
      ? [
          opt({
            drive,
            type: t === undefined ? undefined : DRIVE_TYPES[t],
            format: str(v.FileSystem),
            label: str(v.VolumeName),
            totalMBytes: mb(v.Size),
            freeMBytes: mb(v.FreeSpace),
          }),
        ]
      : [];
  });
  r.devices = [
    ...many(d.PnPEntity).map((p) =>
      opt({
        kind: 'pci' as const,
        typeName: str(p.PNPClass),
        vendor: str(p.Manufacturer),
        product: str(p.Name),
        note: str(p.DeviceID),
      }),
    ),
    ...many(d.DiskDrive).map((p) => {
      const size = num(p.Size);
      return opt({
        kind: 'disk' as const,
        typeName: 'Disk Drive',
        vendor: str(p.Manufacturer),
        product: str(p.Model),
        note: [str(p.InterfaceType), size === undefined ? undefined : `${Math.round(size / 1e9)} GB`]
          .filter(Boolean)
          .join(', '),
      });
    }),
  ];
  r.printers = many(d.Printer).flatMap((p) => {
    const name = str(p.Name);
    return name ? [opt({ name, port: str(p.PortName), model: str(p.DriverName) })] : [];
  });
  r.securityProducts = [
    ...security(d.AntiVirusProduct, 'AntiVirus'),
    ...security(d.FirewallProduct, 'Firewall'),
  ];
  r.startupApps = many(d.StartupCommand).flatMap((s) => {
    const name = str(s.Name);
    return name ? [opt({ name, command: str(s.Command), user: str(s.User) })] : [];
  });
  const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
  r.users = many(d.UserAccount).flatMap((u) => {
    const logonName = str(u.Name);
    return logonName
      ? [
          opt({
            logonName,
            fullName: str(u.FullName),
            description: str(u.Description),
            disabled: bool(u.Disabled),
            lockedOut: bool(u.Lockout),
            passwordRequired: bool(u.PasswordRequired),
            passwordExpired: bool(u.PasswordExpires),
            passwordChangeable: bool(u.PasswordChangeable),
          }),
        ]
      : [];
  });
  r.groups = many(d.Group).flatMap((g) => {
    const name = str(g.Name);
    return name ? [opt({ name, description: str(g.Description) })] : [];
  });
  r.members = many(d.GroupUser).flatMap((m) => {
    const group = str(m.Group);
    const member = str(m.Member);
    return group && member ? [{ group, member }] : [];
  });
  /** SoftwareLicensingProduct.LicenseStatus: 1 = licensed */
  r.licenses = many(d.License).flatMap((l) => {
    const product = str(l.Name);
    const status = num(l.LicenseStatus);
    return product
      ? [
          opt({
            product,
            publisher: 'Microsoft Corporation',
            productKey: str(l.PartialProductKey)
              ? `*****-*****-*****-*****-${str(l.PartialProductKey)}`
              : undefined,
            licenseCode:
              [
                str(l.ProductKeyChannel),
                status === 1 ? 'Licensed' : status === undefined ? undefined : `status ${status}`,
              ]
                .filter(Boolean)
                .join(', ') || undefined,
            version: str(l.Description),
          }),
        ]
      : [];
  });
  return r;
}
