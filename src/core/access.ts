import type { Privilege } from './privileges.ts';

/**
 * What an actor may see: every organization, or some whole organizations plus some groups (each granted
 * group already expanded with its descendants).
 */
export interface Access {
  readonly all: boolean;
  readonly organizations: ReadonlySet<number>;
  readonly groups: ReadonlyMap<number, ReadonlySet<number>>; // organization → visible groups
}

export const ALL_ACCESS: Access = { all: true, organizations: new Set(), groups: new Map() };
export const NO_ACCESS: Access = { all: false, organizations: new Set(), groups: new Map() };

export const seesOrganization = (a: Access, org: number) =>
  a.all || a.organizations.has(org) || a.groups.has(org);

/** the whole organization is in scope (its settings, every group and device) */
export const ownsOrganization = (a: Access, org: number) => a.all || a.organizations.has(org);

export const seesGroup = (a: Access, org: number, group: number) =>
  ownsOrganization(a, org) || (a.groups.get(org)?.has(group) ?? false);

/** group ids visible through partial grants, over all organizations */
export function partialGroupIds(a: Access): number[] {
  const out: number[] = [];
  for (const g of a.groups.values()) out.push(...g);
  return out;
}

/** Given granted (organization, group|null) entries and each organization's group tree, builds Access. */
export function buildAccess(
  all: boolean,
  entries: readonly { organizationId: number; groupId: number | null }[],
  groupsOf: (org: number) => readonly { id: number; parentId: number | null }[],
): Access {
  if (all) return ALL_ACCESS;
  const organizations = new Set<number>();
  const groups = new Map<number, Set<number>>();
  for (const e of entries) if (e.groupId === null) organizations.add(e.organizationId);
  for (const e of entries) {
    if (e.groupId === null || organizations.has(e.organizationId)) continue;
    const tree = groupsOf(e.organizationId);
    const set = groups.get(e.organizationId) ?? new Set<number>();
    for (const id of descendantsOf(tree, e.groupId)) set.add(id);
    groups.set(e.organizationId, set);
  }
  return { all: false, organizations, groups };
}

/** a group and every group below it */
export function descendantsOf(
  tree: readonly { id: number; parentId: number | null }[],
  root: number,
): number[] {
  const children = new Map<number, number[]>();
  for (const g of tree)
    if (g.parentId !== null) children.set(g.parentId, [...(children.get(g.parentId) ?? []), g.id]);
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const id = stack.pop() as number;
    if (out.includes(id)) continue;
    out.push(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

/** a group's ancestors, nearest first (the group itself excluded) */
export function ancestorsOf(tree: readonly { id: number; parentId: number | null }[], id: number): number[] {
  const parent = new Map(tree.map((g) => [g.id, g.parentId]));
  const out: number[] = [];
  let p = parent.get(id) ?? null;
  while (p !== null && !out.includes(p)) {
    out.push(p);
    p = parent.get(p) ?? null;
  }
  return out;
}

export interface Principal {
  readonly privileges: ReadonlySet<Privilege>;
  readonly access: Access;
}

/**
 * What an object (a task, a task instance, a policy, a maintenance window) reaches, resolved to groups:
 * the whole organization, or some groups, each with everything below it (a device stands for its group).
 */
export type Reach =
  { readonly organization: true } | { readonly organization: false; readonly groups: readonly number[] };

export const WHOLE_ORGANIZATION: Reach = { organization: true };

/** what an object reaches, named by the groups it targets and the groups of the devices it names */
export const reachOfGroups = (groups: Iterable<number>): Reach => ({
  organization: false,
  groups: [...new Set(groups)],
});

/** what several targets reach together */
export function joinReach(reaches: readonly Reach[]): Reach {
  const groups: number[] = [];
  for (const r of reaches) {
    if (r.organization) return WHOLE_ORGANIZATION;
    groups.push(...r.groups);
  }
  return reachOfGroups(groups);
}

/**
 * Whether an actor's scope covers everything an object of an organization reaches: the actor owns the
 * organization, or the object reaches only groups the actor sees. An object reaching the whole
 * organization is covered only for its owners; nothing of an organization the actor does not see is.
 */
export const coversReach = (a: Access, org: number, r: Reach): boolean =>
  ownsOrganization(a, org) ||
  (seesOrganization(a, org) && !r.organization && r.groups.every((g) => seesGroup(a, org, g)));
