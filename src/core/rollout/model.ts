import { invalid, type FieldIssue } from '../errors.ts';

// A rollout plan: ordered deployment rings. An update approved into a plan is approved ring by ring:
// a ring starts after its delay, and the next ring may start only once the ring's promotion gate passed
// (the share of the ring's devices where the update installed and that stayed healthy, after some hours).

export const WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** when a ring starts, counted from the previous ring's end (the first ring: from the approval) */
export type RingDelay =
  | { readonly kind: 'after_previous'; readonly hours: number }
  /** relative to the vendor's release day: "second Tuesday + 1 day" = week 2, tuesday, offsetDays 1 */
  | {
      readonly kind: 'release_day';
      /** 1..4, or -1 for the last such weekday of the month */
      readonly week: number;
      readonly weekday: Weekday;
      readonly offsetDays: number;
      /** hour of the day, UTC */
      readonly hour: number;
    };

/** the ring is healthy when at least `minPercent` of its devices installed and stayed healthy, `afterHours` after it started */
export interface PromotionGate {
  readonly minPercent: number;
  readonly afterHours: number;
}

export interface Ring {
  readonly name: string;
  readonly groups: readonly number[];
  readonly devices: readonly number[];
  /** a stable share of a group's devices (hash of device id and plan id), in addition to groups and devices */
  readonly sample: { readonly groupId: number; readonly percent: number } | null;
  readonly delay: RingDelay;
  readonly gate: PromotionGate;
}

export interface RolloutPlanBody {
  readonly name: string;
  readonly rings: readonly Ring[];
}

export const MAX_RINGS = 10;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function ids(v: unknown, path: string, issues: FieldIssue[]): number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 1000 || !v.every((x) => isInt(x) && x > 0)) {
    issues.push({ path, message: 'must be a list of at most 1000 positive integer ids' });
    return [];
  }
  return [...new Set(v as number[])];
}

function parseDelay(v: unknown, path: string, issues: FieldIssue[]): RingDelay {
  if (v === undefined) return { kind: 'after_previous', hours: 0 };
  if (!isObj(v)) {
    issues.push({ path, message: 'must be an object' });
    return { kind: 'after_previous', hours: 0 };
  }
  if (v.kind === 'after_previous') {
    if (!isNum(v.hours) || v.hours < 0 || v.hours > 24 * 365)
      issues.push({ path: `${path}/hours`, message: 'must be a number of hours from 0 to 8760' });
    return { kind: 'after_previous', hours: isNum(v.hours) ? v.hours : 0 };
  }
  if (v.kind === 'release_day') {
    const week = v.week;
    if (!(isInt(week) && ((week >= 1 && week <= 4) || week === -1)))
      issues.push({ path: `${path}/week`, message: 'must be 1, 2, 3, 4 or -1 (the last)' });
    if (!(WEEKDAYS as readonly unknown[]).includes(v.weekday))
      issues.push({ path: `${path}/weekday`, message: `must be one of ${WEEKDAYS.join(', ')}` });
    const offsetDays = v.offsetDays ?? 0;
    if (!isInt(offsetDays) || offsetDays < -27 || offsetDays > 27)
      issues.push({ path: `${path}/offsetDays`, message: 'must be an integer from -27 to 27' });
    const hour = v.hour ?? 0;
    if (!isInt(hour) || hour < 0 || hour > 23)
      issues.push({ path: `${path}/hour`, message: 'must be an integer from 0 to 23' });
    return {
      kind: 'release_day',
      week: isInt(week) ? week : 2,
      weekday: (v.weekday as Weekday) ?? 'tuesday',
      offsetDays: isInt(offsetDays) ? offsetDays : 0,
      hour: isInt(hour) ? hour : 0,
    };
  }
  issues.push({ path: `${path}/kind`, message: "must be 'after_previous' or 'release_day'" });
  return { kind: 'after_previous', hours: 0 };
}

function parseRing(v: unknown, i: number, issues: FieldIssue[]): Ring {
  const path = `/rings/${i}`;
  if (!isObj(v)) {
    issues.push({ path, message: 'must be an object' });
    return {
      name: '',
      groups: [],
      devices: [],
      sample: null,
      delay: { kind: 'after_previous', hours: 0 },
      gate: { minPercent: 0, afterHours: 0 },
    };
  }
  for (const k of Object.keys(v))
    if (!['name', 'groups', 'devices', 'sample', 'delay', 'gate'].includes(k))
      issues.push({ path: `${path}/${k}`, message: 'unknown field' });
  const name = typeof v.name === 'string' ? v.name.trim() : '';
  if (!name || name.length > 100)
    issues.push({ path: `${path}/name`, message: 'must be 1 to 100 characters' });
  const groups = ids(v.groups, `${path}/groups`, issues);
  const devices = ids(v.devices, `${path}/devices`, issues);
  let sample: Ring['sample'] = null;
  if (v.sample !== undefined && v.sample !== null) {
    const s = v.sample;
    if (
      !isObj(s) ||
      !isInt(s.groupId) ||
      s.groupId <= 0 ||
      !isNum(s.percent) ||
      s.percent <= 0 ||
      s.percent > 100
    )
      issues.push({
        path: `${path}/sample`,
        message: 'must be { groupId, percent } with percent in (0, 100]',
      });
    else sample = { groupId: s.groupId, percent: s.percent };
  }
  if (!groups.length && !devices.length && !sample)
    issues.push({ path, message: 'a ring needs groups, devices or a sample of a group' });
  const delay = parseDelay(v.delay, `${path}/delay`, issues);
  let gate: PromotionGate = { minPercent: 100, afterHours: 24 };
  if (v.gate !== undefined) {
    const g = v.gate;
    if (!isObj(g) || !isNum(g.minPercent) || g.minPercent < 0 || g.minPercent > 100)
      issues.push({ path: `${path}/gate/minPercent`, message: 'must be a number from 0 to 100' });
    else if (!isNum(g.afterHours) || g.afterHours < 0 || g.afterHours > 24 * 90)
      issues.push({ path: `${path}/gate/afterHours`, message: 'must be a number of hours from 0 to 2160' });
    else gate = { minPercent: g.minPercent, afterHours: g.afterHours };
  }
  return { name, groups, devices, sample, delay, gate };
}

/** validates a plan body (the native API's shape); throws `invalid` with every issue */
export function parseRolloutPlan(v: unknown): RolloutPlanBody {
  const issues: FieldIssue[] = [];
  if (!isObj(v)) throw invalid('a rollout plan must be an object');
  const name = typeof v.name === 'string' ? v.name.trim() : '';
  if (!name || name.length > 200) issues.push({ path: '/name', message: 'must be 1 to 200 characters' });
  let rings: Ring[] = [];
  if (!Array.isArray(v.rings) || v.rings.length < 1 || v.rings.length > MAX_RINGS)
    issues.push({ path: '/rings', message: `must be a list of 1 to ${MAX_RINGS} rings` });
  else rings = v.rings.map((r, i) => parseRing(r, i, issues));
  const names = rings.map((r) => r.name.toLowerCase());
  names.forEach((n, i) => {
    if (n && names.indexOf(n) !== i)
      issues.push({ path: `/rings/${i}/name`, message: 'ring names must differ' });
  });
  if (issues.length) throw invalid('invalid rollout plan', issues);
  return { name, rings };
}

/** every group and device id a plan names (the service checks they are the organization's) */
export function planReferences(p: RolloutPlanBody): { groups: number[]; devices: number[] } {
  const groups = new Set<number>();
  const devices = new Set<number>();
  for (const r of p.rings) {
    r.groups.forEach((g) => groups.add(g));
    r.devices.forEach((d) => devices.add(d));
    if (r.sample) groups.add(r.sample.groupId);
  }
  return { groups: [...groups], devices: [...devices] };
}

/** FNV-1a of the device and plan ids, in [0, 100): a device is in a `percent` sample when below it */
export function sampleBucket(deviceId: number, planId: number): number {
  const s = `${deviceId}:${planId}`;
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
  return (((h ^ (h >>> 15)) >>> 0) % 10000) / 100;
}

export const inSample = (deviceId: number, planId: number, percent: number): boolean =>
  sampleBucket(deviceId, planId) < percent;

/**
 * The devices of each ring, given each ring's candidate devices (its groups' and listed devices, and the
 * sampled group's devices). A device belongs to the first ring that takes it, so later rings never
 * repeat one.
 */
export function assignRings(
  planId: number,
  candidates: readonly { named: readonly number[]; sampleFrom: readonly number[]; percent: number }[],
): number[][] {
  const taken = new Set<number>();
  return candidates.map((c) => {
    const mine = new Set<number>(c.named);
    for (const d of c.sampleFrom) if (inSample(d, planId, c.percent)) mine.add(d);
    const out = [...mine].filter((d) => !taken.has(d)).sort((a, b) => a - b);
    out.forEach((d) => taken.add(d));
    return out;
  });
}
