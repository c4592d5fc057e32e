import { DomainError, invalid, notFound } from '../../core/errors.ts';
import type { Context } from '../../services/context.ts';
import { deleteDevice, updateDevice } from '../../services/devices.ts';
import { createGroup, deleteGroup, getGroup, updateGroup } from '../../services/groups.ts';
import {
  createOrganization,
  deleteOrganization,
  getOrganization,
  updateOrganization,
  type OrganizationInput,
} from '../../services/organizations.ts';
import {
  getDeviceEntry,
  getGroupEntry,
  getOrganizationEntry,
  queryDevices,
  queryGroups,
  queryOrganizations,
  type DeviceEntry,
  type GroupEntry,
  type Listed,
  type OrganizationEntry,
} from '../../services/directory.ts';
import { toListQuery, type QueryOptions } from '../shared/odata/index.ts';
import { renderDecimalId, renderDecimalIdOrNull } from '../shared/ids.ts';
import { Body } from './body.ts';
import { vsaDate } from './dates.ts';
import {
  AGENT_IDS,
  agentFields,
  ASSET_IDS,
  ASSET_TYPE_COMPUTER,
  assetFields,
  groupFields,
  orgFields,
  renderRecord,
} from './fields.ts';

export { agentFields, assetFields, groupFields, orgFields };
export type { Listed };

// Organizations, machine groups and agents in the shapes of seed 004 (users and roles are in
// directory.ts, installed applications in audit.ts). Reads: $filter / $orderby / $skip / $top become a
// domain list query through each resource's fields (fields.ts), which the services run in the
// caller's scope. Writes: the seed's bodies are read (body.ts) and handed to the services, which
// hold every rule (who may, what a name may be, what happens to what is inside); service errors keep
// their kind, with their field paths renamed to the seed's.

/** a service's invalid-input error with its field paths in the seed's names (`/name` → `/OrgName`) */
/** a service's not found in the seed's word for the record (`agent 5 not found`, not `device`) */
export async function seedNotFound<T>(what: string, id: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'not_found') throw notFound(what, renderDecimalId(id));
    throw e;
  }
}

export async function inSeedTerms<T>(
  paths: Readonly<Record<string, string>>,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DomainError && e.issues.some((i) => Object.hasOwn(paths, i.path)))
      throw new DomainError(
        e.kind,
        e.message,
        e.issues.map((i) => ({ ...i, path: paths[i.path] ?? i.path })),
      );
    throw e;
  }
}

const required = (field: string) =>
  invalid(`${field} is required`, [{ path: `/${field}`, message: 'is required' }]);

/** the seed's update bodies repeat the record's id: it must be the one in the path */
function sameId(b: Body, field: string, id: number) {
  const given = b.id(field);
  if (given != null && given !== id)
    throw invalid(`${field} ${given} in the body differs from ${id} in the path`, [
      { path: `/${field}`, message: `must be ${id}, the id in the path, or be left out` },
    ]);
}

// ---- organizations ----------------------------------------------------------------------------------

const text = (v: unknown) => (typeof v === 'string' ? v : null);
const num = (v: unknown) => (typeof v === 'number' ? v : null);

export const renderOrg = (r: OrganizationEntry) => {
  const a = r.attributes as Record<string, unknown>;
  return {
    OrgId: renderDecimalId(r.id),
    OrgName: r.name,
    OrgRef: r.ref,
    OrgType: text(a.OrgType),
    DefaultDepartmentName: text(a.DefaultDepartmentName),
    DefaultMachineGroupName: r.rootGroupName,
    ParentOrgId: renderDecimalIdOrNull(r.parentId),
    Website: text(a.Website),
    NoOfEmployees: num(a.NoOfEmployees),
    AnnualRevenue: num(a.AnnualRevenue),
    ContactInfo: (a.ContactInfo as object | undefined) ?? null,
    CustomFields: Array.isArray(a.CustomFields) ? a.CustomFields : [],
    Attributes: (a.Attributes as object | undefined) ?? null,
  };
};

export async function listOrgs(ctx: Context, options: QueryOptions): Promise<Listed<unknown>> {
  const r = await queryOrganizations(ctx, toListQuery(options, orgFields));
  return { records: r.records.map(renderOrg), total: r.total };
}

export async function getOrg(ctx: Context, id: number) {
  return renderOrg(await seedNotFound('organization', id, () => getOrganizationEntry(ctx, id)));
}

const ORG_FIELDS = [
  'OrgId',
  'OrgName',
  'OrgRef',
  'OrgType',
  'DefaultDepartmentName',
  'DefaultMachineGroupName',
  'ParentOrgId',
  'Website',
  'NoOfEmployees',
  'AnnualRevenue',
  'ContactInfo',
  'CustomFields',
  'Attributes',
] as const;
const CONTACT_FIELDS = [
  'PreferredContactMethod',
  'PrimaryPhone',
  'PrimaryFax',
  'PrimaryEmail',
  'Country',
  'Street',
  'City',
  'State',
  'ZipCode',
  'PrimaryTextMessagePhone',
] as const;
const ORG_PATHS = {
  '/name': '/OrgName',
  '/ref': '/OrgRef',
  '/parentId': '/ParentOrgId',
  '/rootGroupName': '/DefaultMachineGroupName',
};

/**
 * The seed's fields that Patchline keeps as the organization's attributes, merged into `current`: a
 * field left out stays, a field sent as null goes; ContactInfo merges field by field, CustomFields and
 * Attributes are replaced whole. (Patchline has no departments: DefaultDepartmentName is kept as text.)
 */
function orgAttributes(b: Body, current: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current };
  const put = (key: string, value: unknown) => {
    if (value === undefined) return;
    if (value === null) delete out[key];
    else out[key] = value;
  };
  for (const key of ['OrgType', 'DefaultDepartmentName', 'Website']) put(key, b.text(key));
  put('NoOfEmployees', b.number('NoOfEmployees', { integer: true, min: 0 }));
  put('AnnualRevenue', b.number('AnnualRevenue', { min: 0 }));
  const contact = b.textObject('ContactInfo', CONTACT_FIELDS);
  if (contact !== undefined) {
    const merged: Record<string, unknown> = { ...((current.ContactInfo as object | undefined) ?? {}) };
    for (const [k, v] of Object.entries(contact ?? {})) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    put('ContactInfo', contact === null || !Object.keys(merged).length ? null : merged);
  }
  const custom = b.textObjects('CustomFields', ['FieldName', 'FieldValue']);
  put('CustomFields', custom?.length === 0 ? null : custom);
  put('Attributes', b.object('Attributes'));
  return out;
}

/** Add Organization (POST /system/orgs): the new OrgId, which the body cannot choose. */
export async function addOrg(ctx: Context, body: unknown): Promise<string> {
  const b = Body.of(body, ORG_FIELDS, 'organization');
  b.id('OrgId'); // checked, then ignored: the server assigns ids (clients such as VSAModule send a random one)
  const name = b.text('OrgName');
  if (name == null) throw required('OrgName');
  const ref = b.text('OrgRef');
  const parentId = b.id('ParentOrgId');
  const rootGroupName = b.text('DefaultMachineGroupName');
  const input: OrganizationInput = {
    name,
    ...(ref ? { ref } : {}),
    ...(parentId != null ? { parentId } : {}),
    ...(rootGroupName ? { rootGroupName } : {}),
    attributes: orgAttributes(b, {}),
  };
  const org = await inSeedTerms(ORG_PATHS, () => createOrganization(ctx, input));
  return renderDecimalId(org.id);
}

/**
 * Update Organization (PUT /system/orgs/{orgId}): only the fields sent, and of those only the ones that
 * differ, so a record read with GET and sent back changed in one field asks for that one change.
 */
export async function updateOrg(ctx: Context, id: number, body: unknown): Promise<true> {
  const b = Body.of(body, ORG_FIELDS, 'organization');
  sameId(b, 'OrgId', id);
  const current = await getOrganization(ctx, id);
  const patch: Partial<OrganizationInput> = {};
  const name = b.text('OrgName');
  if (name === null) throw required('OrgName');
  if (name !== undefined && name !== current.name) patch.name = name;
  const ref = b.text('OrgRef');
  if (ref && ref !== current.ref) patch.ref = ref;
  const parentId = b.id('ParentOrgId');
  if (parentId !== undefined && parentId !== current.parentId) patch.parentId = parentId;
  const rootGroupName = b.text('DefaultMachineGroupName');
  if (rootGroupName) patch.rootGroupName = rootGroupName;
  const attributes = orgAttributes(b, current.attributes);
  if (JSON.stringify(attributes) !== JSON.stringify(current.attributes)) patch.attributes = attributes;
  await inSeedTerms(ORG_PATHS, () => updateOrganization(ctx, id, patch));
  return true;
}

/** `PUT /system/orgs` with the id in the body, as the guide's overview sends it ("Request Guidelines") */
export async function updateOrgNamedInBody(ctx: Context, body: unknown): Promise<true> {
  const id = Body.of(body, ORG_FIELDS, 'organization').id('OrgId');
  if (id == null) throw required('OrgId');
  return updateOrg(ctx, id, body);
}

/** Delete Organization: the service refuses one that still holds devices or child organizations. */
export async function deleteOrg(ctx: Context, id: number): Promise<true> {
  await deleteOrganization(ctx, id);
  return true;
}

// ---- machine groups ---------------------------------------------------------------------------------

export const renderGroup = (r: GroupEntry) => ({
  MachineGroupId: renderDecimalId(r.id),
  MachineGroupName: r.name,
  ParentMachineGroupId: renderDecimalIdOrNull(r.parentId),
  OrgId: renderDecimalId(r.organizationId),
  Attributes: null,
});

export async function listMachineGroups(
  ctx: Context,
  options: QueryOptions,
  orgId?: number,
): Promise<Listed<unknown>> {
  const r = await queryGroups(ctx, toListQuery(options, groupFields), orgId);
  return { records: r.records.map(renderGroup), total: r.total };
}

export async function getMachineGroup(ctx: Context, id: number) {
  return renderGroup(await seedNotFound('machine group', id, () => getGroupEntry(ctx, id)));
}

const GROUP_FIELDS = ['MachineGroupId', 'MachineGroupName', 'ParentMachineGroupId', 'OrgId', 'Attributes'];
const GROUP_PATHS = { '/name': '/MachineGroupName', '/parentId': '/ParentMachineGroupId' };

/** Patchline's groups carry no free-form attributes: refuse them rather than drop them */
function noAttributes(b: Body) {
  const a = b.object('Attributes');
  if (a && Object.keys(a).length)
    throw invalid('Patchline keeps no Attributes on machine groups', [
      { path: '/Attributes', message: 'must be empty or left out' },
    ]);
}

/** Add Machine Group (POST /system/orgs/{orgId}/machinegroups): the new MachineGroupId. */
export async function addMachineGroup(ctx: Context, orgId: number, body: unknown): Promise<string> {
  const b = Body.of(body, GROUP_FIELDS, 'machine group');
  b.id('MachineGroupId'); // the server assigns ids
  sameId(b, 'OrgId', orgId);
  const name = b.text('MachineGroupName');
  if (name == null) throw required('MachineGroupName');
  const parentId = b.id('ParentMachineGroupId');
  noAttributes(b);
  const group = await inSeedTerms(GROUP_PATHS, () =>
    // no parent: directly under the organization's root group
    createGroup(ctx, { organizationId: orgId, parentId: parentId ?? null, name }),
  );
  return renderDecimalId(group.id);
}

/**
 * Update Machine Group (PUT /system/machinegroups/{id}): a new name and/or parent; ParentMachineGroupId
 * null or 0 means the top level, i.e. directly under the root group. A group stays in its organization.
 */
export async function updateMachineGroup(ctx: Context, id: number, body: unknown): Promise<true> {
  const b = Body.of(body, GROUP_FIELDS, 'machine group');
  sameId(b, 'MachineGroupId', id);
  const current = await getGroup(ctx, id);
  const orgId = b.id('OrgId');
  if (orgId != null && orgId !== current.organizationId)
    throw invalid('a machine group cannot move to another organization', [
      {
        path: '/OrgId',
        message: `must be ${current.organizationId}, the group's organization, or be left out`,
      },
    ]);
  noAttributes(b);
  const patch: { name?: string; parentId?: number } = {};
  const name = b.text('MachineGroupName');
  if (name === null) throw required('MachineGroupName');
  if (name !== undefined && name !== current.name) patch.name = name;
  const parent = b.id('ParentMachineGroupId');
  if (parent !== undefined) {
    const target =
      parent ?? (current.isRoot ? null : (await getOrganization(ctx, current.organizationId)).rootGroupId);
    if (target !== null && target !== current.parentId) patch.parentId = target;
  }
  await inSeedTerms(GROUP_PATHS, () => updateGroup(ctx, id, patch));
  return true;
}

/** Delete Machine Group: the service refuses the root group and a group that still holds anything. */
export async function deleteMachineGroup(ctx: Context, id: number): Promise<true> {
  await deleteGroup(ctx, id);
  return true;
}

// ---- agents -----------------------------------------------------------------------------------------

export const renderAgent = (r: DeviceEntry) => ({
  ...renderRecord(agentFields, r, AGENT_IDS),
  Attributes: null,
});

export async function listAgents(ctx: Context, options: QueryOptions): Promise<Listed<unknown>> {
  const r = await queryDevices(ctx, toListQuery(options, agentFields));
  return { records: r.records.map(renderAgent), total: r.total };
}

// ---- assets: Patchline's devices (fields.ts, assetFields) ----------------------------------------------

export const renderAsset = (r: DeviceEntry): Record<string, unknown> => ({
  ...renderRecord(assetFields, r, ASSET_IDS),
  Attributes: null,
});

export async function listAssets(ctx: Context, options: QueryOptions): Promise<Listed<unknown>> {
  const r = await queryDevices(ctx, toListQuery(options, assetFields));
  return { records: r.records.map(renderAsset), total: r.total };
}

/** Get Asset: the detailed record, what Patchline knows of the device in the seed's DeviceFound shape */
export async function getAsset(ctx: Context, id: number) {
  const r = await seedNotFound('asset', id, () => getDeviceEntry(ctx, id));
  const a = renderAsset(r);
  const ips = r.ipAddresses.length ? r.ipAddresses : [null];
  return {
    AssetId: a.AssetId,
    AssetName: a.AssetName,
    AssetTypeId: a.AssetTypeId,
    MachineGroupId: a.MachineGroupId,
    MachineGroup: a.MachineGroup,
    OrgId: a.OrgId,
    AgentId: a.AgentId,
    DeviceId: a.AgentId,
    DeviceName: a.AssetName,
    DeviceType: a.AssetTypeId,
    DeviceTime: vsaDate('DeviceTime', r.lastSeenAt),
    ServerTime: vsaDate('ServerTime', new Date()),
    MACAddresses: a.MACAddresses,
    DeviceFounds: [
      {
        DeviceId: a.AgentId,
        FoundOn: vsaDate('FoundOn', r.enrolledAt),
        FoundBy: null,
        DeviceInfo: {
          HostName: a.HostName,
          Manufacturer: null,
          Version: r.osVersion || null,
          SerialNumber: null,
          Port: null,
          OSName: r.osName || null,
          OSType: a.OSType,
          OSFamily: a.OSFamily,
          OSVendor: null,
          OSAccuracy: null,
          OSInfo: r.osName || null,
          OSGeneration: r.osVersion || null,
        },
        DeviceIPs: ips.map((ip, i) => ({
          IPAddress: ip && !ip.includes(':') ? ip : null,
          IPAddressType: ip === null ? null : ip.includes(':') ? 6 : 4,
          SubnetMask: null,
          DHCPEnabled: null,
          IPv6Address: ip && ip.includes(':') ? ip : null,
          MACAddress: r.macAddresses[i] ?? null,
          MACManufacturer: null,
        })),
      },
    ],
    Attributes: null,
  };
}

/** Delete Asset: the asset is the device, deleted as Delete Agent deletes it */
export async function deleteAsset(ctx: Context, id: number): Promise<true> {
  await seedNotFound('asset', id, () => deleteDevice(ctx, id));
  return true;
}

/** Get Asset Types: Patchline's one type of asset, a computer with its agent */
export const listAssetTypes = (ctx: Context): Listed<unknown> => {
  ctx.authorize('read');
  return {
    records: [
      {
        AssetTypeId: ASSET_TYPE_COMPUTER,
        AssetTypeName: 'Computer',
        ParentAssetTypeId: null,
        Attributes: null,
      },
    ],
    total: 1,
  };
};

export async function getAgent(ctx: Context, id: number) {
  return renderAgent(await seedNotFound('agent', id, () => getDeviceEntry(ctx, id)));
}

/** Rename Agent (PUT /assetmgmt/agents/{agentId}/rename/{newName}): the device's name. */
export async function renameAgent(ctx: Context, id: number, newName: string): Promise<true> {
  await inSeedTerms({ '/name': '/newName' }, () => updateDevice(ctx, id, { name: newName }));
  return true;
}

/**
 * Delete Agent (DELETE /assetmgmt/agents/{agentId}/{uninstallFirst}). Patchline cannot uninstall an
 * agent from its machine (the agent protocol has no such job), so `true` is refused rather than
 * pretended: the caller uninstalls the agent on the machine and deletes with `false`.
 */
export async function deleteAgent(ctx: Context, id: number, uninstallFirst: string): Promise<true> {
  const flag = uninstallFirst.toLowerCase();
  if (flag !== 'true' && flag !== 'false')
    throw invalid(`uninstallFirst must be true or false, not '${uninstallFirst}'`, [
      { path: 'uninstallFirst', message: 'must be true or false' },
    ]);
  if (flag === 'true')
    throw invalid(
      'Patchline cannot uninstall an agent remotely: uninstall it on the machine, then delete with uninstallFirst=false',
      [{ path: 'uninstallFirst', message: 'must be false' }],
    );
  await deleteDevice(ctx, id);
  return true;
}

// ---- agent views -------------------------------------------------------------------------------------
// Patchline has no agent views (VSA's saved agent filters): GET /system/views lists none, and the agents
// of a view id answer 404 as for any view that does not exist.

export const listViews = (ctx: Context): Listed<never> => {
  ctx.authorize('read');
  return { records: [], total: 0 };
};

export function agentsInView(ctx: Context, viewId: number): never {
  ctx.authorize('read');
  throw new DomainError(
    'not_found',
    `agent view ${renderDecimalId(viewId)} not found: Patchline has no agent views (GET /system/views lists none)`,
  );
}
