import type { AuditKind } from '../core/audit/model.ts';
import { seesOrganization } from '../core/access.ts';
import { isAbsolute } from 'node:path';
import { invalid, isDomainError, notFound, type FieldIssue } from '../core/errors.ts';
import { parseSchedule, type Schedule } from '../core/schedule/model.ts';
import { firstDue } from '../core/schedule/occurrences.ts';
import { effectiveZone } from '../core/schedule/zones.ts';
import {
  cancelInstance as cancelRow,
  deleteSchedule,
  getInstance as getInstanceRow,
  getTask as getTaskRow,
  insertInstance,
  insertSchedule,
  insertTask,
  instanceDevices,
  listFinishedInstances as listFinishedRows,
  listOpenInstances,
  listTasks as listTaskRows,
  missingDevices,
  missingGroups,
  requestStop,
  scheduleNextDue,
  setTaskSchedule,
  updateTaskRow,
  latestInstanceOf,
  type InstanceRow,
  type TargetSpec,
  type TaskRow,
  setTaskCredentials,
} from '../store/repos/tasks-repo.ts';
import type { Db } from '../store/db.ts';
import { organizationZone } from '../store/repos/organizations-repo.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';
import { record } from './events.ts';
import { IMPORT_FORMATS } from './importers.ts';
import { parsePolicyBody, serverZone } from './policies.ts';
import { authorizeTargets, inTargetScope, taskTargets } from './targets.ts';

// Tasks and task instances: run now, schedule, stop, cancel, watch. The engine (src/engine) does the work.

export const TASK_KINDS = ['scan', 'install', 'stage', 'import', 'reboot', 'distribute'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
import type { InstanceStatus } from '../core/task-instances.ts';
import type { ProductRef } from '../core/advisories/exclusions.ts';
export { INSTANCE_STATUSES, type InstanceStatus } from '../core/task-instances.ts';

/**
 * Parameters every task kind understands. `target` selects the devices (default: the whole organization);
 * `catchUp` fires occurrences missed while no engine ran; the rest is passed to the jobs as their payload.
 */
export interface TaskParameters {
  readonly target: TargetSpec;
  readonly catchUp: boolean;
  readonly [key: string]: unknown;
}

export interface TaskInput {
  /** null: a server-wide task, only staging updates into the server's package cache (an actor over every organization) */
  organizationId: number | null;
  kind: string;
  name?: string;
  parameters?: unknown;
  /** the canonical schedule model (see core/schedule/model.ts); absent = run only when asked */
  schedule?: unknown;
}

export interface TaskView {
  id: number;
  organizationId: number | null;
  kind: string;
  name: string;
  parameters: Record<string, unknown>;
  scheduleId: number | null;
  nextDueAt: Date | null;
  enabled: boolean;
  createdBy: string;
  createdAt: Date;
}

export interface InstanceView {
  id: number;
  taskId: number | null;
  organizationId: number | null;
  kind: string;
  occurrenceAt: Date | null;
  status: InstanceStatus;
  progress: number;
  outputs: Record<string, unknown>;
  error: string | null;
  attempts: number;
  leaseOwner: string | null;
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface DeviceResultView {
  deviceId: number;
  deviceName: string;
  status: string;
  result: Record<string, unknown>;
  job: { id: number; kind: string; status: string; result: unknown } | null;
  updatedAt: Date;
}

export const instanceView = (r: InstanceRow): InstanceView => ({
  id: r.id,
  taskId: r.task_id,
  organizationId: r.organization_id,
  kind: r.kind,
  occurrenceAt: r.occurrence_at,
  status: r.status as InstanceStatus,
  progress: r.progress,
  outputs: r.outputs,
  error: r.error,
  attempts: r.attempts,
  leaseOwner: r.lease_owner,
  createdBy: r.created_by,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const taskView = (r: TaskRow, nextDueAt: Date | null): TaskView => ({
  id: r.id,
  organizationId: r.organization_id,
  kind: r.kind,
  name: r.name,
  parameters: r.parameters,
  scheduleId: r.schedule_id,
  nextDueAt,
  enabled: r.enabled,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

const isIdList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && (x as number) > 0);

/** validates a task's kind and parameters; throws invalid with one issue per problem */
export function parseTaskParameters(
  kind: unknown,
  raw: unknown,
): { kind: TaskKind; parameters: TaskParameters } {
  const issues: FieldIssue[] = [];
  if (typeof kind !== 'string' || !(TASK_KINDS as readonly string[]).includes(kind))
    issues.push({
      path: '/kind',
      message: `must be one of ${TASK_KINDS.join(', ')}; got ${JSON.stringify(kind)}`,
    });
  const p = raw ?? {};
  if (typeof p !== 'object' || Array.isArray(p)) {
    issues.push({ path: '/parameters', message: 'must be an object' });
    throw invalid('the task is not valid', issues);
  }
  const o = p as Record<string, unknown>;
  let target: TargetSpec = { kind: 'organization' };
  const t = o.target;
  if (t !== undefined) {
    const tk = (t as { kind?: unknown } | null)?.kind;
    if (tk === 'organization') target = { kind: 'organization' };
    else if (tk === 'devices' || tk === 'groups') {
      const ids = (t as { ids?: unknown }).ids;
      if (!isIdList(ids) || ids.length === 0)
        issues.push({
          path: '/parameters/target/ids',
          message: `must be a non-empty list of positive integer ${tk} ids`,
        });
      else target = { kind: tk, ids: [...new Set(ids)] };
    } else
      issues.push({
        path: '/parameters/target/kind',
        message: `must be 'devices', 'groups' or 'organization'; got ${JSON.stringify(tk)}`,
      });
  }
  if (o.catchUp !== undefined && typeof o.catchUp !== 'boolean')
    issues.push({ path: '/parameters/catchUp', message: 'must be true or false' });
  if (kind === 'import' || kind === 'distribute') issues.push(...KIND_PARAMETERS[kind](o));
  if (kind === 'stage')
    for (const k of ['updateIds', 'bulletinIds'] as const)
      if (o[k] !== undefined && (!isIdList(o[k]) || (o[k] as unknown[]).length === 0))
        issues.push({
          path: `/parameters/${k}`,
          message: 'must be a non-empty list of positive integer ids',
        });
  const [first] = issues;
  if (first)
    throw invalid(issues.length === 1 ? `${first.path} ${first.message}` : 'the task is not valid', issues);
  return { kind: kind as TaskKind, parameters: { ...o, target, catchUp: o.catchUp === true } };
}

const MAX_FILE_NAME = 255;

/** parameters other than target/catchUp a kind takes; the device kinds pass any to their jobs */
function unknownParameters(o: Record<string, unknown>, kind: string, known: readonly string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const k of Object.keys(o)) {
    if (k === 'catchUp' || known.includes(k)) continue;
    issues.push({
      path: `/parameters/${k}`,
      message:
        k === 'target'
          ? `${kind} tasks do not target devices; remove target`
          : `unknown parameter for ${kind} tasks; allowed: ${known.join(', ')}, catchUp`,
    });
  }
  return issues;
}

/** the most products an import task leaves out */
const MAX_EXCLUDED_PRODUCTS = 1000;

const KIND_PARAMETERS: Record<'import' | 'distribute', (o: Record<string, unknown>) => FieldIssue[]> = {
  /** `{format, path | url, fileName?}`: an advisory file on the server or at an http(s) URL */
  import(o) {
    const issues = unknownParameters(o, 'import', ['format', 'path', 'url', 'fileName', 'excludeProducts']);
    if (o.excludeProducts !== undefined) {
      const ok =
        Array.isArray(o.excludeProducts) &&
        o.excludeProducts.length <= MAX_EXCLUDED_PRODUCTS &&
        o.excludeProducts.every(
          (p: unknown) =>
            typeof p === 'object' &&
            p !== null &&
            Object.keys(p).sort().join() === 'product,vendor' &&
            [(p as ProductRef).vendor, (p as ProductRef).product].every(
              (v) => typeof v === 'string' && v.trim() !== '' && v.length <= 256,
            ),
        );
      if (!ok)
        issues.push({
          path: '/parameters/excludeProducts',
          message: `must list at most ${MAX_EXCLUDED_PRODUCTS} {vendor, product} pairs of non-empty names`,
        });
      else if (o.format !== 'osv' && o.format !== 'debian-tracker' && o.format !== 'csaf')
        issues.push({
          path: '/parameters/excludeProducts',
          message: 'applies to advisory formats only (osv, debian-tracker, csaf)',
        });
    }
    if (!(IMPORT_FORMATS as readonly unknown[]).includes(o.format))
      issues.push({
        path: '/parameters/format',
        message: `must be one of ${IMPORT_FORMATS.join(', ')}; got ${JSON.stringify(o.format)}`,
      });
    if ((o.path === undefined) === (o.url === undefined))
      issues.push({
        path: '/parameters',
        message: `needs exactly one of path (a file on the server) and url; got ${o.path === undefined ? 'neither' : 'both'}`,
      });
    if (o.path !== undefined) {
      if (typeof o.path !== 'string' || o.path.trim() === '')
        issues.push({ path: '/parameters/path', message: 'must be a non-empty string' });
      else if (o.path.includes('\0'))
        issues.push({ path: '/parameters/path', message: 'must not contain a NUL character' });
      else if (!isAbsolute(o.path))
        issues.push({
          path: '/parameters/path',
          message: `must be an absolute path on the server; got ${JSON.stringify(o.path)}`,
        });
    }
    if (o.url !== undefined) {
      let url: URL | undefined;
      try {
        url = typeof o.url === 'string' ? new URL(o.url) : undefined;
      } catch {
        url = undefined;
      }
      if (!url)
        issues.push({
          path: '/parameters/url',
          message: `must be an absolute URL; got ${JSON.stringify(o.url)}`,
        });
      else if (url.protocol !== 'http:' && url.protocol !== 'https:')
        issues.push({
          path: '/parameters/url',
          message: `must be an http or https URL; got ${url.protocol}`,
        });
    }
    if (
      o.fileName !== undefined &&
      (typeof o.fileName !== 'string' || o.fileName.trim() === '' || o.fileName.length > MAX_FILE_NAME)
    )
      issues.push({
        path: '/parameters/fileName',
        message: `must be a non-empty string of at most ${MAX_FILE_NAME} characters`,
      });
    return issues;
  },
  /** `{policy}`: a native policy body (as createPolicy takes it) created in the task's organization */
  distribute(o) {
    const issues = unknownParameters(o, 'distribute', ['policy']);
    const p = o.policy;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) {
      issues.push({
        path: '/parameters/policy',
        message: 'must be a policy object (the native policy body)',
      });
      return issues;
    }
    const body = p as Record<string, unknown>;
    if (body.organizationId !== undefined)
      issues.push({
        path: '/parameters/policy/organizationId',
        message: "is the task's organization; remove it from the policy",
      });
    try {
      parsePolicyBody(body);
    } catch (e) {
      if (!isDomainError(e)) throw e;
      for (const i of e.issues)
        issues.push({
          path: `/parameters/policy${i.path.startsWith('/') ? i.path : `/${i.path.replace(/\./g, '/')}`}`,
          message: i.message,
        });
    }
    return issues;
  },
};

async function checkTarget(db: Db, orgId: number, t: TargetSpec) {
  if (t.kind === 'organization') return;
  const missing =
    t.kind === 'devices' ? await missingDevices(db, orgId, t.ids) : await missingGroups(db, orgId, t.ids);
  if (missing.length)
    throw invalid(`${t.kind} ${missing.join(', ')} not found in organization ${orgId}`, [
      { path: '/parameters/target/ids', message: `not in organization ${orgId}: ${missing.join(', ')}` },
    ]);
}

/** a task the actor sees: its organization in scope, and everything it targets (services/targets.ts) */
async function visibleTask(ctx: Context, id: number): Promise<TaskRow> {
  const t = await getTaskRow(ctx.store.db, id);
  if (!t) throw notFound('task', id);
  if (t.organization_id === null ? !ctx.access.all : !seesOrganization(ctx.access, t.organization_id))
    throw notFound('task', id);
  await authorizeTargets(ctx, ctx.store.db, t.organization_id, taskTargets(t.parameters), {
    existing: 'task',
    id,
  });
  return t;
}

/** an instance the actor sees: its organization in scope, and everything its own copy of the target names */
async function visibleInstance(ctx: Context, id: number): Promise<InstanceRow> {
  const r = await getInstanceRow(ctx.store.db, id);
  if (!r) throw notFound('task instance', id);
  if (r.organization_id === null ? !ctx.access.all : !seesOrganization(ctx.access, r.organization_id))
    throw notFound('task instance', id);
  await authorizeTargets(ctx, ctx.store.db, r.organization_id, taskTargets(r.parameters), {
    existing: 'task instance',
    id,
  });
  return r;
}

/** creates a task, scheduled when `schedule` is given */
export async function createTask(ctx: Context, input: TaskInput): Promise<TaskView> {
  const orgId = input.organizationId;
  if (orgId !== null) ctx.seeOrganization(orgId);
  ctx.authorize('manage_policies');
  const { kind, parameters } = parseTaskParameters(input.kind, input.parameters);
  if (orgId === null) {
    ctx.authorizeGlobal('import_catalog');
    if (kind !== 'stage' || (parameters.updateIds === undefined && parameters.bulletinIds === undefined))
      throw invalid('only a staging task of updates or bulletins belongs to no organization', [
        { path: '/organizationId', message: 'is required' },
      ]);
  }
  if (kind === 'stage' && (parameters.updateIds !== undefined || parameters.bulletinIds !== undefined))
    ctx.authorize('import_catalog'); // the server's own package cache
  if (kind === 'import') {
    ctx.authorize('import_catalog');
    // reading a file on the server is an administrator's act: anyone else imports from a URL
    if (parameters.path !== undefined) ctx.authorize('administer');
  }
  // an actor scoped to some groups of the organization may target only those groups and their devices
  if (orgId !== null) await authorizeTargets(ctx, ctx.store.db, orgId, taskTargets(parameters), 'new');
  const schedule = input.schedule === undefined ? undefined : parseSchedule(input.schedule);
  const name = input.name?.trim() || `${kind} task`;
  return ctx.store.transaction(async (tx) => {
    if (orgId !== null) await checkTarget(tx, orgId, parameters.target);
    const task = await insertTask(tx, {
      organization_id: orgId,
      kind,
      name,
      parameters,
      created_by: ctx.actor.name,
    });
    let next: Date | null = null;
    if (schedule) ({ task: task.schedule_id, next } = await attachSchedule(ctx, tx, task, schedule));
    await record(ctx, tx, {
      kind: 'task.created',
      organizationId: orgId,
      subjectType: 'task',
      subjectId: task.id,
      data: { kind, name, scheduled: !!schedule },
    });
    return taskView(task, next);
  });
}

async function attachSchedule(ctx: Context, tx: Db, task: TaskRow, s: Schedule) {
  const organization =
    task.organization_id === null ? null : await organizationZone(tx, task.organization_id);
  const next = firstDue(s, ctx.now(), effectiveZone({ organization, server: serverZone() }));
  const row = await insertSchedule(tx, {
    organization_id: task.organization_id,
    owner_type: 'task',
    owner_id: task.id,
    definition: s,
    next_due_at: next,
  });
  await setTaskSchedule(tx, task.id, row.id);
  task.schedule_id = row.id;
  return { task: row.id, next };
}

export async function getTask(ctx: Context, id: number): Promise<TaskView> {
  ctx.authorize('read');
  const t = await visibleTask(ctx, id);
  const next = t.schedule_id ? await scheduleNextDue(ctx.store.db, t.schedule_id) : null;
  return taskView(t, next);
}

/** replaces a task's schedule; null removes it (the task then runs only when asked) */
export async function scheduleTask(ctx: Context, id: number, schedule: unknown | null): Promise<TaskView> {
  ctx.authorize('manage_policies');
  const t = await visibleTask(ctx, id);
  const s = schedule === null ? null : parseSchedule(schedule);
  return ctx.store.transaction(async (tx) => {
    if (t.schedule_id) {
      await setTaskSchedule(tx, t.id, null);
      await deleteSchedule(tx, t.schedule_id);
      t.schedule_id = null;
    }
    let next: Date | null = null;
    if (s) ({ next } = await attachSchedule(ctx, tx, t, s));
    await record(ctx, tx, {
      kind: 'task.scheduled',
      organizationId: t.organization_id,
      subjectType: 'task',
      subjectId: t.id,
      data: { schedule: s, nextDueAt: next },
    });
    return taskView(t, next);
  });
}

/** starts an instance of an existing task now */
export async function runTask(ctx: Context, taskId: number): Promise<InstanceView> {
  ctx.authorize('manage_policies');
  const t = await visibleTask(ctx, taskId);
  // a script policy's task makes agents run code (services/scripts.ts)
  if (t.kind === 'script') ctx.authorize('run_scripts');
  return ctx.store.transaction(async (tx) => {
    const r = await insertInstance(tx, {
      task_id: t.id,
      organization_id: t.organization_id,
      kind: t.kind,
      parameters: t.parameters,
      created_by: ctx.actor.name,
    });
    await record(ctx, tx, {
      kind: 'task_instance.created',
      organizationId: t.organization_id,
      subjectType: 'task_instance',
      subjectId: r.id,
      data: { taskId: t.id, kind: t.kind },
    });
    return instanceView(r);
  });
}

/** creates an unscheduled task and starts its first instance (scan now, install now) */
export async function runNow(ctx: Context, input: Omit<TaskInput, 'schedule'>): Promise<InstanceView> {
  const task = await createTask(ctx, { ...input, schedule: undefined });
  return runTask(ctx, task.id);
}

/** asks the engine to stop a running instance; one not yet started fails at once */
export async function stopInstance(ctx: Context, id: number): Promise<InstanceView> {
  ctx.authorize('manage_policies');
  const before = await visibleInstance(ctx, id);
  return ctx.store.transaction(async (tx) => {
    const r = await requestStop(tx, id);
    if (!r)
      throw invalid(
        `task instance ${id} is ${before.status}; only NotStarted or Started instances can be stopped`,
      );
    await record(ctx, tx, {
      kind: 'task_instance.stop_requested',
      organizationId: r.organization_id,
      subjectType: 'task_instance',
      subjectId: id,
      data: { status: r.status },
    });
    return instanceView(r);
  });
}

/** ends an instance now (Failed, 'cancelled') and cancels its jobs no agent has picked up yet */
export async function cancelInstance(ctx: Context, id: number): Promise<InstanceView> {
  ctx.authorize('manage_policies');
  const before = await visibleInstance(ctx, id);
  return ctx.store.transaction(async (tx) => {
    const r = await cancelRow(tx, id, 'cancelled');
    if (!r) throw invalid(`task instance ${id} is ${before.status}; a finished instance cannot be cancelled`);
    await record(ctx, tx, {
      kind: 'task_instance.cancelled',
      organizationId: r.instance.organization_id,
      subjectType: 'task_instance',
      subjectId: id,
      data: { cancelledJobs: r.cancelledJobs },
    });
    return instanceView(r.instance);
  });
}

/** instances not finished yet (NotStarted, Started, StopRequested) in the organizations the actor sees */
export async function listRunningInstances(
  ctx: Context,
  f: { organizationId?: number } = {},
): Promise<InstanceView[]> {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const rows = await listOpenInstances(ctx.store.db, ctx.access, f);
  const inScope = await inTargetScope(ctx, ctx.store.db, rows, (r) => ({
    orgId: r.organization_id,
    targets: taskTargets(r.parameters),
  }));
  return inScope.map(instanceView);
}

export const FINISHED_LIMIT = { default: 50, max: 500 };

/**
 * Finished instances (Completed, Failed) in the organizations the actor sees, the newest first, at most
 * `limit` of them (an instance whose targets the actor's groups do not cover is left out after the limit)
 */
export async function listFinishedInstances(
  ctx: Context,
  f: { organizationId?: number; taskId?: number; limit?: number } = {},
): Promise<InstanceView[]> {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const limit = f.limit ?? FINISHED_LIMIT.default;
  if (!Number.isInteger(limit) || limit < 1 || limit > FINISHED_LIMIT.max)
    throw invalid(`limit must be an integer from 1 to ${FINISHED_LIMIT.max}`, [
      { path: '/limit', message: `must be from 1 to ${FINISHED_LIMIT.max}` },
    ]);
  const rows = await listFinishedRows(ctx.store.db, ctx.access, f, limit);
  const inScope = await inTargetScope(ctx, ctx.store.db, rows, (r) => ({
    orgId: r.organization_id,
    targets: taskTargets(r.parameters),
  }));
  return inScope.map(instanceView);
}

/** tasks in the caller's scope, with when each fires next */
export async function listTasks(ctx: Context, f: { organizationId?: number; kind?: string } = {}) {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const all = await listTaskRows(ctx.store.db, ctx.access, f);
  const rows = await inTargetScope(ctx, ctx.store.db, all, (r) => ({
    orgId: r.organization_id,
    targets: taskTargets(r.parameters),
  }));
  return rows.map((r) => ({
    id: r.id,
    organizationId: r.organization_id,
    kind: r.kind,
    name: r.name,
    parameters: r.parameters,
    scheduleId: r.schedule_id,
    nextDueAt: r.next_due_at,
    enabled: r.enabled,
    createdBy: r.created_by,
    createdAt: r.created_at,
  }));
}

/** an instance with its per-device results */
export async function getInstance(
  ctx: Context,
  id: number,
): Promise<InstanceView & { devices: DeviceResultView[] }> {
  ctx.authorize('read');
  const r = await visibleInstance(ctx, id);
  // defence in depth: a device moved out of the actor's groups since keeps its row; it is not shown
  const owned = r.organization_id === null ? ctx.access.all : ctx.ownsOrganization(r.organization_id);
  const devices = (await instanceDevices(ctx.store.db, id)).filter(
    (d) => owned || ctx.seesGroup(d.device_organization_id, d.device_group_id),
  );
  return {
    ...instanceView(r),
    devices: devices.map((d) => ({
      deviceId: d.device_id,
      deviceName: d.device_name,
      status: d.status,
      result: d.result,
      job:
        d.job_id === null
          ? null
          : {
              id: d.job_id,
              kind: d.job_kind as string,
              status: d.job_status as string,
              result: d.job_result,
            },
      updatedAt: d.updated_at,
    })),
  };
}

/**
 * Scan now / install now on one device (the device page's buttons): a one-device task and its first
 * instance. It acts on a device, so it needs manage_devices and the device in scope (not found otherwise),
 * and a user scoped to the device's group may do it. An install takes the device's approved updates
 * (only `updateIds` among them when given) when the agent picks the job up.
 */
export async function runOnDevice(
  ctx: Context,
  deviceId: number,
  kind: 'scan' | 'install',
  options: { updateIds?: number[]; audit?: AuditKind } = {},
): Promise<InstanceView> {
  const device = await visibleDevice(ctx, deviceId);
  ctx.authorize('manage_devices');
  const parameters: TaskParameters = {
    target: { kind: 'devices', ids: [device.id] },
    catchUp: false,
    ...(kind === 'install' && options.updateIds?.length
      ? { updateIds: [...new Set(options.updateIds)] }
      : {}),
    // a scan that also sends an audit of the machine (services/audits.ts)
    ...(kind === 'scan' && options.audit ? { audit: options.audit } : {}),
  };
  return ctx.store.transaction(async (tx) => {
    const task = await insertTask(tx, {
      organization_id: device.organization_id,
      kind,
      name: `${kind} now: ${device.name}`,
      parameters,
      created_by: ctx.actor.name,
    });
    const r = await insertInstance(tx, {
      task_id: task.id,
      organization_id: device.organization_id,
      kind,
      parameters,
      created_by: ctx.actor.name,
    });
    await record(ctx, tx, [
      {
        kind: 'task.created',
        organizationId: device.organization_id,
        subjectType: 'task',
        subjectId: task.id,
        deviceId: device.id,
        data: { kind, name: task.name, scheduled: false },
      },
      {
        kind: 'task_instance.created',
        organizationId: device.organization_id,
        subjectType: 'task_instance',
        subjectId: r.id,
        deviceId: device.id,
        data: { taskId: task.id, kind, ...(parameters.updateIds ? { updateIds: parameters.updateIds } : {}) },
      },
    ]);
    return instanceView(r);
  });
}

/**
 * Renames a task or changes its parameters (those given replace the task's own; the kind stays). A
 * policy's install task follows its policy and is not edited here. Instances already made keep their copy.
 */
export async function editTask(
  ctx: Context,
  id: number,
  patch: { name?: string; parameters?: Record<string, unknown> },
): Promise<TaskView> {
  ctx.authorize('manage_policies');
  const t = await visibleTask(ctx, id);
  if (typeof t.parameters.policyId === 'number')
    throw invalid(
      `task ${id} is the install task of policy ${t.parameters.policyId}: change the policy instead`,
    );
  // import and distribute tasks target no devices: the organization-wide target stored with them is not theirs
  const { target, ...own } = t.parameters;
  const merged = {
    ...own,
    ...(t.kind === 'import' || t.kind === 'distribute' ? {} : { target }),
    ...(patch.parameters ?? {}),
  };
  const { parameters } = parseTaskParameters(t.kind, merged);
  if (t.organization_id !== null)
    await authorizeTargets(ctx, ctx.store.db, t.organization_id, taskTargets(parameters), 'new');
  const name = patch.name?.trim() || t.name;
  return ctx.store.transaction(async (tx) => {
    if (t.organization_id !== null) await checkTarget(tx, t.organization_id, parameters.target);
    const row = await updateTaskRow(tx, id, { name, parameters });
    await record(ctx, tx, {
      kind: 'task.updated',
      organizationId: t.organization_id,
      subjectType: 'task',
      subjectId: id,
      data: { name, parameters: Object.keys(patch.parameters ?? {}) },
    });
    return taskView(row, t.schedule_id ? await scheduleNextDue(tx, t.schedule_id) : null);
  });
}

/** refuses credentials HTTP Basic cannot carry; a face may check them before it changes anything */
export function checkImportCredentials(cred: { userName: string; password: string }): void {
  // RFC 7617: no colon in the user name; no control characters in either
  const control = [...(cred.userName + cred.password)].some((c) => c.charCodeAt(0) < 32 || c === '\x7f');
  if (!cred.userName || cred.userName.includes(':') || control)
    throw invalid(
      'the user name must be non-empty without a colon, and neither may hold control characters',
      [{ path: '/userName', message: 'not usable for HTTP Basic' }],
    );
}

/**
 * Sets (or with null removes) the user name and password an import task fetches its URL with, as HTTP
 * Basic (engine/import.ts). Kept apart from the parameters and never shown: the event says only that
 * credentials were set or removed.
 */
export async function setImportCredentials(
  ctx: Context,
  id: number,
  cred: { userName: string; password: string } | null,
): Promise<void> {
  ctx.authorize('manage_policies');
  ctx.authorize('import_catalog');
  const t = await visibleTask(ctx, id);
  if (t.kind !== 'import') throw invalid(`task ${id} is a ${t.kind} task: only an import task fetches a URL`);
  if (cred) {
    if (typeof t.parameters.url !== 'string')
      throw invalid(`task ${id} reads a file on the server: credentials are for a URL`);
    // HTTP Basic cannot carry a colon in the user name (RFC 7617) nor control characters in either
    checkImportCredentials(cred);
  }
  await ctx.store.transaction(async (tx) => {
    await setTaskCredentials(tx, id, cred);
    await record(ctx, tx, {
      kind: 'task.updated',
      organizationId: t.organization_id,
      subjectType: 'task',
      subjectId: id,
      data: { credentials: cred ? 'set' : 'removed' },
    });
  });
}

/** the newest instance of a task the actor sees, finished or not; null when it never ran */
export async function latestInstance(ctx: Context, taskId: number): Promise<InstanceView | null> {
  ctx.authorize('read');
  await visibleTask(ctx, taskId);
  const r = await latestInstanceOf(ctx.store.db, taskId);
  return r ? instanceView(r) : null;
}
