import { WEEKDAYS, type PromotionGate, type Ring, type RingDelay } from './model.ts';

// How an update moves through a plan's rings: when a ring may start, whether its gate passed, and
// what the engine does next. Pure: the engine feeds it the stored state, the clock and the ring's outcomes.

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** the `week`-th `weekday` (week -1: the last) of a UTC month, at 00:00 UTC */
export function nthWeekdayOfMonth(year: number, month: number, week: number, weekday: number): Date {
  if (week === -1) {
    const last = new Date(Date.UTC(year, month + 1, 0));
    const back = (last.getUTCDay() - weekday + 7) % 7;
    return new Date(last.getTime() - back * DAY);
  }
  const first = new Date(Date.UTC(year, month, 1));
  const ahead = (weekday - first.getUTCDay() + 7) % 7;
  return new Date(first.getTime() + (ahead + (week - 1) * 7) * DAY);
}

/**
 * The first "`week`-th weekday of a month + offsetDays, at hour" (UTC) that is not before `notBefore`,
 * looking at the month of `notBefore` and the following ones: "second Tuesday + 1 day" after a release on
 * the 3rd is that month's Wednesday after Patch Tuesday; after a release on the 20th, next month's.
 */
export function nextReleaseDay(d: Extract<RingDelay, { kind: 'release_day' }>, notBefore: Date): Date {
  const wd = WEEKDAYS.indexOf(d.weekday);
  // an offset may move the date into the previous month: start one month early
  let y = notBefore.getUTCFullYear();
  let m = notBefore.getUTCMonth() - 1;
  for (let i = 0; i < 15; i++, m++) {
    if (m > 11) {
      m -= 12;
      y++;
    }
    if (m < 0) {
      m += 12;
      y--;
    }
    const at = new Date(nthWeekdayOfMonth(y, m, d.week, wd).getTime() + d.offsetDays * DAY + d.hour * HOUR);
    if (at.getTime() >= notBefore.getTime()) return at;
  }
  throw new Error('unreachable: a release day exists in every month');
}

export type GateOutcome = 'pending' | 'passed' | 'failed' | 'skipped';
export const ROLLOUT_STATES = ['running', 'paused', 'halted', 'completed'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export interface RingProgress {
  startedAt: Date | null;
  finishedAt: Date | null;
  gate: GateOutcome;
  /** share (0..100) of the ring's devices that installed and stayed healthy, when the gate was judged */
  percent: number | null;
  devices: number;
  reason: string | null;
}

export interface RolloutProgress {
  state: RolloutState;
  /** when the update was approved into the plan */
  approvedAt: Date;
  /** the vendor's release day of the update, for release-day delays */
  releasedAt: Date | null;
  rings: RingProgress[];
}

export const newRingProgress = (): RingProgress => ({
  startedAt: null,
  finishedAt: null,
  gate: 'pending',
  percent: null,
  devices: 0,
  reason: null,
});

/** the ring under way: the first one not finished (rings.length when all are) */
export const currentRing = (p: RolloutProgress): number => {
  const i = p.rings.findIndex((r) => r.finishedAt === null);
  return i === -1 ? p.rings.length : i;
};

/** when ring `i` may start: its delay after the previous ring finished (ring 0: after the approval) */
export function ringStartsAt(rings: readonly Ring[], p: RolloutProgress, i: number): Date | null {
  const prevEnd = i === 0 ? p.approvedAt : p.rings[i - 1]?.finishedAt;
  if (!prevEnd) return null;
  const delay = rings[i]!.delay;
  if (delay.kind === 'after_previous') return new Date(prevEnd.getTime() + delay.hours * HOUR);
  const base = p.releasedAt && p.releasedAt > prevEnd ? p.releasedAt : prevEnd;
  return nextReleaseDay(delay, base);
}

/** when ring `i`'s gate is judged */
export const gateDueAt = (gate: PromotionGate, r: RingProgress): Date | null =>
  r.startedAt ? new Date(r.startedAt.getTime() + gate.afterHours * HOUR) : null;

export type NextStep =
  | { kind: 'idle' } // paused, halted or completed
  | { kind: 'wait'; until: Date }
  | { kind: 'start_ring'; ring: number }
  | { kind: 'judge_gate'; ring: number }
  | { kind: 'complete' };

/** what the engine should do for a rollout at `now` */
export function nextStep(rings: readonly Ring[], p: RolloutProgress, now: Date): NextStep {
  if (p.state !== 'running') return { kind: 'idle' };
  const i = currentRing(p);
  if (i >= rings.length) return { kind: 'complete' };
  const r = p.rings[i]!;
  if (!r.startedAt) {
    const at = ringStartsAt(rings, p, i)!;
    return at <= now ? { kind: 'start_ring', ring: i } : { kind: 'wait', until: at };
  }
  const due = gateDueAt(rings[i]!.gate, r)!;
  return due <= now ? { kind: 'judge_gate', ring: i } : { kind: 'wait', until: due };
}

/** one device of a ring, as the gate sees it */
export interface RingDeviceOutcome {
  /** the update is installed on the device (installed, or installed and waiting for a reboot) */
  readonly installed: boolean;
  /** updates on the device that failed since the ring started */
  readonly newFailures: number;
  /** the device checked in since the ring started */
  readonly checkedIn: boolean;
}

export interface GateVerdict {
  readonly passed: boolean;
  readonly percent: number;
  readonly healthy: number;
  readonly total: number;
  readonly reason: string;
}

/**
 * The promotion gate: a device counts as a success when the update is installed, it checked in since the
 * ring started and nothing failed on it since. A ring with no device the update applies to passes.
 */
export function judgeGate(gate: PromotionGate, devices: readonly RingDeviceOutcome[]): GateVerdict {
  const total = devices.length;
  const healthy = devices.filter((d) => d.installed && d.checkedIn && d.newFailures === 0).length;
  const percent = total ? Math.round((healthy / total) * 10000) / 100 : 100;
  const passed = percent >= gate.minPercent;
  const notInstalled = devices.filter((d) => !d.installed).length;
  const failing = devices.filter((d) => d.newFailures > 0).length;
  const silent = devices.filter((d) => !d.checkedIn).length;
  const detail = total
    ? `${healthy} of ${total} devices (${percent}%) installed and stayed healthy; ${gate.minPercent}% needed ` +
      `(${notInstalled} not installed, ${failing} with new failures, ${silent} not checked in)`
    : 'no device in the ring needs the update';
  return {
    passed,
    percent,
    healthy,
    total,
    reason: passed ? `gate passed: ${detail}` : `gate failed: ${detail}`,
  };
}
