import { invalid } from '../core/errors.ts';
import type { Schedule } from '../core/schedule/model.ts';
import { occurrencesBetween, windowAt } from '../core/schedule/occurrences.ts';
import { effectiveZone } from '../core/schedule/zones.ts';
import { installSchedule, PATCH_CLASSES, type PatchClass } from '../core/windows/index.ts';
import { getOrganization } from '../store/repos/organizations-repo.ts';
import type { Context } from './context.ts';
import { serverZone } from './policies.ts';
import { storedSettings, visibleWindow } from './windows-crud.ts';

// A window's occurrences: the console's calendar.

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
 * window and what it governs; an occurrence still open at `from` is listed too. Windows run on each device's clock; the calendar reads them in the
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
  const org = await getOrganization(ctx.store.db, row.organization_id);
  const zone = effectiveZone({ organization: org?.time_zone, server: serverZone() });
  const settings = storedSettings(row);
  // one entry per distinct schedule, with every use it serves
  const schedules = new Map<string, { sched: Schedule; uses: WindowUse[] }>();
  const add = (sched: Schedule | null, use: WindowUse) => {
    if (!sched) return;
    const key = JSON.stringify(sched);
    const e = schedules.get(key);
    if (e) e.uses.push(use);
    else schedules.set(key, { sched, uses: [use] });
  };
  if (settings.scan.enabled) add(settings.scan.schedule, 'scan');
  for (const cls of PATCH_CLASSES) add(installSchedule(settings, cls), cls);
  const opts = { zone, deviceZone: zone, serverZone: serverZone() };
  const occurrences: WindowOccurrence[] = [];
  const alwaysOpen: WindowUse[] = [];
  for (const { sched, uses } of schedules.values()) {
    if (sched.recurrence.kind === 'immediately') {
      alwaysOpen.push(...uses);
      continue;
    }
    // an occurrence that began before `from` and is still open (00:00-06:00 seen at 00:23) comes first:
    // occurrencesBetween starts after `from`, and the window is open now
    const open = windowAt(sched, from, opts);
    if (open && open.start.getTime() <= from.getTime())
      occurrences.push({ start: open.start, end: open.end, uses });
    for (const start of occurrencesBetween(sched, from, to, opts, 1000))
      occurrences.push({ start, end: windowAt(sched, start, opts)?.end ?? null, uses });
  }
  occurrences.sort((a, b) => a.start.getTime() - b.start.getTime());
  return { windowId: row.id, zone, from, to, occurrences, alwaysOpen };
}
