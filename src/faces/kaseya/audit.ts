import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_KINDS, type AuditKind, type AuditList } from '../../core/audit/model.ts';
import { DomainError, invalid, notFound } from '../../core/errors.ts';
import type { Listed } from '../../core/query.ts';
import { fromKaseya } from '../../core/schedule/kaseya.ts';
import {
  deviceAudit,
  deviceWarranty,
  queryAuditList,
  queryAuditSummaries,
  runAuditNow,
  scheduleAudit,
  setDeviceWarranty,
} from '../../services/audits.ts';
import { isDateField, vsaDate } from './dates.ts';
import type { Context } from '../../services/context.ts';
import {
  addCustomField,
  deleteCustomField,
  deviceCustomFields,
  renameCustomField,
  setCustomFieldValue,
} from '../../services/custom-fields.ts';
import { queryInstalledSoftware, type InstalledSoftwareEntry } from '../../services/directory.ts';
import { parseDecimalId, renderDecimalId } from '../shared/ids.ts';
import { toListQuery, type FieldMap, type QueryOptions } from '../shared/odata/index.ts';
import {
  addRemoveFields,
  auditedAppFields,
  auditSummaryFields,
  credentialFields,
  diskVolumeFields,
  groupAuditFields,
  licenseFields,
  memberFields,
  pciDiskFields,
  printerFields,
  securityProductFields,
  startupAppFields,
  userAccountFields,
} from './audit-fields.ts';
import { installedAppFields, valueOf } from './fields.ts';

// The Audit chapter and the Agent Custom Fields chapter of seed 004 under /api/v1.0/assetmgmt: what the
// agents' audits found (services/audits.ts, the lists of core/audit/model.ts), the audit schedules (scan
// jobs that also send an audit), purchase and warranty dates, and custom fields (services/custom-fields.ts).
// Translation only.
//
// Decided here (the seed is silent):
// - Lists read the agent's latest audit; `?snapshot=baseline` (or sysinfo) reads another snapshot, so a
//   client can compare the two as VSA's "changes since baseline" do. An agent never audited has empty
//   lists (TotalRecords 0), not an error.
// - Installed applications: from the latest audit when the agent sent one; before that, from the
//   package inventory and the installed updates Patchline already knows (Attributes.Source says which).
// - Credentials: Patchline keeps no credentials for agents: the list is always empty.
// - Get Audit Summary: SystemInfo, Chassis, Motherboard, BIOS and CPURAM come from the system-info audit
//   when there is one, else from the latest; OnBoardDevices, PortConnectors, MemoryDevices and
//   SystemSlots (SMBIOS tables Patchline does not read) are empty; NextAudit is null; CustomFields is an
//   object of the agent's custom field values by name (the sample's `{}`).
// - Custom fields: bodies are the seed's `[{ "key": "FieldName", "value": … }]` (JSON or
//   form-urlencoded `key=FieldName&value=…`), or plain fields (`{ "FieldName": … }`, `FieldName=…`).
//   `OrgId` (a Patchline addition) makes a field one organization's (services/custom-fields.ts).
// - Dates render in VSA's forms (faces/kaseya/dates.ts); a list's datetime fields filter.

type Params = Record<string, string>;

export interface AuditDeps {
  ctxOf: (req: FastifyRequest) => Promise<Context>;
  ok: (req: FastifyRequest, reply: FastifyReply, result: unknown, item?: string) => unknown;
  listed: <T>(req: FastifyRequest, reply: FastifyReply, r: Listed<T>, item: string) => unknown;
  options: (req: FastifyRequest) => QueryOptions;
}

/** a service's "device n not found" in the chapter's words (the agent) */
async function asAgent<T>(id: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'not_found' && /^device\b/.test(e.message))
      throw notFound('agent', renderDecimalId(id));
    throw e;
  }
}

/** a record in the seed's fields, each its expression's value over the domain record */
const renderWith =
  (fields: FieldMap, extra?: (r: Record<string, unknown>) => Record<string, unknown>) =>
  (record: Record<string, unknown>) => ({
    ...Object.fromEntries(
      Object.entries(fields).map(([name, spec]) => {
        const v = valueOf(fields, name, record);
        if (spec.type === 'datetime' || isDateField(name)) return [name, vsaDate(name, v as string | null)];
        if (spec.type === 'integer' && typeof v === 'number') return [name, Math.round(v)];
        return [name, v];
      }),
    ),
    ...(extra ? extra(record) : {}),
  });

/** the seed's lists of one agent's audit: path, domain list, fields, XML item name */
const LISTS: readonly {
  path: string;
  list: AuditList;
  fields: FieldMap;
  item: string;
  attributes?: boolean;
}[] = [
  { path: 'groups', list: 'groups', fields: groupAuditFields, item: 'UserGroup' },
  { path: 'members', list: 'members', fields: memberFields, item: 'UserGroupMember', attributes: true },
  { path: 'hardware/diskvolumes', list: 'volumes', fields: diskVolumeFields, item: 'DiskVolume' },
  { path: 'hardware/pcianddisk', list: 'devices', fields: pciDiskFields, item: 'PciAndDisk' },
  { path: 'hardware/printers', list: 'printers', fields: printerFields, item: 'Printer' },
  { path: 'software/addremoveprograms', list: 'programs', fields: addRemoveFields, item: 'AddRemoveProgram' },
  { path: 'software/licenses', list: 'licenses', fields: licenseFields, item: 'License' },
  {
    path: 'software/securityproducts',
    list: 'securityProducts',
    fields: securityProductFields,
    item: 'SecurityProduct',
    attributes: true,
  },
  { path: 'software/startupapps', list: 'startupApps', fields: startupAppFields, item: 'StartupApp' },
  { path: 'useraccounts', list: 'users', fields: userAccountFields, item: 'UserAccount' },
];

function snapshotOf(req: FastifyRequest): AuditKind {
  const v = (req.query as Record<string, unknown>).snapshot;
  if (v === undefined) return 'latest';
  if (typeof v !== 'string' || !(AUDIT_KINDS as readonly string[]).includes(v.toLowerCase()))
    throw invalid(`snapshot must be one of ${AUDIT_KINDS.join(', ')}`, [
      { path: '/snapshot', message: `got ${JSON.stringify(v)}` },
    ]);
  return v.toLowerCase() as AuditKind;
}

async function auditList(
  ctx: Context,
  id: number,
  list: AuditList,
  fields: FieldMap,
  options: QueryOptions,
  snapshot: AuditKind,
  attributes = false,
) {
  const r = await asAgent(id, () => queryAuditList(ctx, id, list, toListQuery(options, fields), snapshot));
  return {
    records: r.records.map(renderWith(fields, attributes ? () => ({ Attributes: {} }) : undefined)),
    total: r.total,
  };
}

// ---- installed applications -----------------------------------------------------------------------------

export const renderInstalledApp = (r: InstalledSoftwareEntry) => ({
  ApplicationName: r.name,
  Description: null,
  Version: r.version,
  Manufacturer: r.manufacturer,
  ProductName: r.productName,
  DirectoryPath: null,
  Size: null,
  LastModifiedDate: vsaDate('LastModifiedDate', r.installedAt),
  Attributes: {
    Source: r.source,
    ...(r.kind ? { Kind: r.kind } : {}),
    ...(r.state ? { State: r.state } : {}),
  },
});

/** from the latest audit when there is one, else from the package inventory and installed updates */
export async function listInstalledApps(ctx: Context, agentId: number, options: QueryOptions) {
  const { latest } = await asAgent(agentId, () => deviceAudit(ctx, agentId));
  if (latest) {
    const r = await queryAuditList(
      ctx,
      agentId,
      'applications',
      toListQuery(options, auditedAppFields),
      'latest',
    );
    return {
      records: r.records.map(renderWith(auditedAppFields, () => ({ Attributes: { Source: 'audit' } }))),
      total: r.total,
    };
  }
  const q = toListQuery(options, installedAppFields);
  const r = await queryInstalledSoftware(ctx, agentId, q);
  return { records: r.records.map(renderInstalledApp), total: r.total };
}

// ---- the audit summary of one agent ---------------------------------------------------------------------

type Summary = Record<string, string | number | undefined>;

async function auditSummary(ctx: Context, id: number) {
  const { device, latest, baseline, sysinfo } = await asAgent(id, () => deviceAudit(ctx, id));
  const fields = await deviceCustomFields(ctx, id);
  const sum = (latest?.summary ?? {}) as Summary;
  const hw = ((sysinfo ?? latest)?.summary ?? {}) as Summary;
  const t = (v: unknown) => (v === undefined || v === null ? null : v);
  return {
    LastAudit: vsaDate('LastAudit', latest?.collected_at),
    NextAudit: null,
    SystemInfo: {
      Manufacturer: t(hw.manufacturer),
      ProductName: t(hw.model),
      Version: t(hw.systemVersion),
      SysSerialNumber: t(hw.serialNumber),
    },
    NetworkInfo: {
      IpAddress: t(sum.ipAddress),
      Ipv6Address: t(sum.ipv6Address),
      SubnetMask: t(sum.subnetMask),
      DefaultGateway: t(sum.defaultGateway),
      ConnectionGatewayIp: null,
      Country: null,
      MacAddr: t(sum.macAddress),
      DhcpEnabled: null,
      DhcpServer: null,
      DnsServer: t(sum.dnsServer),
      WINsEnabled: null,
      PrimaryWINS: null,
      SecondaryWINS: null,
    },
    TimeInfo: {
      KServerTime: vsaDate('KServerTime', ctx.now()),
      AgentTime: null,
      LastCheckin: vsaDate('LastCheckin', device.last_seen_at),
      LastReboot: vsaDate('LastReboot', sum.lastBootAt as string | undefined),
      FirstCheckin: vsaDate('FirstCheckin', device.enrolled_at),
      AgentTimeZone: device.time_zone ?? t(sum.timeZone),
    },
    Chassis: {
      ChassisManufacturer: t(hw.chassisManufacturer),
      ChassisType: t(hw.chassisType),
      ChassisVersion: null,
      ChassisSerialNumber: t(hw.chassisSerialNumber),
      ChassisAssetTag: t(hw.chassisAssetTag),
    },
    Motherboard: {
      MotherboardManufacturer: t(hw.boardManufacturer),
      MotherboardProduct: t(hw.boardProduct),
      MotherboardVersion: t(hw.boardVersion),
      MotherboardSerialNumber: t(hw.boardSerialNumber),
      ExternalBusSpeed: null,
    },
    BIOS: {
      BiosVendor: t(hw.biosVendor),
      BiosVersion: t(hw.biosVersion),
      BiosReleaseDate: hw.biosReleaseDate
        ? vsaDate('BiosReleaseDate', `${hw.biosReleaseDate as string}T00:00:00Z`)
        : null,
    },
    CPURAM: {
      ProcessorManufacturer: t(hw.cpuManufacturer),
      ProcessorFamily: t(hw.cpuFamily),
      ProcessorVersion: t(hw.cpuDescription),
      ProcessorMaxSpeed: null,
      ProcessorCurrentSpeed: hw.cpuSpeedMhz === undefined ? null : `${hw.cpuSpeedMhz as number} MHz`,
      CpuDescription: t(hw.cpuDescription),
      CpuCount: t(hw.cpuCount),
      CpuSpeedMHz: t(hw.cpuSpeedMhz),
      RamMBytes: t(hw.ramMBytes),
      MaxMemorySize: null,
      MemorySlots: null,
    },
    OnBoardDevices: [],
    PortConnectors: [],
    MemoryDevices: [],
    SystemSlots: [],
    CustomFields: Object.fromEntries(fields.map((f) => [f.name, f.value])),
    Attributes: {
      OsName: t(sum.osName),
      OsVersion: t(sum.osVersion),
      BaselineAudit: vsaDate('BaselineAudit', baseline?.collected_at),
      SysInfoAudit: vsaDate('SysInfoAudit', sysinfo?.collected_at),
    },
  };
}

// ---- request bodies of the custom-field and warranty calls ---------------------------------------------

/** the `key`/`value` pairs of a body (see the header), keys as sent */
function pairs(body: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const add = (k: unknown, v: unknown) => {
    if (typeof k !== 'string')
      throw invalid('each item names its field in "key"', [{ path: '/key', message: 'must be text' }]);
    out.set(k.toLowerCase(), v);
  };
  if (Array.isArray(body))
    for (const item of body) {
      if (!item || typeof item !== 'object' || Array.isArray(item))
        throw invalid('the body is a list of { "key": …, "value": … }', [
          { path: '/', message: 'not a key/value pair' },
        ]);
      const o = item as Record<string, unknown>;
      add(o.key ?? o.Key, o.value ?? o.Value);
    }
  else if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    const k = o.key ?? o.Key;
    if (k !== undefined && Object.keys(o).length <= 2) add(k, o.value ?? o.Value);
    else for (const [key, v] of Object.entries(o)) add(key, v);
  } else if (body !== undefined && body !== null)
    throw invalid('the body is a list of { "key": …, "value": … }', [
      { path: '/', message: 'must be a list or an object' },
    ]);
  return out;
}

function text(p: Map<string, unknown>, key: string, required: boolean): string | undefined {
  const v = p.get(key.toLowerCase());
  if (v === undefined || v === null) {
    if (required) throw invalid(`${key} is required`, [{ path: `/${key}`, message: 'is required' }]);
    return undefined;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string')
    throw invalid(`${key} must be text`, [{ path: `/${key}`, message: `got ${typeof v}` }]);
  return v;
}

function dateOf(p: Map<string, unknown>, key: string): Date | null {
  const v = text(p, key, false);
  if (v === undefined || v.trim() === '') return null;
  const t = Date.parse(v);
  if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}/.test(v.trim()))
    throw invalid(`${key} must be a date (ISO 8601)`, [
      { path: `/${key}`, message: `got ${JSON.stringify(v)}` },
    ]);
  return new Date(t);
}

/** form-urlencoded: repeated key/value pairs become the seed's list, anything else plain fields */
export function parseForm(text: string): unknown {
  const f = new URLSearchParams(text);
  const keys = f.getAll('key');
  const values = f.getAll('value');
  if (keys.length && keys.length === values.length) return keys.map((key, i) => ({ key, value: values[i] }));
  return Object.fromEntries(f.entries());
}

// ---- routes -----------------------------------------------------------------------------------------------

export function auditRoutes(app: FastifyInstance, deps: AuditDeps) {
  const { ctxOf, ok, listed, options } = deps;
  const agentId = (req: FastifyRequest, param = 'agentId') =>
    parseDecimalId((req.params as Params)[param] ?? '', 'agent');
  const g = { config: { scope: 'group' } } as const;

  app.get('/assetmgmt/audit', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const r = await queryAuditSummaries(ctx, toListQuery(options(req), auditSummaryFields));
    const flat = (x: Record<string, unknown>) => ({
      ...x,
      ...Object.fromEntries(
        Object.entries((x.summary as Record<string, unknown> | null) ?? {}).map(([k, v]) => [
          `summary.${k}`,
          v,
        ]),
      ),
    });
    const render = renderWith(auditSummaryFields);
    return listed(
      req,
      reply,
      { records: r.records.map((x) => render(flat(x))), total: r.total },
      'AuditSummary',
    );
  });

  app.get('/assetmgmt/audit/:agentId/summary', g, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    options(req); // accepted by the seed; one record, so they are only checked
    return ok(req, reply, await auditSummary(ctx, id));
  });

  app.get('/assetmgmt/audit/:agentId/credentials', g, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    toListQuery(options(req), credentialFields); // checked: Patchline keeps no agent credentials
    await asAgent(id, () => deviceAudit(ctx, id));
    return listed(req, reply, { records: [], total: 0 }, 'Credential');
  });

  for (const l of LISTS)
    app.get(`/assetmgmt/audit/:agentId/${l.path}`, g, async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = agentId(req);
      return listed(
        req,
        reply,
        await auditList(ctx, id, l.list, l.fields, options(req), snapshotOf(req), l.attributes),
        l.item,
      );
    });

  app.get('/assetmgmt/audit/:agentId/hardware/purchaseandwarrantyexpire', g, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    const w = await asAgent(id, () => deviceWarranty(ctx, id));
    return ok(req, reply, {
      PurchaseDate: vsaDate('PurchaseDate', w.purchaseDate),
      WarrantyExpireDate: vsaDate('WarrantyExpireDate', w.warrantyExpireDate),
    });
  });
  app.put('/assetmgmt/audit/:agentId/hardware/purchaseandwarrantyexpire', g, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    const p = pairs(req.body);
    const dates = {
      purchaseDate: dateOf(p, 'PurchaseDate'),
      warrantyExpireDate: dateOf(p, 'WarrantyExpireDate'),
    };
    return ok(req, reply, await asAgent(id, () => setDeviceWarranty(ctx, id, dates)));
  });

  for (const kind of AUDIT_KINDS) {
    app.put(`/assetmgmt/audit/${kind}/:agentId/runnow`, g, async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = agentId(req);
      await asAgent(id, () => runAuditNow(ctx, id, kind));
      return ok(req, reply, true);
    });
    app.put(`/assetmgmt/audit/${kind}/:agentId/schedule`, g, async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = agentId(req);
      const schedule = fromKaseya(req.body ?? {});
      await asAgent(id, () => scheduleAudit(ctx, id, kind, schedule));
      return ok(req, reply, true);
    });
  }

  // ---- Agent Custom Fields ----
  app.get('/assetmgmt/assets/:agentId/customfields', g, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    const fields = await asAgent(id, () => deviceCustomFields(ctx, id));
    return ok(
      req,
      reply,
      fields.map((f) => ({ FieldName: f.name, FieldValue: f.value, FieldType: f.type })),
      'CustomField',
    );
  });
  app.post('/assetmgmt/assets/customfields', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const p = pairs(req.body);
    const org = text(p, 'OrgId', false);
    const organizationId = org === undefined ? undefined : parseDecimalId(org, 'organization');
    const name = text(p, 'FieldName', true) as string;
    const type = text(p, 'FieldType', false);
    await addCustomField(ctx, {
      name,
      ...(type === undefined ? {} : { type }),
      ...(organizationId === undefined ? {} : { organizationId }),
    });
    return ok(req, reply, true);
  });
  app.put(
    '/assetmgmt/assets/customfields/:fieldName',
    { config: { scope: 'organization' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const to = text(pairs(req.body), 'NewFieldName', true) as string;
      return ok(req, reply, await renameCustomField(ctx, (req.params as Params).fieldName ?? '', to));
    },
  );
  app.delete(
    '/assetmgmt/assets/customfields/:fieldName',
    { config: { scope: 'organization' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      return ok(req, reply, await deleteCustomField(ctx, (req.params as Params).fieldName ?? ''));
    },
  );
  app.put('/assetmgmt/assets/:agentId/customfields/:fieldName', g, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    const value = text(pairs(req.body), 'FieldValue', true) as string;
    const name = (req.params as Params).fieldName ?? '';
    return ok(req, reply, await asAgent(id, () => setCustomFieldValue(ctx, id, name, value)));
  });
}

/** registers the chapter's routes with a form-urlencoded reader of their own (custom fields accept it) */
export function auditPlugin(app: FastifyInstance, deps: AuditDeps) {
  void app.register(async (sub) => {
    sub.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => {
        try {
          done(null, parseForm(body as string));
        } catch (e) {
          done(e as Error, undefined);
        }
      },
    );
    auditRoutes(sub, deps);
  });
}
