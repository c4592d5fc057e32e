import { invalid } from '../core/errors.ts';
import type { Schedule } from '../core/schedule/model.ts';
import { scheduleDefinitions } from '../store/repos/tasks-repo.ts';
import type { Context } from './context.ts';
import { visibleGroup } from './groups.ts';
import { createTask, listTasks, scheduleTask } from './tasks.ts';

// How often the devices of a group scan (Automox's server group `refresh_interval`): a scan task that
// targets the group and repeats every N minutes, marked with `parameters.groupScan` = the group's id, one
// per group. It is an ordinary task: the console shows it, the engine runs it, and a group without one
// scans only when a scan is asked for.

/** the intervals a group may scan at, in minutes (Automox: 4 to 24 hours) */
export const GROUP_SCAN_MINUTES = { min: 240, max: 1440 } as const;

export const checkScanInterval = (minutes: unknown): minutes is number =>
  Number.isInteger(minutes) &&
  (minutes as number) >= GROUP_SCAN_MINUTES.min &&
  (minutes as number) <= GROUP_SCAN_MINUTES.max;

const everyOf = (definition: unknown): number | null => {
  const r = (definition as Schedule | null)?.recurrence;
  return r?.kind === 'minutes' ? r.every : r?.kind === 'hours' ? r.every * 60 : null;
};

async function groupScanTasks(ctx: Context, organizationId: number) {
  const tasks = (await listTasks(ctx, { organizationId, kind: 'scan' })).filter(
    (t) => typeof t.parameters.groupScan === 'number',
  );
  const defs = await scheduleDefinitions(
    ctx.store.db,
    tasks.flatMap((t) => (t.scheduleId ? [t.scheduleId] : [])),
  );
  return tasks.map((t) => ({
    taskId: t.id,
    groupId: t.parameters.groupScan as number,
    minutes: t.scheduleId ? everyOf(defs.get(t.scheduleId)) : null,
  }));
}

/** every group of an organization (in the caller's scope) that scans periodically → its interval in minutes */
export async function groupScanIntervals(ctx: Context, organizationId: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const t of await groupScanTasks(ctx, organizationId))
    if (t.minutes !== null && !out.has(t.groupId)) out.set(t.groupId, t.minutes);
  return out;
}

const utcNow = (now: Date) => now.toISOString().slice(0, 16);

/** stops the periodic scans of a group (one that was deleted too) */
export async function stopGroupScans(ctx: Context, organizationId: number, groupId: number) {
  for (const t of await groupScanTasks(ctx, organizationId))
    if (t.groupId === groupId && t.minutes !== null) await scheduleTask(ctx, t.taskId, null);
}

/** makes a group's devices scan every `minutes` (creating or rescheduling its scan task); null stops it */
export async function setGroupScanInterval(ctx: Context, groupId: number, minutes: number | null) {
  const group = await visibleGroup(ctx, groupId);
  if (minutes === null) return stopGroupScans(ctx, group.organization_id, groupId);
  if (!checkScanInterval(minutes))
    throw invalid(
      `the scan interval must be a whole number of minutes from ${GROUP_SCAN_MINUTES.min} to ${GROUP_SCAN_MINUTES.max}`,
      [{ path: '/minutes', message: `must be ${GROUP_SCAN_MINUTES.min} to ${GROUP_SCAN_MINUTES.max}` }],
    );
  const schedule: Schedule = {
    recurrence: { kind: 'minutes', every: minutes },
    start: utcNow(ctx.now()),
    zone: { kind: 'named', name: 'UTC' },
    end: { kind: 'never' },
  };
  const existing = (await groupScanTasks(ctx, group.organization_id)).find((t) => t.groupId === groupId);
  if (existing) {
    if (existing.minutes === minutes) return;
    await scheduleTask(ctx, existing.taskId, schedule);
    return;
  }
  await createTask(ctx, {
    organizationId: group.organization_id,
    kind: 'scan',
    name: `Scan of group ${group.name || groupId} every ${minutes} minutes`,
    parameters: { target: { kind: 'groups', ids: [groupId] }, groupScan: groupId },
    schedule,
  });
}
