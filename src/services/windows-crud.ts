import { seesOrganization } from '../core/access.ts';
import { conflict, forbidden, invalid, notFound, type FieldIssue } from '../core/errors.ts';
import { Issues } from '../core/policies/fields.ts';
import {
  checkWindowName,
  gzFormOf,
  parseWindowSettings,
  type GzFormWindowSettings,
  type MaintenanceWindowSettings,
} from '../core/windows/index.ts';
import type { Db } from '../store/db.ts';
import { isUniqueViolation } from '../store/paging.ts';
import { missingPolicies } from '../store/repos/policies-repo.ts';
import { missingGroups } from '../store/repos/tasks-repo.ts';
import {
  deleteWindowRow,
  getWindow as getWindowRow,
  insertWindow,
  listWindows as listWindowRows,
  replaceWindowAssignments,
  updateWindowRow,
  windowAssignments,
  type WindowRow,
} from '../store/repos/windows-repo.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';
import { firstActorOf } from '../store/repos/events-repo.ts';
import { visiblePolicy } from './policies.ts';
import { authorizeTargets, inTargetScope, windowTargets } from './targets.ts';

// Maintenance windows: named settings per organization, assigned to policies or groups.
//
// Stored settings have canonical schedules (core/windows/model.ts). The native API speaks them with each
// schedule as a GravityZone schedule object (`{format, value}`, core/windows/gz-form.ts), as it always
// has: input is read by the core's native reader (core/windows/parse.ts), output rendered by gzFormOf.

export interface WindowView {
  id: number;
  organizationId: number;
  name: string;
  /** the native form of the settings */
  settings: GzFormWindowSettings;
  assignments: { policies: number[]; groups: number[] };
  /** whether users other than its author may change it (GravityZone's allowChangeByOtherUsers) */
  allowChangeByOtherUsers: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface WindowInput {
  organizationId: number;
  name: string;
  settings: unknown;
  assignments?: { policies?: number[]; groups?: number[] };
  allowChangeByOtherUsers?: boolean;
}

/**
 * How a face's settings become the stored ones: the native reader by default; a dialect passes its own
 * (GravityZone's parameters, faces/gravityzone/window-settings.ts), which validates with the same core
 * rules (core/windows/read.ts, model.ts). Called after the authorization checks.
 */
export type SettingsReader = (settings: unknown) => MaintenanceWindowSettings;

/** the stored settings of a window row */
export const storedSettings = (row: Pick<WindowRow, 'settings'>): MaintenanceWindowSettings =>
  row.settings as unknown as MaintenanceWindowSettings;

async function view(db: Db, row: WindowRow): Promise<WindowView> {
  const a = (await windowAssignments(db, [row.id])).get(row.id)!;
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    settings: gzFormOf(storedSettings(row)),
    assignments: a,
    allowChangeByOtherUsers: row.allow_change_by_other_users,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The window if the actor sees its organization and everything it is assigned to, else not found. A
 * window assigned to nothing is the organization's (only an owner creates one).
 */
export async function visibleWindow(ctx: Context, id: number): Promise<WindowRow> {
  const db = ctx.store.db;
  const row = await getWindowRow(db, id);
  if (!row || !seesOrganization(ctx.access, row.organization_id)) throw notFound('maintenance window', id);
  if (!ctx.ownsOrganization(row.organization_id)) {
    const a = (await windowAssignments(db, [id])).get(id)!;
    await authorizeTargets(ctx, db, row.organization_id, windowTargets(a), {
      existing: 'maintenance window',
      id,
    });
  }
  return row;
}

/**
 * `allowChangeByOtherUsers` (GravityZone's parameter; the seed's description of it, "Indicates if the
 * target is a Customer company", is a copy error from another parameter, so its meaning is taken from
 * its name). Decision, one rule for every face: when a window's flag is false, only its creator and a
 * global administrator (the 'administer' privilege with a scope over every organization) may update,
 * delete, assign or unassign it; anyone else gets the domain "forbidden" error. The creator is not a
 * column: it is the actor of the window's `window.created` event in the event log (which nothing prunes,
 * so no migration was needed), compared as a user: a user is the creator whether it signed in or used
 * one of its API keys; a non-user actor (a system task) must be the same actor. A window without such an
 * event (none today) is not restricted. Windows created without the flag (the native API, whose wire
 * schema does not carry it) get true, i.e. today's behaviour: anyone who may manage policies there may
 * change them.
 */
async function checkMayChange(ctx: Context, row: WindowRow): Promise<void> {
  if (row.allow_change_by_other_users) return;
  if (ctx.can('administer') && ctx.access.all) return;
  const creator = await firstActorOf(ctx.store.db, 'maintenance_window', row.id, 'window.created');
  if (!creator) return;
  if (creator.actorType === ctx.actor.type && creator.actorId === ctx.actor.id) return;
  if (creator.userId !== null && creator.userId === ctx.actor.userId) return;
  throw forbidden(
    `maintenance window ${row.id} may be changed only by its creator: its allowChangeByOtherUsers is false`,
  );
}

function parseName(v: unknown): string {
  const issues = new Issues();
  const name = checkWindowName(v, 'name', issues);
  issues.throwIfAny('invalid maintenance window');
  return name as string;
}

/** assignments to policies and groups of the window's organization, each once */
async function checkAssignments(db: Db, orgId: number, a: { policies?: number[]; groups?: number[] }) {
  const policies = [...new Set(a.policies ?? [])];
  const groups = [...new Set(a.groups ?? [])];
  const issues: FieldIssue[] = [];
  const mp = await missingPolicies(db, orgId, policies);
  if (mp.length)
    issues.push({ path: 'assignments.policies', message: `not in organization ${orgId}: ${mp.join(', ')}` });
  const mg = await missingGroups(db, orgId, groups);
  if (mg.length)
    issues.push({ path: 'assignments.groups', message: `not in organization ${orgId}: ${mg.join(', ')}` });
  if (issues.length)
    throw invalid(`invalid assignments: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  return { policies, groups };
}

const nameTaken = (name: string) =>
  conflict(`a maintenance window named '${name}' already exists in this organization; choose another name`);

const asJson = (s: MaintenanceWindowSettings) => s as unknown as Record<string, unknown>;

export async function createWindow(
  ctx: Context,
  input: WindowInput,
  read: SettingsReader = parseWindowSettings,
): Promise<WindowView> {
  ctx.authorize('manage_policies');
  ctx.seeOrganization(input.organizationId);
  if (!ctx.ownsOrganization(input.organizationId))
    throw forbidden(`your scope covers only some groups of organization ${input.organizationId}`);
  const name = parseName(input.name);
  const settings = read(input.settings);
  try {
    return await ctx.store.transaction(async (tx) => {
      const a = await checkAssignments(tx, input.organizationId, input.assignments ?? {});
      const row = await insertWindow(tx, {
        organization_id: input.organizationId,
        name,
        settings: asJson(settings),
        allow_change_by_other_users: input.allowChangeByOtherUsers ?? true,
      });
      await replaceWindowAssignments(tx, row.id, a);
      await record(ctx, tx, {
        kind: 'window.created',
        organizationId: row.organization_id,
        subjectType: 'maintenance_window',
        subjectId: row.id,
        data: { name, assignments: a },
      });
      return view(tx, row);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(name);
    throw e;
  }
}

export async function listWindows(ctx: Context, f: { organizationId?: number } = {}) {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const db = ctx.store.db;
  const all = await listWindowRows(db, ctx.access, f);
  const assigned = await windowAssignments(
    db,
    all.map((r) => r.id),
  );
  const rows = await inTargetScope(ctx, db, all, (r) => ({
    orgId: r.organization_id,
    targets: windowTargets(assigned.get(r.id)!),
  }));
  const out = [];
  for (const r of rows) out.push(await view(db, r));
  return out;
}

export async function getWindow(ctx: Context, id: number): Promise<WindowView> {
  ctx.authorize('read');
  return view(ctx.store.db, await visibleWindow(ctx, id));
}

/** changes the name, the settings (as a whole) or the assignments (as a whole) */
export async function updateWindow(
  ctx: Context,
  id: number,
  patch: {
    name?: string;
    settings?: unknown;
    assignments?: { policies?: number[]; groups?: number[] };
    allowChangeByOtherUsers?: boolean;
  },
  read: SettingsReader = parseWindowSettings,
): Promise<WindowView> {
  ctx.authorize('manage_policies');
  const before = await visibleWindow(ctx, id);
  await checkMayChange(ctx, before);
  const name = patch.name === undefined ? undefined : parseName(patch.name);
  const settings = patch.settings === undefined ? undefined : read(patch.settings);
  try {
    return await ctx.store.transaction(async (tx) => {
      const row = await updateWindowRow(tx, id, {
        ...(name !== undefined ? { name } : {}),
        ...(settings ? { settings: asJson(settings) } : {}),
        ...(patch.allowChangeByOtherUsers !== undefined
          ? { allow_change_by_other_users: patch.allowChangeByOtherUsers }
          : {}),
      });
      if (patch.assignments) {
        const a = await checkAssignments(tx, row.organization_id, patch.assignments);
        // re-assigning: the new assignments must lie inside the actor's scope too
        await authorizeTargets(ctx, tx, row.organization_id, windowTargets(a), 'new');
        await replaceWindowAssignments(tx, id, a);
      }
      await record(ctx, tx, {
        kind: 'window.updated',
        organizationId: row.organization_id,
        subjectType: 'maintenance_window',
        subjectId: id,
        data: { name: row.name, previousName: before.name, changed: Object.keys(patch) },
      });
      return view(tx, row);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(name ?? before.name);
    throw e;
  }
}

export async function deleteWindow(ctx: Context, id: number): Promise<void> {
  ctx.authorize('manage_policies');
  const row = await visibleWindow(ctx, id);
  await checkMayChange(ctx, row);
  await ctx.store.transaction(async (tx) => {
    await deleteWindowRow(tx, id);
    await record(ctx, tx, {
      kind: 'window.deleted',
      organizationId: row.organization_id,
      subjectType: 'maintenance_window',
      subjectId: id,
      data: { name: row.name },
    });
  });
}

/**
 * Adds windows to a policy's assignments or takes them off (GravityZone's assign / unassign methods).
 * Every window and the policy must be visible and of one organization, else nothing changes; windows
 * already (or not) assigned are left as they are.
 */
export async function assignWindowsToPolicy(
  ctx: Context,
  policyId: number,
  windowIds: readonly number[],
  assign: boolean,
): Promise<void> {
  ctx.authorize('manage_policies');
  const policy = await visiblePolicy(ctx, policyId);
  const rows: WindowRow[] = [];
  for (const id of new Set(windowIds)) {
    const row = await visibleWindow(ctx, id);
    if (row.organization_id !== policy.organization_id)
      throw invalid(`maintenance window ${id} is not in the organization of policy ${policyId}`);
    await checkMayChange(ctx, row);
    rows.push(row);
  }
  const db = ctx.store.db;
  const current = await windowAssignments(
    db,
    rows.map((r) => r.id),
  );
  await ctx.store.transaction(async (tx) => {
    for (const row of rows) {
      const a = current.get(row.id)!;
      const has = a.policies.includes(policyId);
      if (has === assign) continue;
      const policies = assign ? [...a.policies, policyId] : a.policies.filter((p) => p !== policyId);
      await replaceWindowAssignments(tx, row.id, { policies, groups: a.groups });
      await record(ctx, tx, {
        kind: 'window.updated',
        organizationId: row.organization_id,
        subjectType: 'maintenance_window',
        subjectId: row.id,
        data: {
          name: row.name,
          changed: ['assignments'],
          [assign ? 'assignedPolicy' : 'unassignedPolicy']: policyId,
        },
      });
    }
  });
}
