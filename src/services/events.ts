import type { Db } from '../store/db.ts';
import { appendEvents, listEvents, type EventFilter } from '../store/repos/events-repo.ts';
import type { Page } from '../store/paging.ts';
import type { Context } from './context.ts';

// The event log: audit trail and patch history. Every change a service makes appends here, in the same
// transaction as the change itself.

export interface EventInput {
  kind: string;
  organizationId?: number | null;
  subjectType: string;
  subjectId?: string | number | null;
  deviceId?: number | null;
  updateId?: number | null;
  data?: Record<string, unknown>;
}

export async function record(ctx: Context, db: Db, events: EventInput | EventInput[]) {
  const list = Array.isArray(events) ? events : [events];
  const at = ctx.now();
  await appendEvents(
    db,
    list.map((e) => ({
      at,
      organization_id: e.organizationId ?? null,
      actor_type: ctx.actor.type,
      actor_id: ctx.actor.id,
      actor_name: ctx.actor.name,
      kind: e.kind,
      subject_type: e.subjectType,
      subject_id: e.subjectId === undefined || e.subjectId === null ? null : String(e.subjectId),
      device_id: e.deviceId ?? null,
      update_id: e.updateId ?? null,
      data: e.data ?? {},
    })),
  );
}

export interface EventView {
  id: number;
  at: Date;
  organizationId: number | null;
  actor: { type: string; id: string | null; name: string };
  kind: string;
  subjectType: string;
  subjectId: string | null;
  deviceId: number | null;
  deviceName: string | null;
  updateId: number | null;
  data: Record<string, unknown>;
}

export async function queryEvents(ctx: Context, f: EventFilter, page: Page) {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const r = await listEvents(ctx.store.db, ctx.access, f, page);
  return {
    ...r,
    items: r.items.map((e): EventView => ({
      id: e.id,
      at: e.at,
      organizationId: e.organization_id,
      actor: { type: e.actor_type, id: e.actor_id, name: e.actor_name },
      kind: e.kind,
      subjectType: e.subject_type,
      subjectId: e.subject_id,
      deviceId: e.device_id,
      deviceName: e.device_name ?? null,
      updateId: e.update_id,
      data: e.data,
    })),
  };
}
