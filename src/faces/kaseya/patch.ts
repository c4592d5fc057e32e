import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalid, notFound } from '../../core/errors.ts';
import { fromKaseya } from '../../core/schedule/kaseya.ts';
import { applyApproval } from '../../services/approvals.ts';
import type { Context } from '../../services/context.ts';
import { and, not, oneOf, type Listed } from '../../core/query.ts';
import {
  cancelDeviceInstalls,
  clearDeviceIgnore,
  deviceDecisions,
  devicePatchSummary,
  installOnDevices,
  queryMissingUpdates,
  queryUpdateHistory,
  scanDevicesNow,
  scheduleDeviceScan,
  type DeviceActionOptions,
} from '../../services/device-patching.ts';
import { parseDecimalId } from '../shared/ids.ts';
import { toListQuery, type FieldMap, type QueryOptions } from '../shared/odata/index.ts';
import { vsaDate } from './dates.ts';
import { patchFields, valueOf, type PatchDecisions } from './fields.ts';
import { seedNotFound } from './resources.ts';

// The Patch Management chapter of seed 004 under /api/v1.0/assetmgmt/patch: scan now, schedule a scan,
// patch status, missing patches, history, run now, cancel, delete, set and remove ignore. Translation
// only: the use cases are services/device-patching.ts and services/approvals.ts, the code tables
// fields.ts.
//
// Where the seed is silent or contradicts itself (decided here, tested in test/faces/kaseya/):
// - "Run Patch Update" (PUT /assetmgmt/patch/runnow) names no agent in its path or its request model.
//   Patchline reads the agents from `AgentGuids` in the body (a list of agent ids, as the product's
//   live API takes them), or from `agentGuids` in the query (comma-separated).
// - "Delete Patch" (DELETE /assetmgmt/patch) documents neither a target nor a body. Patchline reads the
//   agents from `agentGuids` in the query (as the product's live API) or `AgentGuids` in the body, and
//   deletes the patch installs waiting for them: the same as "Cancel a Scheduled Patch" on each.
// - PatchIds of 0 (the value of every sample request) name no patch and are dropped. Run now without a
//   patch installs the agents' approved patches.
// - A schedule in run now whose first occurrence is not after now (the sample's Repeat "Never" with a
//   past StartOn) runs now; "Schedule Patch Scan" refuses such a schedule (it would never scan).
// - "Schedule Patch Scan" without a Recurrence (what clients send to install patches now: ServerTimeZone,
//   SkipIfOffLine, PowerUpIfOffLine and PatchIds only) runs once, now: PatchIds (not 0) are installed on
//   the agent as run now installs them, and without patch ids the agent scans now.
// - SkipIfOffLine and PowerUpIfOffLine are stored with the task (and passed to its jobs) but not acted
//   on: a Patchline job waits for its agent, and Patchline has no wake-on-LAN. PatchIds of "Schedule
//   Patch Scan" with a Recurrence are ignored (a scan covers every patch).
// - The missing-patches sample response uses other names than its model schema: records carry the
//   model's fields (those of the history too) and the sample's names as well (Description, KBArticle,
//   Product, ReleaseDate, Status, manualUpdateFlag, schedTogether); $filter and $orderby take both.
// - "Get Patch Status" accepts filter and sort expressions per the seed but returns one record: they
//   are checked and otherwise have no effect.

type Params = Record<string, string>;
type Fields = Record<string, unknown>;

export interface PatchDeps {
  ctxOf: (req: FastifyRequest) => Promise<Context>;
  ok: (req: FastifyRequest, reply: FastifyReply, result: unknown, item?: string) => unknown;
  /** a list in the envelope; `fields` are the names $select may pick (default: the records' keys) */
  listed: <T>(
    req: FastifyRequest,
    reply: FastifyReply,
    r: Listed<T>,
    item: string,
    fields?: FieldMap,
  ) => unknown;
  options: (req: FastifyRequest) => QueryOptions;
}

const agentId = (req: FastifyRequest) => parseDecimalId((req.params as Params).agentId ?? '', 'agent');

const bodyOf = (req: FastifyRequest): Fields => {
  const b = req.body ?? {};
  if (typeof b !== 'object' || Array.isArray(b))
    throw invalid('the request body must be a JSON object', [{ path: '/', message: 'must be an object' }]);
  return b as Fields;
};

const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** PatchIds: whole numbers (or strings of digits); 0 (the samples' value) names no patch */
function patchIds(body: Fields, required: boolean): number[] {
  const v = body.PatchIds;
  if (v === undefined || v === null) {
    if (required)
      throw invalid('PatchIds must list the patches', [{ path: '/PatchIds', message: 'is required' }]);
    return [];
  }
  const ids = Array.isArray(v)
    ? v.map((x) => (isWhole(x) ? x : typeof x === 'string' && /^\s*\d{1,15}\s*$/.test(x) ? Number(x) : NaN))
    : [NaN];
  if (!ids.every(isWhole))
    throw invalid('PatchIds must be a list of patch ids (PatchDataId, whole numbers)', [
      { path: '/PatchIds', message: `got ${JSON.stringify(v)}` },
    ]);
  const named = [...new Set(ids.filter((x) => x > 0))];
  if (required && !named.length)
    throw invalid('PatchIds must name at least one patch', [
      { path: '/PatchIds', message: 'names no patch' },
    ]);
  return named;
}

/** agents of a multi-agent call: `AgentGuids` in the body, else `agentGuids` in the query */
function agentIds(req: FastifyRequest, body: Fields): number[] {
  const fromQuery = (req.query as Record<string, unknown>).agentGuids;
  const raw: unknown =
    body.AgentGuids ??
    (typeof fromQuery === 'string' ? fromQuery.split(',').map((s) => s.trim()) : fromQuery);
  const list = Array.isArray(raw) ? raw : undefined;
  if (!list?.length)
    throw invalid('name the agents in AgentGuids (body) or agentGuids (query)', [
      { path: '/AgentGuids', message: 'must be a non-empty list of agent ids' },
    ]);
  return list.map((x, i) => {
    if (!(isWhole(x) || (typeof x === 'string' && /^\s*\d+\s*$/.test(x))))
      throw invalid('AgentGuids must be a list of agent ids', [
        { path: `/AgentGuids/${i}`, message: `got ${JSON.stringify(x)}` },
      ]);
    return parseDecimalId(String(x), 'agent');
  });
}

function boolOption(body: Fields, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw invalid(`${key} must be true or false`, [{ path: `/${key}`, message: `got ${JSON.stringify(v)}` }]);
  return v;
}

const actionOptions = (body: Fields): DeviceActionOptions => {
  const skip = boolOption(body, 'SkipIfOffLine');
  const wake = boolOption(body, 'PowerUpIfOffLine');
  boolOption(body, 'ServerTimeZone');
  return {
    ...(skip !== undefined ? { skipIfOffline: skip } : {}),
    ...(wake !== undefined ? { powerUpIfOffline: wake } : {}),
  };
};

/** the decisions of an agent's patches as the list fields read them */
async function decisionsOf(ctx: Context, id: number): Promise<PatchDecisions> {
  const { decisions } = await deviceDecisions(ctx, id).catch((e: unknown) => {
    throw (e as { kind?: string }).kind === 'not_found' ? notFound('agent', id) : e;
  });
  return {
    approved: decisions.filter((d) => d.action === 'approve').map((d) => d.updateId),
    denied: decisions.filter((d) => d.action === 'ignore').map((d) => d.updateId),
    ignored: decisions.filter((d) => d.action === 'ignore' && d.level === 'device').map((d) => d.updateId),
  };
}

/** a patch record in the seed's fields, each the value of its expression over the domain record */
const renderPatch = (fields: FieldMap) => (record: object) => ({
  ...Object.fromEntries(
    Object.entries(fields).map(([name, spec]) => {
      const v = valueOf(fields, name, record);
      if (spec.type === 'datetime') return [name, vsaDate(name, v as Date | null)];
      if (spec.type === 'boolean') return [name, Boolean(v)];
      return [name, v];
    }),
  ),
  Attributes: null,
});

/** hideDeniedPatches: true or false (any case), 1 or 0 */
function hideDenied(text: string | undefined): boolean {
  const t = (text ?? 'false').trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw invalid(`hideDeniedPatches must be true or false, got '${text ?? ''}'`, [
    { path: '/hideDeniedPatches', message: 'must be true or false' },
  ]);
}

/** the seed's agent types: 0 Windows, 4 Mac OS X, 5 Linux (Patchline's reading; the seed lists none) */
const AGENT_TYPE: Record<string, number> = { windows: 0, macos: 4, linux: 5 };

export function patchRoutes(app: FastifyInstance, deps: PatchDeps) {
  const { ctxOf, ok, listed, options } = deps;
  const done = (req: FastifyRequest, reply: FastifyReply) => ok(req, reply, true);

  app.put('/assetmgmt/patch/:agentId/scannow', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    await scanDevicesNow(ctx, [agentId(req)]);
    return done(req, reply);
  });

  app.put('/assetmgmt/patch/:agentId/schedule', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    const body = bodyOf(req);
    const opts = actionOptions(body);
    if (body.Recurrence === undefined || body.Recurrence === null) {
      // no recurrence: once, now (issue 16): the named patches are installed, or else the agent scans
      const updateIds = patchIds(body, false);
      if (updateIds.length) await installOnDevices(ctx, { deviceIds: [id], updateIds, options: opts });
      else await scanDevicesNow(ctx, [id]);
      return done(req, reply);
    }
    await scheduleDeviceScan(ctx, id, fromKaseya(body), opts);
    return done(req, reply);
  });

  app.get('/assetmgmt/patch/:agentId/status', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    options(req); // accepted by the seed; one record, so they are only checked
    const s = await seedNotFound('agent', id, () => devicePatchSummary(ctx, id));
    const c = s.counts;
    return ok(req, reply, {
      AgentType: AGENT_TYPE[s.device.os_family] ?? null,
      LastPatchScan: vsaDate('LastPatchScan', s.device.last_scan_at),
      ExecScriptTime: vsaDate('ExecScriptTime', s.lastInstallAt),
      RunCount: s.installJobs,
      MonthPeriod: 0,
      ExecPeriod: 0,
      RunAtTime: 0,
      NextPatchScan: s.nextScan || s.scanPending ? 1 : 0,
      NextRunTime: vsaDate('NextRunTime', s.nextInstall?.at),
      ScheduledScanScriptId: s.nextScan?.taskId ?? 0,
      ScheduledScanScriptSchedType: s.nextScan ? 1 : 0,
      ScanRunAtTime: 0,
      ScanNextRunTime: vsaDate('ScanNextRunTime', s.nextScan?.at),
      NewPatchAlert: 0,
      PatchFailedAlert: 0,
      InvalidCredentialAlert: 0,
      WINAUChangedAlert: 0,
      AlertEmail: null,
      SourceMachineGuid: null,
      LanCacheName: null,
      PreRebootScriptName: null,
      PostRebootScriptName: null,
      ScanResultsPending: String(s.scanPending),
      Reset: 0,
      RbWarn: null,
      RebootDay: null,
      RebootTime: null,
      NoRebootEmail: null,
      SourceType: 0,
      SourcePath: null,
      SourceLocal: null,
      DestUseAgentDrive: 0,
      UseInternetSrcFallback: 1,
      Attributes: {
        MissingPatches: c.missing ?? 0,
        ApprovedPatches: c.pending ?? 0,
        QueuedPatches: (c.queued ?? 0) + (c.installing ?? 0),
        FailedPatches: c.failed ?? 0,
        IgnoredPatches: c.ignored ?? 0,
        InstalledPatches: (c.installed ?? 0) + (c.reboot_required ?? 0),
        RebootPending: s.device.reboot_required || (c.reboot_required ?? 0) > 0,
        LastCheckInTime: vsaDate('LastCheckInTime', s.device.last_seen_at),
      },
    });
  });

  const missing = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    const hide = hideDenied((req.params as Params).hideDeniedPatches);
    const opts = options(req);
    const decisions = await decisionsOf(ctx, id);
    const fields = patchFields(decisions, 'installedAt');
    const q = toListQuery(opts, fields);
    // hideDeniedPatches leaves out what an ignore governs, at any level
    const filter = hide
      ? and(...(q.filter ? [q.filter] : []), not(oneOf('updateId', decisions.denied)))
      : q.filter;
    const r = await seedNotFound('agent', id, () => queryMissingUpdates(ctx, id, { ...q, filter }));
    return listed(
      req,
      reply,
      { records: r.records.map(renderPatch(fields)), total: r.total },
      'Patch',
      fields,
    );
  };
  app.get(
    '/assetmgmt/patch/:agentId/machineupdate/:hideDeniedPatches',
    { config: { scope: 'group' } },
    missing,
  );
  app.get('/assetmgmt/patch/:agentId/machineupdate', { config: { scope: 'group' } }, missing);

  app.get('/assetmgmt/patch/:agentId/history', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    const opts = options(req);
    const fields = patchFields(await decisionsOf(ctx, id), 'recordedAt');
    const r = await seedNotFound('agent', id, () => queryUpdateHistory(ctx, id, toListQuery(opts, fields)));
    return listed(
      req,
      reply,
      { records: r.records.map(renderPatch(fields)), total: r.total },
      'Patch',
      fields,
    );
  });

  app.put('/assetmgmt/patch/runnow', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const body = bodyOf(req);
    const deviceIds = agentIds(req, body);
    const updateIds = patchIds(body, false);
    const opts = actionOptions(body);
    const schedule = body.Recurrence === undefined || body.Recurrence === null ? undefined : fromKaseya(body);
    await installOnDevices(ctx, {
      deviceIds,
      ...(updateIds.length ? { updateIds } : {}),
      ...(schedule ? { schedule } : {}),
      options: opts,
    });
    return done(req, reply);
  });

  app.delete(
    '/assetmgmt/patch/:agentId/cancelschedule',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      await cancelDeviceInstalls(ctx, [agentId(req)]);
      return done(req, reply);
    },
  );

  app.delete('/assetmgmt/patch', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    await cancelDeviceInstalls(ctx, agentIds(req, bodyOf(req)));
    return done(req, reply);
  });

  app.put('/assetmgmt/patch/:agentId/setignore', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    await applyApproval(ctx, { deviceId: id }, patchIds(bodyOf(req), true), 'ignore');
    return done(req, reply);
  });

  app.delete(
    '/assetmgmt/patch/:agentId/:patchId/setignore',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = agentId(req);
      const text = (req.params as Params).patchId ?? '';
      if (!/^\d{1,15}$/.test(text) || Number(text) === 0) throw notFound('patch', text);
      await clearDeviceIgnore(ctx, id, [Number(text)]);
      return done(req, reply);
    },
  );
}
