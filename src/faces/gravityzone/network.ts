import { invalid } from '../../core/errors.ts';
import type { Context } from '../../services/context.ts';
import { getDevice, listDevices, type DeviceView } from '../../services/devices.ts';
import type { DeviceFilter } from '../../store/repos/devices-repo.ts';
import { GZ_KINDS, gzId, named, parseGzId } from './ids.ts';
import { Params, pagedOf, readPaging } from './jsonrpc.ts';
import type { Methods } from './methods.ts';
import { taskMethods } from './patches.ts';

// Area `network`: Patchline's devices as endpoints. An endpoint is managed once an agent enrolled it.
// `parentId` is a company (its endpoints) or a group (the endpoints directly in it); `filters` supports
// `details.name` (a part of the name). createScanTask and getTaskStatus are patches.ts's.

const OS_TYPE: Record<string, number> = { windows: 1, linux: 2, macos: 3 };

function endpointSummary(d: DeviceView) {
  return {
    id: gzId('endpoint', d.id),
    name: d.name,
    label: d.name,
    fqdn: d.hostname,
    groupId: gzId('group', d.groupId),
    companyId: gzId('company', d.organizationId),
    isManaged: d.enrolledAt !== null,
    machineType: 1,
    operatingSystemVersion: [d.osName, d.osVersion].filter(Boolean).join(' '),
    os: OS_TYPE[d.osFamily] ?? 0,
    ip: d.ipAddresses[0] ?? null,
    macs: d.macAddresses,
  };
}

async function parentFilter(ctx: Context, text: string | undefined): Promise<DeviceFilter> {
  if (text === undefined) return {};
  if (text.length === 24 && Number.parseInt(text.slice(0, 2), 16) === GZ_KINDS.group.tag)
    return { groupIds: [parseGzId('group', text, 'parentId')] };
  return { organizationId: parseGzId('company', text, 'parentId') };
}

export const networkMethods: Methods = {
  async getEndpointsList(ctx, params) {
    const p = new Params(params, 'getEndpointsList');
    const paging = readPaging(p);
    const parent = p.string('parentId');
    const managed = p.boolean('isManaged');
    const filters = p.object('filters') ?? {};
    p.done();
    let name: string | undefined;
    for (const [k, v] of Object.entries(filters)) {
      const details =
        k === 'details' && typeof v === 'object' && v !== null && !Array.isArray(v)
          ? (v as Record<string, unknown>)
          : undefined;
      if (
        !details ||
        Object.keys(details).some((x) => x !== 'name') ||
        (details.name !== undefined && typeof details.name !== 'string')
      )
        throw invalid('invalid params of getEndpointsList', [
          { path: `filters.${k}`, message: 'is not supported; the filters are details.name (a string)' },
        ]);
      name = details.name as string | undefined;
    }
    const f: DeviceFilter = {
      ...(await parentFilter(ctx, parent)),
      ...(name ? { q: name } : {}),
      ...(managed === undefined ? {} : { enrolled: managed }),
    };
    const page = { limit: paging.perPage, offset: (paging.page - 1) * paging.perPage, sort: ['name'] };
    const r = await (parent === undefined
      ? listDevices(ctx, f, page)
      : named(f.groupIds ? 'group' : 'company', parent, listDevices(ctx, f, page)));
    return pagedOf(r.items.map(endpointSummary), r.total, paging);
  },
  async getManagedEndpointDetails(ctx, params) {
    const p = new Params(params, 'getManagedEndpointDetails');
    const text = p.string('endpointId', { required: true });
    p.done();
    const d = await named('endpoint', text!, getDevice(ctx, parseGzId('endpoint', text, 'endpointId')));
    return {
      ...endpointSummary(d),
      state: d.status === 'online' ? 1 : 0,
      lastSeen: d.lastSeenAt?.toISOString() ?? null,
      lastPatchScan: d.lastScanAt?.toISOString() ?? null,
      rebootRequired: d.rebootRequired,
      agent: { version: d.agentVersion },
    };
  },
  ...taskMethods,
};
