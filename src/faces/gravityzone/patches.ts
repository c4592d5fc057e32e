import { invalid } from '../../core/errors.ts';
import { SEVERITIES } from '../../core/severity.ts';
import { INSTALLED, OUTSTANDING } from '../../core/status.ts';
import type { Context } from '../../services/context.ts';
import { getDevice } from '../../services/devices.ts';
import { getGroupEntry } from '../../services/directory.ts';
import {
  organizationPatchInventory,
  queryDeviceUpdates,
  type DeviceUpdateView,
} from '../../services/device-updates.ts';
import { defaultOrganization } from '../../services/organizations.ts';
import { installOnDevices } from '../../services/device-patching.ts';
import { getInstance, runNow } from '../../services/tasks.ts';
import { GZ_KINDS, gzId, named, parseGzId, parsePatchGuids, patchGuid } from './ids.ts';
import { Params, describe, pagedOf, readPaging } from './jsonrpc.ts';
import type { Methods } from './methods.ts';

// Areas `patchManagement` and the task part of `network`: an endpoint's missing and installed patches,
// patch scan and install tasks (through the task engine and the agents, gated by maintenance windows), and
// a task's status.
//
// Decisions (GravityZone's reference is not in the seeds; these follow its shapes):
// - getMissingPatches / getInstalledPatches read one endpoint (`endpointId`), paged, with `filters`:
//   `type` 1 security, 2 non-security, 3 manually approved; `severity` one of Patchline's severities.
//   "Missing" is Patchline's OUTSTANDING statuses, "installed" its INSTALLED ones (core/status.ts).
// - Tasks target endpoints and groups (`targetIds`, 1 to 100, each an endpoint's or a group's id, all of
//   one company). createPatchInstallTask on endpoints approves the named `patchIds` on each endpoint and
//   installs them (without patchIds: the endpoint's approved patches), one task per endpoint; on groups
//   it installs their approved patches. Each answers the list of its tasks' ids, which getTaskStatus
//   reads: status 1 pending, 2 in progress, 3 finished (with `failed` when it did not succeed). Installs
//   wait for a maintenance window that allows them (services/windows-gate.ts).

const MAX_TARGETS = 100;

function patchView(u: DeviceUpdateView) {
  return {
    id: patchGuid(u.updateId),
    name: u.name,
    kb: u.kb,
    packageName: u.packageName,
    version: u.version,
    installedVersion: u.installedVersion,
    severity: u.severity,
    type: u.isSecurity ? 1 : 2,
    isSecurity: u.isSecurity,
    manuallyApproved: u.approval?.action === 'approve',
    status: u.status,
    cves: u.cves,
    rebootRequired: u.rebootBehavior !== 'never',
    detectedAt: u.firstDetectedAt.toISOString(),
    installedAt: u.installedAt ? u.installedAt.toISOString() : null,
  };
}

/** an endpoint's patches in some statuses, filtered and paged */
async function endpointPatches(
  ctx: Context,
  params: Record<string, unknown>,
  method: string,
  statuses: readonly string[],
) {
  const p = new Params(params, method);
  const paging = readPaging(p);
  const endpointText = p.string('endpointId', { required: true });
  const filters = p.object('filters') ?? {};
  p.done();
  const f = new Params(filters, method);
  const type = f.integer('type', { min: 1, max: 3 });
  const severity = f.string('severity');
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity))
    f.issues.push({
      path: 'severity',
      message: `must be one of ${SEVERITIES.join(', ')}, got ${describe(severity)}`,
    });
  for (const k of Object.keys(filters))
    if (k !== 'type' && k !== 'severity')
      f.issues.push({ path: k, message: 'is not a filter; the filters are type, severity' });
  f.issues.forEach((i) => (i.path = `filters.${i.path}`));
  f.done();
  const deviceId = parseGzId('endpoint', endpointText, 'endpointId');
  const r = await named(
    'endpoint',
    endpointText!,
    queryDeviceUpdates(
      ctx,
      deviceId,
      {
        status: [...statuses],
        ...(severity ? { severity: [severity] } : {}),
        ...(type === 1 || type === 2 ? { security: type === 1 } : type === 3 ? { approved: true } : {}),
      },
      { limit: paging.perPage, offset: (paging.page - 1) * paging.perPage, sort: ['name'] },
    ),
  );
  return pagedOf(r.items.map(patchView), r.total, paging);
}

/** `targetIds`: endpoints and groups of one company */
async function targetsOf(ctx: Context, p: Params) {
  const list = p.list('targetIds', { required: true, max: MAX_TARGETS });
  p.done();
  const devices: number[] = [];
  const groups: number[] = [];
  list!.forEach((t, i) => {
    const path = `targetIds.${i}`;
    if (typeof t === 'string' && t.length === 24 && Number.parseInt(t.slice(0, 2), 16) === GZ_KINDS.group.tag)
      groups.push(parseGzId('group', t, path));
    else devices.push(parseGzId('endpoint', t, path));
  });
  const orgs = new Set<number>();
  for (const [i, id] of devices.entries())
    orgs.add((await named('endpoint', list![i] as string, getDevice(ctx, id))).organizationId);
  if (groups.length && !devices.length) {
    // a group's company is found through the service that authorizes it
    return { organizationId: undefined, target: { kind: 'groups' as const, ids: groups } };
  }
  if (groups.length)
    throw invalid('invalid targetIds', [
      { path: 'targetIds', message: 'must be all endpoints or all groups' },
    ]);
  if (orgs.size > 1)
    throw invalid('invalid targetIds', [{ path: 'targetIds', message: 'must all be of one company' }]);
  return { organizationId: [...orgs][0]!, target: { kind: 'devices' as const, ids: devices } };
}

async function startTask(
  ctx: Context,
  params: Record<string, unknown>,
  method: string,
  kind: 'scan' | 'install',
): Promise<string[]> {
  const p = new Params(params, method);
  const name = p.string('name', { max: 200 });
  const patchList = kind === 'install' ? p.list('patchIds', { max: 500 }) : undefined;
  const updateIds = patchList ? parsePatchGuids(patchList, 'patchIds') : undefined;
  const t = await targetsOf(ctx, p);
  if (kind === 'install' && t.target.kind === 'devices') {
    // the named patches are approved on each endpoint and installed there (services/device-patching.ts)
    const out = await installOnDevices(ctx, {
      deviceIds: t.target.ids,
      ...(updateIds?.length ? { updateIds } : {}),
    });
    return out.flatMap((o) => (o.instance ? [gzId('task', o.instance.id)] : []));
  }
  if (updateIds?.length)
    throw invalid('invalid params', [
      { path: 'patchIds', message: 'name endpoints in targetIds to install patches by id' },
    ]);
  const organizationId = t.organizationId ?? (await groupCompany(ctx, t.target.ids));
  const instance = await runNow(ctx, {
    organizationId,
    kind,
    name: name ?? `${kind === 'scan' ? 'Patch scan' : 'Patch install'} (GravityZone API)`,
    parameters: { target: t.target },
  });
  return [gzId('task', instance.id)];
}

async function groupCompany(ctx: Context, groupIds: readonly number[]): Promise<number> {
  const orgs = new Set<number>();
  for (const id of groupIds) {
    const g = await named('group', gzId('group', id), getGroupEntry(ctx, id));
    orgs.add(Number(g.organizationId));
  }
  if (orgs.size > 1)
    throw invalid('invalid targetIds', [{ path: 'targetIds', message: 'must all be of one company' }]);
  return [...orgs][0]!;
}

const TASK_STATUS = { pending: 1, running: 2, finished: 3 } as const;
const FINISHED = ['Completed', 'Failed'];

/** `companyId` (default: the key's), `filters` {vendor, product, severity}, paging */
async function patchInventory(ctx: Context, params: Record<string, unknown>) {
  const p = new Params(params, 'getPatchInventory');
  const paging = readPaging(p);
  const companyText = p.string('companyId');
  const filters = p.object('filters') ?? {};
  p.done();
  const f = new Params(filters, 'getPatchInventory');
  const vendor = f.string('vendor', { max: 200 });
  const product = f.string('product', { max: 200 });
  const severity = f.string('severity');
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity))
    f.issues.push({
      path: 'severity',
      message: `must be one of ${SEVERITIES.join(', ')}, got ${describe(severity)}`,
    });
  for (const k of Object.keys(filters))
    if (!['vendor', 'product', 'severity'].includes(k))
      f.issues.push({ path: k, message: 'is not a filter; the filters are vendor, product, severity' });
  f.issues.forEach((i) => (i.path = `filters.${i.path}`));
  f.done();
  const orgId =
    companyText === undefined
      ? defaultOrganization(ctx, 'companyId')
      : parseGzId('company', companyText, 'companyId');
  const page = { limit: paging.perPage, offset: (paging.page - 1) * paging.perPage };
  const filter = {
    ...(vendor === undefined ? {} : { vendor }),
    ...(product === undefined ? {} : { product }),
    ...(severity === undefined ? {} : { severity: [severity] }),
  };
  const r = await (companyText === undefined
    ? organizationPatchInventory(ctx, orgId, filter, page)
    : named('company', companyText, organizationPatchInventory(ctx, orgId, filter, page)));
  const items = r.items.map((u) => ({
    id: patchGuid(u.updateId),
    name: u.name,
    kb: u.kb,
    packageName: u.packageName,
    vendor: u.vendor,
    product: u.product,
    severity: u.severity,
    type: u.isSecurity ? 1 : 2,
    affectedEndpoints: u.deviceIds.map((d) => gzId('endpoint', d)),
    affectedEndpointsCount: u.deviceIds.length,
  }));
  return pagedOf(items, r.total, paging);
}

export const patchMethods: Methods = {
  getPatchInventory: patchInventory,
  getMissingPatches: (ctx, params) => endpointPatches(ctx, params, 'getMissingPatches', OUTSTANDING),
  getInstalledPatches: (ctx, params) => endpointPatches(ctx, params, 'getInstalledPatches', INSTALLED),
  createPatchScanTask: (ctx, params) => startTask(ctx, params, 'createPatchScanTask', 'scan'),
  createPatchInstallTask: (ctx, params) => startTask(ctx, params, 'createPatchInstallTask', 'install'),
};

export const taskMethods: Methods = {
  createScanTask: (ctx, params) => startTask(ctx, params, 'createScanTask', 'scan'),
  async getTaskStatus(ctx, params) {
    const p = new Params(params, 'getTaskStatus');
    const text = p.string('taskId', { required: true });
    p.done();
    const r = await named('task', text!, getInstance(ctx, parseGzId('task', text, 'taskId')));
    const done = FINISHED.includes(r.status);
    return {
      id: text,
      status: done
        ? TASK_STATUS.finished
        : r.status === 'NotStarted'
          ? TASK_STATUS.pending
          : TASK_STATUS.running,
      state: r.status,
      failed: r.status === 'Failed',
      startDate: r.startedAt?.toISOString() ?? null,
      endDate: r.finishedAt?.toISOString() ?? null,
      endpoints: r.devices.map((d) => ({
        id: gzId('endpoint', d.deviceId),
        status: d.status,
        job: d.job ? d.job.status : null,
      })),
    };
  },
};
