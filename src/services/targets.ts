import { coversReach, joinReach, reachOfGroups, WHOLE_ORGANIZATION, type Reach } from '../core/access.ts';
import { forbidden, notFound } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import { devicePlacements } from '../store/repos/devices-repo.ts';
import { policyTargets, type PolicyTargetIds } from '../store/repos/policies-repo.ts';
import type { Context } from './context.ts';

// Scope by target: the one check every path that reads or changes a task, a task instance, a patch
// policy or a maintenance window runs on what the object targets.
//
// An actor that owns the organization may act on everything in it. An actor scoped to some groups of
// an organization may act only on an object whose every target lies inside those groups: an object that
// targets the whole organization (a task without a target, a policy with a saved device filter or with
// no target, a window assigned to nothing), a group outside, or a device of a group outside, is not
// found for it, on every read and every write. Reads are refused whole rather than shown with their
// device lists cut to the scope: a cut list would read as a different target (and a PUT of what was
// read would re-target the object), and what an operator sees is then exactly what it may change, as
// for groups and devices outside the scope. Setting a target (create, re-target, re-assign) that reaches
// outside the scope is forbidden.

/** what an object names as its target, before resolution to groups */
export interface Targets {
  /** the whole organization: a task without a target, or a task kind that does not target devices */
  readonly organization?: boolean;
  readonly groups?: readonly number[];
  readonly devices?: readonly number[];
  /** saved device filters: organization-level, not evaluated into groups, so they reach the organization */
  readonly filters?: readonly number[];
  /** policies: a window assigned to a policy reaches what the policy targets */
  readonly policies?: readonly number[];
}

const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x));

/** the targets of a task or a task instance, from its parameters; anything but groups or devices: the organization */
export function taskTargets(parameters: Record<string, unknown>): Targets {
  const t = parameters.target as { kind?: unknown; ids?: unknown } | null | undefined;
  if (t?.kind === 'groups' && isIds(t.ids)) return { groups: t.ids };
  if (t?.kind === 'devices' && isIds(t.ids)) return { devices: t.ids };
  return { organization: true };
}

export const policyTargetsOf = (t: PolicyTargetIds): Targets => ({
  groups: t.groups,
  devices: t.devices,
  filters: t.filters,
});

/** a window reaches the groups and the policies it is assigned to */
export const windowTargets = (a: { policies: number[]; groups: number[] }): Targets => ({
  groups: a.groups,
  policies: a.policies,
});

const unique = (ids: Iterable<number>) => [...new Set(ids)];

/** resolves targets to what they reach, for several objects at once (one query per kind of thing named) */
async function reaches(db: Db, items: readonly { orgId: number; targets: Targets }[]): Promise<Reach[]> {
  const policyIds = unique(items.flatMap((i) => i.targets.policies ?? []));
  const ofPolicy = policyIds.length ? await policyTargets(db, policyIds) : new Map<number, PolicyTargetIds>();
  const deviceIds = unique([
    ...items.flatMap((i) => i.targets.devices ?? []),
    ...[...ofPolicy.values()].flatMap((t) => t.devices),
  ]);
  const placed = new Map((await devicePlacements(db, deviceIds)).map((d) => [d.id, d]));
  const reach = (orgId: number, t: Targets, nested: boolean): Reach => {
    const named =
      (t.groups?.length ?? 0) +
      (t.devices?.length ?? 0) +
      (t.policies?.length ?? 0) +
      (t.filters?.length ?? 0);
    // naming nothing is the organization's (only an owner creates or keeps such an object)
    if (t.organization || t.filters?.length || !named) return WHOLE_ORGANIZATION;
    const parts: Reach[] = [reachOfGroups(t.groups ?? [])];
    for (const id of t.devices ?? []) {
      const d = placed.get(id);
      if (!d) continue; // a device deleted since reaches nothing
      if (d.organization_id !== orgId) return WHOLE_ORGANIZATION;
      parts.push(reachOfGroups([d.group_id]));
    }
    for (const id of t.policies ?? []) {
      const p = ofPolicy.get(id);
      // a window names policies, a policy never does: no deeper nesting
      parts.push(p && !nested ? reach(orgId, policyTargetsOf(p), true) : WHOLE_ORGANIZATION);
    }
    return joinReach(parts);
  };
  return items.map((i) => reach(i.orgId, i.targets, false));
}

/** the list form of the check: the items whose targets the actor's scope covers, in their order */
export async function inTargetScope<T>(
  ctx: Context,
  db: Db,
  items: readonly T[],
  of: (item: T) => { orgId: number | null; targets: Targets },
): Promise<T[]> {
  const keep = items.map((item) => {
    const { orgId } = of(item);
    return orgId === null ? ctx.access.all : ctx.ownsOrganization(orgId);
  });
  const pending = items.flatMap((item, i) => {
    const o = of(item);
    return keep[i] || o.orgId === null ? [] : [{ i, orgId: o.orgId, targets: o.targets }];
  });
  if (pending.length) {
    const r = await reaches(db, pending);
    pending.forEach((p, k) => (keep[p.i] = coversReach(ctx.access, p.orgId, r[k]!)));
  }
  return items.filter((_, i) => keep[i]);
}

/** whether the actor's scope covers everything the targets reach (an object without organization: only all) */
export async function coversTargets(
  ctx: Context,
  db: Db,
  orgId: number | null,
  targets: Targets,
): Promise<boolean> {
  return (await inTargetScope(ctx, db, [0], () => ({ orgId, targets }))).length === 1;
}

/** a stored object being read or changed (not found outside the scope), or a target being set (forbidden) */
export type TargetCheck = { readonly existing: string; readonly id: number } | 'new';

/**
 * The one check of what an object targets, run by every read and every write of tasks, task instances,
 * patch policies and maintenance windows (see the top of this file). A stored object the actor's scope
 * does not cover is not found (never forbidden: its existence is outside the scope too); a new target
 * (create, re-target, re-assign) it does not cover is forbidden.
 */
export async function authorizeTargets(
  ctx: Context,
  db: Db,
  orgId: number | null,
  targets: Targets,
  check: TargetCheck,
): Promise<void> {
  if (await coversTargets(ctx, db, orgId, targets)) return;
  if (check !== 'new') throw notFound(check.existing, check.id);
  throw forbidden(
    `your scope covers only some groups of organization ${orgId}: target only those groups or their devices`,
  );
}
