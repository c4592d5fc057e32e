import { deviceKind, type DeviceKind } from '../../core/device-kind.ts';
import { notFound } from '../../core/errors.ts';
import { byField, is, oneOf, type Condition, type ListQuery, type Listed } from '../../core/query.ts';
import type { Context } from '../../services/context.ts';
import {
  getDeviceEntry,
  queryDevices,
  queryGroups,
  queryOrganizations,
  type DeviceEntry,
  type GroupEntry,
} from '../../services/directory.ts';
import { choiceParam, idParam, type Params } from './params.ts';
import { el, fields, type XmlElement } from './xml.ts';

// The directory services (list_clients, list_sites, list_servers, list_workstations,
// list_devices_at_client, list_device_monitoring_details). Patchline's organizations are N-sight's
// clients; its groups at the top of an organization's tree are sites: the root group itself (holding
// the devices placed directly in it) and each group right under it (holding its whole subtree). For a
// caller scoped to part of a tree, a group whose parent it cannot see is a site too. Devices are servers
// or workstations by their operating system (core/device-kind.ts).

const PAGE = 500;

/** every record of a list query, page by page */
async function all<T>(list: (q: ListQuery) => Promise<Listed<T>>, filter?: Condition): Promise<T[]> {
  const out: T[] = [];
  for (let skip = 0; ; skip += PAGE) {
    const r = await list({ filter, sort: [], skip, top: PAGE });
    out.push(...r.records);
    if (skip + PAGE >= r.total || !r.records.length) return out;
  }
}

export const kindOf = (d: DeviceEntry): DeviceKind => deviceKind(d.osFamily, d.osName);

const DEVICE_TYPES = ['server', 'workstation', 'mobile_device'] as const;

const iso = (d: Date | null | undefined) =>
  d ? new Date(d).toISOString().replace(/\.\d{3}Z$/, '+00:00') : null;

/** the sites of an organization's visible groups, each with the groups whose devices it holds */
function sitesOf(groups: readonly GroupEntry[]): { site: GroupEntry; holds: number[] }[] {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const isSite = (g: GroupEntry) => {
    if (g.parentId === null) return true;
    const parent = byId.get(g.parentId);
    return !parent || parent.parentId === null;
  };
  const siteOf = (g: GroupEntry): GroupEntry => {
    let cur = g;
    while (!isSite(cur)) cur = byId.get(cur.parentId as number) as GroupEntry;
    return cur;
  };
  const sites = groups.filter(isSite);
  return sites.map((site) => ({
    site,
    holds: groups.filter((g) => siteOf(g).id === site.id).map((g) => g.id),
  }));
}

async function organizationSites(ctx: Context, organizationId: number) {
  return sitesOf(await all((q) => queryGroups(ctx, q, organizationId)));
}

/** a device as list_servers / list_workstations show it */
export function deviceRecord(d: DeviceEntry): XmlElement[] {
  return fields({
    id: d.id,
    name: d.name,
    description: d.hostname,
    online: d.seenRecently === true,
    os: d.osName,
    osversion: d.osVersion,
    ip: (d.ipAddresses ?? []).join(', '),
    lastresponse: iso(d.lastSeenAt),
    device_type: kindOf(d),
  });
}

const deviceElement = (d: DeviceEntry) => el(kindOf(d), deviceRecord(d));

export async function listClients(ctx: Context, p: Params): Promise<XmlElement[]> {
  const type = choiceParam(p, 'devicetype', DEVICE_TYPES);
  const orgs = await all((q) => queryOrganizations(ctx, q));
  const devices = await all((q) => queryDevices(ctx, q));
  const items = orgs.flatMap((o) => {
    const mine = devices.filter((d) => d.organizationId === o.id);
    const servers = mine.filter((d) => kindOf(d) === 'server').length;
    const workstations = mine.length - servers;
    // with devicetype, only the clients that have devices of that type (Patchline has no mobile devices)
    const ofType = { server: servers, workstation: workstations, mobile_device: 0 };
    if (type && ofType[type] === 0) return [];
    return [
      el(
        'client',
        fields({
          name: o.name,
          clientid: o.id,
          reference: o.ref,
          view_dashboard: 0,
          view_wkstsn_assets: 0,
          dashboard_username: '',
          timezone: '',
          creation_date: '',
          server_count: servers,
          workstation_count: workstations,
          mobile_device_count: 0,
          device_count: mine.length,
        }),
      ),
    ];
  });
  return [el('items', items)];
}

export async function listSites(ctx: Context, p: Params): Promise<XmlElement[]> {
  const clientId = idParam(p, 'clientid');
  ctx.authorize('read');
  ctx.seeOrganization(clientId, 'client');
  const sites = await organizationSites(ctx, clientId);
  return [
    el(
      'items',
      sites.map(({ site }) =>
        el(
          'site',
          fields({
            siteid: site.id,
            name: site.name,
            connection_ok: 1,
            creation_date: '',
            primary_router: '',
            secondary_router: '',
          }),
        ),
      ),
    ),
  ];
}

/** the devices of one site the caller sees, of one kind */
async function siteDevices(ctx: Context, siteId: number, kind: DeviceKind) {
  ctx.authorize('read');
  const [group] = (await queryGroups(ctx, byField('id', siteId))).records;
  if (!group) throw notFound('site', siteId);
  const site = (await organizationSites(ctx, group.organizationId)).find((s) => s.site.id === siteId);
  if (!site) throw notFound('site', siteId); // a group further down the tree is no site
  const devices = await all((q) => queryDevices(ctx, q), oneOf('groupId', site.holds));
  return devices.filter((d) => kindOf(d) === kind);
}

export const listServers = async (ctx: Context, p: Params) => [
  el('items', (await siteDevices(ctx, idParam(p, 'siteid'), 'server')).map(deviceElement)),
];
export const listWorkstations = async (ctx: Context, p: Params) => [
  el('items', (await siteDevices(ctx, idParam(p, 'siteid'), 'workstation')).map(deviceElement)),
];

export async function listDevicesAtClient(ctx: Context, p: Params): Promise<XmlElement[]> {
  const clientId = idParam(p, 'clientid');
  const type = choiceParam(p, 'devicetype', DEVICE_TYPES, true) as (typeof DEVICE_TYPES)[number];
  ctx.authorize('read');
  const [org] = (await queryOrganizations(ctx, byField('id', clientId))).records;
  if (!org) throw notFound('client', clientId);
  const sites = await organizationSites(ctx, clientId);
  const devices = await all((q) => queryDevices(ctx, q), is('organizationId', clientId));
  const siteElements = sites.map(({ site, holds }) =>
    el('site', [
      el('siteid', site.id),
      el('name', site.name),
      ...devices.filter((d) => holds.includes(d.groupId) && kindOf(d) === type).map(deviceElement),
    ]),
  );
  return [el('items', [el('client', [el('clientid', org.id), el('name', org.name), ...siteElements])])];
}

export async function deviceMonitoringDetails(ctx: Context, p: Params): Promise<XmlElement[]> {
  const d = await getDeviceEntry(ctx, idParam(p, 'deviceid'));
  const site = (await organizationSites(ctx, d.organizationId)).find((s) => s.holds.includes(d.groupId));
  return [
    el(kindOf(d), [
      ...deviceRecord(d),
      ...fields({
        clientid: d.organizationId,
        siteid: site?.site.id ?? null,
        sitename: site?.site.name ?? null,
        agent_version: d.agentVersion,
        timezone: d.timeZone,
      }),
      el('checks', []),
    ]),
  ];
}
