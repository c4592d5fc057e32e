import { parseSchedule } from '../core/schedule/model.ts';
import { nextOccurrences, occurrencesBetween, type OccurrenceOptions } from '../core/schedule/occurrences.ts';
import { effectiveZone } from '../core/schedule/zones.ts';
import { systemContext } from '../services/context.ts';
import { record } from '../services/events.ts';
import type { Store } from '../store/db.ts';
import { advanceSchedule, lockDueSchedules, materializeOccurrences } from '../store/repos/tasks-repo.ts';

// Turns due schedule occurrences into task instances. A schedule row is locked (SKIP LOCKED) while one
// replica works on it, and (task, occurrence) is unique, so each occurrence becomes one instance.
//
// An occurrence is on time when it is at most `graceMs` old. Older ones were missed (no engine ran):
// a task whose parameters say `catchUp: true` gets an instance for each of them, any other task skips
// them and the skip is recorded as an event.

/** at most this many missed occurrences are caught up per schedule and pass */
export const MAX_CATCH_UP = 1000;

export interface MaterializeOptions {
  now: Date;
  graceMs: number;
  serverZone: string;
  /** schedules handled per pass */
  limit?: number;
}

export async function materializeDue(store: Store, owner: string, o: MaterializeOptions): Promise<number> {
  const ctx = systemContext(store, `engine:${owner}`);
  return store.transaction(async (tx) => {
    let created = 0;
    for (const { schedule, task, orgTimeZone } of await lockDueSchedules(tx, o.now, o.limit ?? 100)) {
      let def;
      try {
        def = parseSchedule(schedule.definition);
      } catch (e) {
        await advanceSchedule(tx, schedule.id, null, null);
        await record(ctx, tx, {
          kind: 'task.schedule_invalid',
          organizationId: task.organization_id,
          subjectType: 'task',
          subjectId: task.id,
          data: { error: (e as Error).message },
        });
        continue;
      }
      const zones: OccurrenceOptions = {
        serverZone: o.serverZone,
        zone: effectiveZone({ organization: orgTimeZone, server: o.serverZone }),
      };
      const from = new Date((schedule.next_due_at as Date).getTime() - 1);
      const due = occurrencesBetween(def, from, o.now, zones, MAX_CATCH_UP);
      const onTime = due.filter((d) => o.now.getTime() - d.getTime() <= o.graceMs);
      const missed = due.filter((d) => o.now.getTime() - d.getTime() > o.graceMs);
      const catchUp = task.parameters.catchUp === true;
      const fire = catchUp ? due : onTime;
      created += await materializeOccurrences(tx, task, fire);
      if (missed.length)
        await record(ctx, tx, {
          kind: catchUp ? 'task.occurrences_caught_up' : 'task.occurrences_skipped',
          organizationId: task.organization_id,
          subjectType: 'task',
          subjectId: task.id,
          data: { occurrences: missed.map((d) => d.toISOString()) },
        });
      const next = nextOccurrences(def, o.now, 1, zones)[0] ?? null;
      await advanceSchedule(tx, schedule.id, next, due.at(-1) ?? null);
    }
    return created;
  });
}
