import { Type, type Static } from 'typebox';
import {
  AUDIT_KINDS,
  AUDIT_LISTS,
  AUDIT_TEXT_MAX,
  type AuditReport as CoreAuditReport,
} from '../core/audit/model.ts';
import { DateTime } from './common.ts';

// The audit message of the agent protocol (POST /agent/v1/audit): what an agent's OS tells about the
// machine (core/audit/model.ts), sent when a scan job asks for an audit (payload.audit). Narrow and
// bounded: every object closed, every text and list capped (AUDIT_TEXT_MAX, AUDIT_LISTS).

const S = (max = 300) => Type.Optional(Type.String({ maxLength: max }));
const Name = (max = 300) => Type.String({ minLength: 1, maxLength: max });
const N = Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12 }));
const B = Type.Optional(Type.Boolean());
const obj = <T extends Parameters<typeof Type.Object>[0]>(p: T) =>
  Type.Object(p, { additionalProperties: false });
const list = <T extends Parameters<typeof Type.Object>[0]>(k: keyof typeof AUDIT_LISTS, p: T) =>
  Type.Array(obj(p), { maxItems: AUDIT_LISTS[k] });

export const AuditSummary = obj({
  hostname: S(255),
  osName: S(),
  osVersion: S(100),
  manufacturer: S(),
  model: S(),
  systemVersion: S(),
  serialNumber: S(100),
  chassisType: S(100),
  chassisManufacturer: S(),
  chassisSerialNumber: S(100),
  chassisAssetTag: S(100),
  boardManufacturer: S(),
  boardProduct: S(),
  boardVersion: S(100),
  boardSerialNumber: S(100),
  biosVendor: S(),
  biosVersion: S(100),
  biosReleaseDate: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  cpuManufacturer: S(),
  cpuDescription: S(),
  cpuFamily: S(100),
  cpuCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
  cpuSpeedMhz: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000000 })),
  ramMBytes: N,
  ipAddress: S(64),
  ipv6Address: S(64),
  macAddress: S(64),
  subnetMask: S(64),
  defaultGateway: S(64),
  dnsServer: S(64),
  lastBootAt: Type.Optional(DateTime),
  timeZone: S(64),
});

const Text = S(AUDIT_TEXT_MAX);
const When = Type.Optional(Type.String({ maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}' }));

export const AuditReport = obj({
  kind: Type.Enum([...AUDIT_KINDS]),
  collectedAt: DateTime,
  summary: AuditSummary,
  applications: list('applications', {
    name: Name(),
    version: S(200),
    publisher: S(),
    description: Text,
    directory: Text,
    sizeKBytes: N,
    installedAt: When,
  }),
  programs: list('programs', { name: Name(), uninstallString: Text }),
  volumes: list('volumes', {
    drive: Name(AUDIT_TEXT_MAX),
    type: S(50),
    format: S(50),
    label: S(),
    totalMBytes: N,
    freeMBytes: N,
  }),
  devices: list('devices', {
    kind: Type.Enum(['pci', 'disk']),
    typeName: S(),
    vendor: S(),
    product: S(),
    note: Text,
  }),
  printers: list('printers', { name: Name(), port: Text, model: S() }),
  securityProducts: list('securityProducts', {
    type: Name(100),
    name: Name(),
    manufacturer: S(),
    version: S(200),
    active: B,
    upToDate: B,
  }),
  startupApps: list('startupApps', { name: Name(), command: Text, user: S() }),
  users: list('users', {
    logonName: Name(),
    fullName: S(),
    description: Text,
    disabled: B,
    lockedOut: B,
    passwordRequired: B,
    passwordExpired: B,
    passwordChangeable: B,
  }),
  groups: list('groups', { name: Name(), description: Text }),
  members: list('members', { group: Name(), member: Name() }),
  licenses: list('licenses', {
    product: Name(),
    publisher: S(),
    productKey: S(100),
    licenseCode: S(),
    version: S(),
    installedAt: When,
  }),
});
export type AuditReport = Static<typeof AuditReport>;

export const AuditResponse = Type.Object({
  kind: Type.Enum([...AUDIT_KINDS]),
  /** the snapshots this report became: latest always; baseline too when it was the device's first or asked for */
  stored: Type.Array(Type.Enum([...AUDIT_KINDS])),
});
export type AuditResponse = Static<typeof AuditResponse>;

// the wire's report and core's are one shape (checked at compile time)
const _same: CoreAuditReport = {} as AuditReport;
void _same;
