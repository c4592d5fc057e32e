import { ancestorsOf, seesOrganization } from '../core/access.ts';
import { conflict, forbidden, invalid, isDomainError, notFound, type FieldIssue } from '../core/errors.ts';
import { fromGzOldScheduler, fromGzScheduler } from '../core/schedule/gravityzone.ts';
import { isWithinWindow, occurrencesBetween, windowAt } from '../core/schedule/occurrences.ts';
import {
  checkWindowName,
  installSchedule,
  parseGzWindowSettings,
  type MaintenanceWindowSettings,
  type PatchClass,
  type WindowSchedule,
} from '../core/windows/index.ts';
import { Issues } from '../core/policies/fields.ts';
import type { Db } from '../store/db.ts';
import { isUniqueViolation } from '../store/paging.ts';
import { groupTree } from '../store/repos/groups.ts';
import { getOrganization } from '../store/repos/organizations.ts';
import {
  deleteWindowRow,
  getWindow as getWindowRow,
  insertWindow,
  listWindows as listWindowRows,
  missingPolicies,
  replaceWindowAssignments,
  updateWindowRow,
  windowAssignments,
  windowsAssignedTo,
  type WindowRow,
} from '../store/repos/policies.ts';
import { missingGroups } from '../store/repos/tasks.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';
import { serverZone } from './policies.ts';

// Maintenance windows: named settings per organization, assigned to policies or groups, gating installs.
//
// The native API takes the settings in Patchline's own shape (MaintenanceWindowSettings as JSON, the same
// shape a GET returns). Every rule is the core window parser's: the native shape is translated
// mechanically into the parser's input, and the parser's field paths and messages are translated back, so
// a rule lives once (core/windows) and each error names the native field.

export interface WindowView {
  id: number;
  organizationId: number;
  name: string;
  settings: MaintenanceWindowSettings;
  assignments: { policies: number[]; groups: number[] };
  createdAt: Date;
  updatedAt: Date;
}

export interface WindowInput {
  organizationId: number;
  name: string;
  settings: unknown;
  assignments?: { policies?: number[]; groups?: number[] };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- native shape → the parser's input -----------------------------------------------------------------

const SCHEDULE_KEYS: Record<string, string> = {
  'gravityzone-scheduler': 'scheduler',
  'gravityzone-old-scheduler': 'oldScheduler',
};
const POSTPONE_MODES: Record<string, number> = {
  'user-may-postpone': 0,
  'within-interval': 1,
  'automatic-after': 2,
};
const OS_CODES: Record<string, number> = { windows: 1, linux: 2, macos: 3 };

function unknownKeys(o: Obj, allowed: string[], path: string, issues: FieldIssue[]) {
  for (const k of Object.keys(o))
    if (!allowed.includes(k))
      issues.push({ path: `${path}.${k}`, message: `is not a field; allowed: ${allowed.join(', ')}` });
}

function scheduleOut(v: unknown, path: string, out: Obj, issues: FieldIssue[]) {
  if (v === undefined || v === null) return;
  if (!isObj(v) || typeof v.format !== 'string' || !(v.format in SCHEDULE_KEYS)) {
    issues.push({
      path: `${path}.format`,
      message: `must be ${Object.keys(SCHEDULE_KEYS).join(' or ')} with the schedule in "value"`,
    });
    return;
  }
  out[SCHEDULE_KEYS[v.format] as string] = v.value;
}

const tod = (t: unknown, which: 'start' | 'end') =>
  isObj(t)
    ? { [`${which}Hour`]: t.hour, [which === 'end' ? 'endMinute' : 'startMinute']: t.minute }
    : { [`${which}Hour`]: t };

/** the parser's input for a native settings object, with the problems only the native shape can have */
export function nativeToParserInput(v: unknown, issues: FieldIssue[]): unknown {
  if (!isObj(v)) return v;
  const p = 'settings';
  unknownKeys(v, ['scan', 'install', 'download'], p, issues);
  const out: Obj = {};
  if (v.scan !== undefined) {
    const s = v.scan;
    if (!isObj(s)) out.scanPatchesSettings = s;
    else {
      unknownKeys(
        s,
        ['enabled', 'onNewApplications', 'scheduleFormat', 'sameScheduleForAll', 'schedule'],
        `${p}.scan`,
        issues,
      );
      const o: Obj = {
        enabled: s.enabled,
        runOnSystemChanges: s.onNewApplications,
        useSameSchedule: s.sameScheduleForAll,
      };
      if (s.scheduleFormat !== undefined) {
        if (s.scheduleFormat === 'current') o.useFallbackSchedule = 'disabled';
        else if (s.scheduleFormat === 'fallback') o.useFallbackSchedule = 'enabled';
        else
          issues.push({
            path: `${p}.scan.scheduleFormat`,
            message: `must be "current" or "fallback", got ${JSON.stringify(s.scheduleFormat)}`,
          });
      }
      scheduleOut(s.schedule, `${p}.scan.schedule`, o, issues);
      out.scanPatchesSettings = o;
    }
  }
  if (v.install !== undefined) {
    const i = v.install;
    if (!isObj(i)) out.installPatchesSettings = i;
    else {
      const ip = `${p}.install`;
      unknownKeys(
        i,
        [
          'enabled',
          'runMissedAsap',
          'security',
          'nonSecurity',
          'manuallyApproved',
          'vendorProducts',
          'rebootPostponement',
          'manuallyApprovedPatches',
        ],
        ip,
        issues,
      );
      const o: Obj = {
        enabled: i.enabled,
        ifMissedRunAsSoonAsPossible: i.runMissedAsap,
        manuallyApprovedPatchIds: i.manuallyApprovedPatches,
      };
      const updateType: Obj = {};
      for (const [native, gz] of [
        ['security', 'securityPatchesSettings'],
        ['nonSecurity', 'nonSecurityPatchesSettings'],
        ['manuallyApproved', 'manuallyApprovedPatchesSettings'],
      ] as const) {
        const c = i[native];
        if (c === undefined) continue;
        if (!isObj(c)) {
          updateType[gz] = c;
          continue;
        }
        unknownKeys(c, ['enabled', 'schedule'], `${ip}.${native}`, issues);
        const co: Obj = { enabled: c.enabled };
        scheduleOut(c.schedule, `${ip}.${native}.schedule`, co, issues);
        updateType[gz] = co;
      }
      o.updateType = updateType;
      const vp = i.vendorProducts;
      if (isObj(vp)) {
        unknownKeys(vp, ['enabled', 'mode', 'pairs'], `${ip}.vendorProducts`, issues);
        const mode =
          vp.mode === undefined ? undefined : vp.mode === 'include' ? 1 : vp.mode === 'exclude' ? 2 : null;
        if (mode === null)
          issues.push({
            path: `${ip}.vendorProducts.mode`,
            message: `must be "include" or "exclude", got ${JSON.stringify(vp.mode)}`,
          });
        o.specificVendorAndProduct = {
          enabled: vp.enabled,
          ...(mode ? { type: mode } : {}),
          vendorProductsPairs: Array.isArray(vp.pairs)
            ? vp.pairs.map((pair) =>
                isObj(pair)
                  ? {
                      ...(pair.os === undefined || pair.os === null
                        ? {}
                        : { os: OS_CODES[String(pair.os)] ?? pair.os }),
                      vendor: pair.vendor === undefined ? undefined : { id: pair.vendor },
                      products: Array.isArray(pair.products)
                        ? pair.products.map((id) => ({ id }))
                        : pair.products,
                    }
                  : pair,
              )
            : vp.pairs,
        };
      } else if (vp !== undefined) o.specificVendorAndProduct = vp;
      const rp = i.rebootPostponement;
      if (isObj(rp)) {
        unknownKeys(rp, ['mode', 'afterMinutes', 'message', 'between'], `${ip}.rebootPostponement`, issues);
        const option = typeof rp.mode === 'string' ? POSTPONE_MODES[rp.mode] : undefined;
        if (option === undefined)
          issues.push({
            path: `${ip}.rebootPostponement.mode`,
            message: `must be one of ${Object.keys(POSTPONE_MODES).join(', ')}, got ${JSON.stringify(rp.mode)}`,
          });
        const b = rp.between;
        o.postponeReboot = {
          option: option ?? 0,
          afterMinutes: rp.afterMinutes,
          afterCustomMessage: rp.message,
          between: isObj(b) ? { ...tod(b.start, 'start'), ...tod(b.end, 'end') } : b,
        };
      } else if (rp !== undefined) o.postponeReboot = rp;
      out.installPatchesSettings = o;
    }
  }
  const d = v.download;
  if (isObj(d)) {
    unknownKeys(d, ['cachingServers', 'directDownloadFallback'], `${p}.download`, issues);
    out.downloadSettings = {
      cachingServers: Array.isArray(d.cachingServers)
        ? d.cachingServers.map((id) => ({ id }))
        : d.cachingServers,
      fallbackOnDirectDownload: d.directDownloadFallback,
    };
  } else if (d !== undefined) out.downloadSettings = d;
  return out;
}

// ---- the parser's paths and words → native ones ----------------------------------------------------------

const SEGMENTS: Record<string, string | null> = {
  scanPatchesSettings: 'scan',
  installPatchesSettings: 'install',
  updateType: null,
  securityPatchesSettings: 'security',
  nonSecurityPatchesSettings: 'nonSecurity',
  manuallyApprovedPatchesSettings: 'manuallyApproved',
  scheduler: 'schedule.value',
  oldScheduler: 'schedule.value',
  runOnSystemChanges: 'onNewApplications',
  useFallbackSchedule: 'scheduleFormat',
  useSameSchedule: 'sameScheduleForAll',
  useSameScheduler: 'sameScheduleForAll',
  ifMissedRunAsSoonAsPossible: 'runMissedAsap',
  specificVendorAndProduct: 'vendorProducts',
  vendorProductsPairs: 'pairs',
  postponeReboot: 'rebootPostponement',
  afterCustomMessage: 'message',
  manuallyApprovedPatchIds: 'manuallyApprovedPatches',
  downloadSettings: 'download',
  fallbackOnDirectDownload: 'directDownloadFallback',
};
const BETWEEN: Record<string, string> = {
  startHour: 'start.hour',
  startMinute: 'start.minute',
  endHour: 'end.hour',
  endMinute: 'end.minute',
  endminute: 'end.minute',
};

export function nativePath(gzPath: string): string {
  const out: string[] = [];
  const segs = gzPath.split('.');
  for (let k = 0; k < segs.length; k++) {
    // a segment may carry array indices: `manuallyApprovedPatchIds[0]`
    const [, name = '', index = ''] = /^([^[]*)(\[.*)?$/.exec(segs[k] as string) ?? [];
    if (index && name in SEGMENTS) {
      out.push(`${SEGMENTS[name] ?? name}${index}`);
      continue;
    }
    const s = segs[k] as string;
    const prev = out.at(-1)?.replace(/\[.*$/, '');
    if (s in SEGMENTS) {
      const n = SEGMENTS[s];
      if (n) out.push(n);
    } else if (s === 'type' && prev === 'vendorProducts') out.push('mode');
    else if (s === 'option' && prev === 'rebootPostponement') out.push('mode');
    else if (prev === 'between' && out.at(-2) === 'rebootPostponement' && s in BETWEEN)
      out.push(BETWEEN[s] as string);
    else if (s === 'id' && k === segs.length - 1)
      continue; // {id} wrappers are plain values natively
    else out.push(s);
  }
  return out.join('.');
}

const WORDS = new RegExp(
  `\\b(${Object.keys(SEGMENTS)
    .filter((k) => k.length > 9)
    .join('|')})\\b`,
  'g',
);
export const nativeMessage = (m: string) =>
  m
    .replace(WORDS, (w) => SEGMENTS[w] ?? w)
    .replace(/\bsecurity\.|nonSecurity\.|manuallyApproved\./g, (w) => `install.${w}`)
    .replace(/install\.install\./g, 'install.')
    .replace(
      /is (enabled|disabled)\b/g,
      (_w, x: string) => `is "${x === 'enabled' ? 'fallback' : 'current'}"`,
    );

/** validates native window settings with the core window parser; issues name native fields */
export function parseWindowSettings(v: unknown): MaintenanceWindowSettings {
  const pre: FieldIssue[] = [];
  const input = nativeToParserInput(v, pre);
  let parsed: MaintenanceWindowSettings | undefined;
  let issues: FieldIssue[] = [...pre];
  try {
    parsed = parseGzWindowSettings(input, 'settings');
  } catch (e) {
    if (!isDomainError(e)) throw e;
    issues = [
      ...issues,
      ...e.issues.map((i) => ({ path: nativePath(i.path), message: nativeMessage(i.message) })),
    ];
  }
  if (issues.length || !parsed)
    throw invalid(
      `invalid maintenance window settings: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    );
  return parsed;
}

// ---- the service ---------------------------------------------------------------------------------------

async function view(db: Db, row: WindowRow): Promise<WindowView> {
  const a = (await windowAssignments(db, [row.id])).get(row.id)!;
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    settings: row.settings as unknown as MaintenanceWindowSettings,
    assignments: a,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function visibleWindow(ctx: Context, id: number): Promise<WindowRow> {
  const row = await getWindowRow(ctx.db, id);
  if (!row || !seesOrganization(ctx.access, row.organization_id)) throw notFound('maintenance window', id);
  return row;
}

function parseName(v: unknown): string {
  const issues = new Issues();
  const name = checkWindowName(v, 'name', issues);
  issues.throwIfAny('invalid maintenance window');
  return name as string;
}

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

export async function createWindow(ctx: Context, input: WindowInput): Promise<WindowView> {
  ctx.authorize('manage_policies');
  ctx.seeOrganization(input.organizationId);
  if (!ctx.ownsOrganization(input.organizationId))
    throw forbidden(`your scope covers only some groups of organization ${input.organizationId}`);
  const name = parseName(input.name);
  const settings = parseWindowSettings(input.settings);
  try {
    return await ctx.store.transaction(async (tx) => {
      const a = await checkAssignments(tx, input.organizationId, input.assignments ?? {});
      const row = await insertWindow(tx, {
        organization_id: input.organizationId,
        name,
        settings: settings as unknown as Record<string, unknown>,
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
  const rows = await listWindowRows(ctx.db, ctx.access, f);
  const out = [];
  for (const r of rows) out.push(await view(ctx.db, r));
  return out;
}

export async function getWindow(ctx: Context, id: number): Promise<WindowView> {
  ctx.authorize('read');
  return view(ctx.db, await visibleWindow(ctx, id));
}

/** changes the name, the settings (as a whole) or the assignments (as a whole) */
export async function updateWindow(
  ctx: Context,
  id: number,
  patch: { name?: string; settings?: unknown; assignments?: { policies?: number[]; groups?: number[] } },
): Promise<WindowView> {
  ctx.authorize('manage_policies');
  const before = await visibleWindow(ctx, id);
  const name = patch.name === undefined ? undefined : parseName(patch.name);
  const settings = patch.settings === undefined ? undefined : parseWindowSettings(patch.settings);
  try {
    return await ctx.store.transaction(async (tx) => {
      const row = await updateWindowRow(tx, id, {
        ...(name !== undefined ? { name } : {}),
        ...(settings ? { settings: settings as unknown as Record<string, unknown> } : {}),
      });
      if (patch.assignments)
        await replaceWindowAssignments(
          tx,
          id,
          await checkAssignments(tx, row.organization_id, patch.assignments),
        );
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

// ---- occurrences (the console's calendar) --------------------------------------------------------------

/** what a window's schedule governs: scans, and installs of each patch class */
export type WindowUse = 'scan' | PatchClass;

export interface WindowOccurrence {
  start: Date;
  /** the end of the occurrence's daily window; null when the schedule has instants, not windows */
  end: Date | null;
  /** everything this schedule governs (one schedule may serve scans and every install class) */
  uses: WindowUse[];
}

export interface WindowOccurrences {
  windowId: number;
  /** the zone the times are computed in: the organization's, else the server's (devices use their own) */
  zone: string;
  from: Date;
  to: Date;
  occurrences: WindowOccurrence[];
  /** uses whose schedule is "immediately": open at any time */
  alwaysOpen: WindowUse[];
}

export const MAX_OCCURRENCE_DAYS = 92;

/**
 * The occurrences of a window's schedules from `from` for `days` days, each with the end of its daily
 * window and what it governs. Windows run on each device's clock; the calendar reads them in the
 * organization's zone.
 */
export async function windowOccurrences(
  ctx: Context,
  id: number,
  range: { from?: Date; days?: number } = {},
): Promise<WindowOccurrences> {
  ctx.authorize('read');
  const row = await visibleWindow(ctx, id);
  const days = range.days ?? 28;
  if (!Number.isInteger(days) || days < 1 || days > MAX_OCCURRENCE_DAYS)
    throw invalid(`days must be an integer from 1 to ${MAX_OCCURRENCE_DAYS}`, [
      { path: '/days', message: `must be from 1 to ${MAX_OCCURRENCE_DAYS}` },
    ]);
  const from = range.from ?? ctx.now();
  const to = new Date(from.getTime() + days * 86_400_000);
  const zone = (await getOrganization(ctx.db, row.organization_id))?.time_zone ?? serverZone();
  const settings = row.settings as unknown as MaintenanceWindowSettings;
  // one entry per distinct schedule, with every use it serves
  const schedules = new Map<string, { ws: WindowSchedule; uses: WindowUse[] }>();
  const add = (ws: WindowSchedule | null, use: WindowUse) => {
    if (!ws) return;
    const key = JSON.stringify(ws);
    const e = schedules.get(key);
    if (e) e.uses.push(use);
    else schedules.set(key, { ws, uses: [use] });
  };
  if (settings.scan.enabled) add(settings.scan.schedule, 'scan');
  for (const cls of CLASSES) add(installSchedule(settings, cls), cls);
  const opts = { zone, deviceZone: zone, serverZone: serverZone() };
  const occurrences: WindowOccurrence[] = [];
  const alwaysOpen: WindowUse[] = [];
  for (const { ws, uses } of schedules.values()) {
    const sched = canonical(ws);
    if (sched.recurrence.kind === 'immediately') {
      alwaysOpen.push(...uses);
      continue;
    }
    for (const start of occurrencesBetween(sched, from, to, opts, 1000))
      occurrences.push({ start, end: windowAt(sched, start, opts)?.end ?? null, uses });
  }
  occurrences.sort((a, b) => a.start.getTime() - b.start.getTime());
  return { windowId: row.id, zone, from, to, occurrences, alwaysOpen };
}

// ---- gating installs --------------------------------------------------------------------------------------

const CLASSES: readonly PatchClass[] = ['security', 'nonSecurity', 'manuallyApproved'];

function canonical(ws: WindowSchedule) {
  return ws.format === 'gravityzone-scheduler' ? fromGzScheduler(ws.value) : fromGzOldScheduler(ws.value);
}

/** whether one window lets installs run at `at` (in the device's zone) */
export function windowAllowsAt(s: MaintenanceWindowSettings, at: Date, deviceZone: string): boolean {
  for (const cls of CLASSES) {
    const ws = installSchedule(s, cls);
    if (!ws) continue;
    const sched = canonical(ws);
    if (sched.recurrence.kind === 'immediately') return true;
    if (isWithinWindow(sched, at, { deviceZone, zone: deviceZone, serverZone: serverZone() })) return true;
  }
  return false;
}

/**
 * Is an install allowed on the device at `at`? The windows that apply are those assigned to the device's
 * group or any ancestor group, and to the enabled policies that target the device (with `policyId`: to
 * that policy only; a policy that overrides maintenance windows is not gated at all). No window applies:
 * allowed. Otherwise allowed when at least one applicable window's install schedule is open at `at`.
 */
export async function installAllowedAt(
  db: Db,
  deviceId: number,
  at: Date,
  opts: { policyId?: number } = {},
): Promise<boolean> {
  const d = await db
    .selectFrom('devices as d')
    .innerJoin('organizations as o', 'o.id', 'd.organization_id')
    .select(['d.id', 'd.organization_id', 'd.group_id', 'd.time_zone', 'o.time_zone as org_zone'])
    .where('d.id', '=', deviceId)
    .executeTakeFirst();
  if (!d) throw notFound('device', deviceId);
  const tree = await groupTree(db, d.organization_id);
  const chain = [d.group_id, ...ancestorsOf(tree, d.group_id)];
  let policyIds: number[];
  if (opts.policyId !== undefined) {
    const p = await db
      .selectFrom('policies')
      .select('behaviour')
      .where('id', '=', opts.policyId)
      .executeTakeFirst();
    if (
      (p?.behaviour as { overrideMaintenanceWindows?: unknown } | undefined)?.overrideMaintenanceWindows ===
      true
    )
      return true;
    policyIds = [opts.policyId];
  } else {
    const rows = await db
      .selectFrom('policy_targets as t')
      .innerJoin('policies as p', 'p.id', 't.policy_id')
      .select(['p.id', 'p.behaviour'])
      .where('p.enabled', '=', true)
      .where('p.organization_id', '=', d.organization_id)
      .where((eb) => eb.or([eb('t.device_id', '=', deviceId), eb('t.group_id', 'in', chain)]))
      .execute();
    policyIds = [
      ...new Set(
        rows
          .filter(
            (r) =>
              (r.behaviour as { overrideMaintenanceWindows?: unknown }).overrideMaintenanceWindows !== true,
          )
          .map((r) => r.id),
      ),
    ];
  }
  const windows = await windowsAssignedTo(db, chain, policyIds);
  if (!windows.length) return true;
  const zone = d.time_zone ?? d.org_zone ?? serverZone();
  return windows.some((w) => windowAllowsAt(w.settings as unknown as MaintenanceWindowSettings, at, zone));
}
