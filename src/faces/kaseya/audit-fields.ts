import { cases, field, is, value, type Expr } from '../../core/query.ts';
import type { FieldMap, FieldSpec, FieldType } from '../shared/odata/index.ts';

// The seed's field names of each list of the Audit chapter (seed 004) and the domain field each is
// (core/audit/model.ts; the audit summaries: store/repos/audits-repo.ts queryAuditSummaries). A seed field
// Patchline has no source for is null (value(null)), still filterable and sortable as the seed says.
// Codes decided here:
// - PCI and disk TypeId: 1 a PCI device, 2 a disk drive (the seed lists no values).
// - AgentType: 0 Windows, 4 Mac OS X, 5 Linux (as the Patch Management chapter, faces/kaseya/patch.ts).

const spec = (expr: Expr | string, type: FieldType): FieldSpec => ({
  expr: typeof expr === 'string' ? field(expr) : expr,
  type,
});
const none = (type: FieldType) => spec(value(null), type);
const s = (name: string) => spec(`summary.${name}`, 'string');

export const auditSummaryFields: FieldMap = {
  AgentGuid: spec('id', 'integer'),
  DisplayName: spec('name', 'string'),
  TimezoneOffset: none('integer'),
  CurrentLogin: none('string'),
  AgentType: spec(
    cases(
      [
        [is('osFamily', 'windows'), value(0)],
        [is('osFamily', 'macos'), value(4)],
        [is('osFamily', 'linux'), value(5)],
      ],
      value(null),
    ),
    'integer',
  ),
  RebootTime: s('lastBootAt'),
  LastCheckinTime: spec('lastSeenAt', 'datetime'),
  GroupName: spec('groupName', 'string'),
  FirstCheckinTime: spec('enrolledAt', 'datetime'),
  TimeZone: spec('timeZone', 'string'),
  WorkgroupDomainType: none('integer'),
  WorkgroupDomainName: none('string'),
  ComputerName: spec('hostname', 'string'),
  DnsComputerName: spec('hostname', 'string'),
  OsType: spec('osFamily', 'string'),
  OsInfo: s('osName'),
  IpAddress: s('ipAddress'),
  Ipv6Address: s('ipv6Address'),
  SubnetMask: s('subnetMask'),
  DefaultGateway: s('defaultGateway'),
  ConnectionGatewayIp: none('string'),
  GatewayCountry: none('string'),
  MacAddress: s('macAddress'),
  DnsServer1: s('dnsServer'),
  DnsServer2: none('string'),
  DhcpEnabled: none('integer'),
  DhcpServer: none('string'),
  WinsEnabled: none('integer'),
  PrimaryWinsServer: none('string'),
  SecondaryWinsServer: none('string'),
  CpuType: s('cpuDescription'),
  CpuSpeed: spec('summary.cpuSpeedMhz', 'integer'),
  CpuCount: spec('summary.cpuCount', 'integer'),
  RamMBytes: spec('summary.ramMBytes', 'integer'),
  AgentVersion: none('integer'),
  LastLoginName: none('string'),
  LoginName: none('string'),
  PrimaryKServer: none('string'),
  SecondaryKServer: none('string'),
  QuickCheckinPeriod: none('string'),
  ContactName: none('string'),
  ContactEmail: none('string'),
  ContactPhone: none('string'),
  ContactNotes: none('string'),
  Manufacturer: s('manufacturer'),
  ProductName: s('model'),
  SystemVersion: s('systemVersion'),
  SystemSerialNumber: s('serialNumber'),
  ChassisSerialNumber: s('chassisSerialNumber'),
  ChassisAssetTag: s('chassisAssetTag'),
  ExternalBusSpeed: none('string'),
  MaxMemorySize: none('string'),
  MemorySlots: none('string'),
  ChassisManufacturer: s('chassisManufacturer'),
  ChassisType: s('chassisType'),
  ChassisVersion: none('string'),
  MotherboardManufacturer: s('boardManufacturer'),
  MotherboardProduct: s('boardProduct'),
  MotherboardVersion: s('boardVersion'),
  MotherboardSerialNumber: s('boardSerialNumber'),
  ProcessorFamily: s('cpuFamily'),
  ProcessorManufacturer: s('cpuManufacturer'),
  ProcessorVersion: s('cpuDescription'),
  ProcessorMaxSpeed: none('string'),
  ProcessorCurrentSpeed: none('string'),
  FreeSpace: spec('freeMBytes', 'integer'),
  UsedSpace: spec('usedMBytes', 'integer'),
  TotalSize: spec('totalMBytes', 'integer'),
  NumberOfDrives: spec('volumeCount', 'integer'),
};

export const credentialFields: FieldMap = {
  CredentialId: none('integer'),
  Type: none('string'),
  Name: none('string'),
  UserName: none('string'),
  Domain: none('string'),
  CreateAccount: none('boolean'),
  AsAdministrator: none('boolean'),
  InEffect: none('boolean'),
};

export const groupAuditFields: FieldMap = {
  UserGroupName: spec('name', 'string'),
  Description: spec('description', 'string'),
};
export const memberFields: FieldMap = {
  UserGroupName: spec('group', 'string'),
  MemberName: spec('member', 'string'),
};
export const diskVolumeFields: FieldMap = {
  Drive: spec('drive', 'string'),
  Type: spec('type', 'string'),
  Format: spec('format', 'string'),
  FreeMBytes: spec('freeMBytes', 'integer'),
  // the store's list has no used column: total - free is computed where it renders (usedOf)
  UsedMBytes: spec('usedMBytes', 'integer'),
  TotalMBytes: spec('totalMBytes', 'integer'),
  Label: spec('label', 'string'),
};
export const pciDiskFields: FieldMap = {
  TypeId: spec(
    cases(
      [
        [is('kind', 'pci'), value(1)],
        [is('kind', 'disk'), value(2)],
      ],
      value(null),
    ),
    'integer',
  ),
  TypeName: spec('typeName', 'string'),
  Vendor: spec('vendor', 'string'),
  Product: spec('product', 'string'),
  Note: spec('note', 'string'),
};
export const printerFields: FieldMap = {
  PrinterName: spec('name', 'string'),
  Port: spec('port', 'string'),
  Model: spec('model', 'string'),
};
export const addRemoveFields: FieldMap = {
  DisplayName: spec('name', 'string'),
  UninstallString: spec('uninstallString', 'string'),
};
/** installed applications from an audit (without one the package inventory answers: fields.ts installedAppFields) */
export const auditedAppFields: FieldMap = {
  ApplicationName: spec('name', 'string'),
  Description: spec('description', 'string'),
  Version: spec('version', 'string'),
  Manufacturer: spec('publisher', 'string'),
  ProductName: spec('name', 'string'),
  DirectoryPath: spec('directory', 'string'),
  Size: spec('sizeKBytes', 'integer'),
  LastModifiedDate: spec('installedAt', 'datetime'),
};
export const licenseFields: FieldMap = {
  Publisher: spec('publisher', 'string'),
  ProductName: spec('product', 'string'),
  ProductKey: spec('productKey', 'string'),
  LicenseCode: spec('licenseCode', 'string'),
  Version: spec('version', 'string'),
  InstallationDate: spec('installedAt', 'datetime'),
};
export const securityProductFields: FieldMap = {
  ProductType: spec('type', 'string'),
  ProductName: spec('name', 'string'),
  Manufacturer: spec('manufacturer', 'string'),
  Version: spec('version', 'string'),
  IsActive: spec('active', 'boolean'),
  IsUpToDate: spec('upToDate', 'boolean'),
};
export const startupAppFields: FieldMap = {
  AppName: spec('name', 'string'),
  AppCommand: spec('command', 'string'),
  UserName: spec('user', 'string'),
};
export const userAccountFields: FieldMap = {
  LogonName: spec('logonName', 'string'),
  FullName: spec('fullName', 'string'),
  Description: spec('description', 'string'),
  IsDisabled: spec('disabled', 'boolean'),
  IsLockedOut: spec('lockedOut', 'boolean'),
  IsPasswordRequired: spec('passwordRequired', 'boolean'),
  IsPasswordExpired: spec('passwordExpired', 'boolean'),
  IsPasswordChangeable: spec('passwordChangeable', 'boolean'),
};
