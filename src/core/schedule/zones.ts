// Time zone offsets with a cache, and the conversion between wall-clock time and instants.
//
// luxon answers "what is the offset of zone Z at instant t" correctly but slowly (about 8 µs a call),
// so offsets are cached per zone in week-long chunks: a chunk stores the offset at its start and every
// transition inside it (found by bisection when its two ends differ). A zone changes offset at most a
// few times a year and never twice within a week in the tz database's modern data, so a chunk holds
// zero or one transition and a lookup is a Map hit and a comparison.
//
// Policy (STACK.md): a wall-clock time that does not exist (spring forward) moves forward by the gap;
// a wall-clock time that exists twice (fall back) resolves to its first instance.
import { IANAZone } from 'luxon';
import { MINUTE_MS } from './calendar.ts';

const CHUNK_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

interface Chunk {
  /** offset (ms) at the chunk's start */
  readonly first: number;
  /** instant of the transition inside the chunk, or Infinity */
  readonly at: number;
  /** offset (ms) from `at` on */
  readonly then: number;
}

export class ZoneOffsets {
  readonly name: string;
  private readonly zone: IANAZone;
  private readonly chunks = new Map<number, Chunk>();
  private lastKey = NaN;
  private lastChunk: Chunk = { first: 0, at: Infinity, then: 0 };
  /** set when the zone never changes offset (UTC, Etc/GMT+5): lookups skip the cache */
  private readonly fixed: number | undefined;

  constructor(name: string) {
    this.name = name;
    this.zone = IANAZone.create(name);
    if (!this.zone.isValid) throw new Error(`unknown time zone ${name}`);
    const upper = name.toUpperCase();
    this.fixed =
      upper === 'UTC' || upper === 'ETC/UTC' || upper === 'GMT' || upper.startsWith('ETC/GMT')
        ? this.raw(0)
        : undefined;
  }

  private raw(t: number): number {
    return this.zone.offset(t) * MINUTE_MS;
  }

  /** offsets at chunk boundaries, shared by the two chunks that meet there */
  private readonly bounds = new Map<number, number>();
  private boundary(key: number): number {
    let o = this.bounds.get(key);
    if (o === undefined) {
      o = this.raw(key * CHUNK_MS);
      this.bounds.set(key, o);
    }
    return o;
  }

  private build(key: number): Chunk {
    const start = key * CHUNK_MS;
    const end = start + CHUNK_MS;
    const first = this.boundary(key);
    const next = this.boundary(key + 1);
    if (first === next) return { first, at: Infinity, then: first };
    const last = this.raw(end - 1);
    if (first === last) return { first, at: Infinity, then: first }; // the change is exactly at `end`
    // bisect for the first instant whose offset differs from `first`: over whole minutes first (every
    // transition of the modern tz data falls on one, so about 14 lookups instead of 30), then to the
    // millisecond only when the transition is not on that minute's boundary
    let lo = start; // offset here is `first`
    let hi = end - 1; // offset here differs
    while (hi - lo > MINUTE_MS) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
      if (mid <= lo) break;
      if (this.raw(mid) === first) lo = mid;
      else hi = mid;
    }
    if (this.raw(hi - 1) !== first)
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (this.raw(mid) === first) lo = mid;
        else hi = mid;
      }
    return { first, at: hi, then: last };
  }

  /** offset in ms (local = utc + offset) of the zone at the instant t */
  offset(t: number): number {
    if (this.fixed !== undefined) return this.fixed;
    const key = Math.floor(t / CHUNK_MS);
    let chunk: Chunk;
    if (key === this.lastKey) chunk = this.lastChunk;
    else {
      chunk = this.chunks.get(key) ?? this.build(key);
      if (this.chunks.size > 100_000) {
        this.chunks.clear();
        this.bounds.clear();
      }
      this.chunks.set(key, chunk);
      this.lastKey = key;
      this.lastChunk = chunk;
    }
    return t < chunk.at ? chunk.first : chunk.then;
  }

  /** wall-clock ms (local fields read as if UTC) of the instant t */
  toLocal(t: number): number {
    return t + this.offset(t);
  }

  /**
   * The instant of a wall-clock time (local fields read as if UTC, in ms). A time inside a gap moves
   * forward by the gap; a repeated time gives its first instance.
   */
  toUtc(local: number): number {
    const before = this.offset(local - DAY_MS);
    const after = this.offset(local + DAY_MS);
    if (before === after) return local - before;
    const a = local - before;
    const b = local - after;
    const aOk = this.offset(a) === before;
    const bOk = this.offset(b) === after;
    if (aOk && bOk) return Math.min(a, b);
    if (aOk) return a;
    if (bOk) return b;
    return a; // in the gap: read with the offset before the transition, i.e. shifted forward by the gap
  }
}

const zones = new Map<string, ZoneOffsets>();

/** The cached offset table of an IANA zone; throws for an unknown name (validate first). */
export function zoneOffsets(name: string): ZoneOffsets {
  let z = zones.get(name);
  if (!z) {
    z = new ZoneOffsets(name);
    zones.set(name, z);
  }
  return z;
}

const validity = new Map<string, boolean>();

/** whether an IANA zone name is known (cached: luxon builds an Intl formatter per question) */
export function isValidZoneName(name: string): boolean {
  let ok = validity.get(name);
  if (ok === undefined) {
    ok = IANAZone.isValidZone(name);
    if (validity.size > 10_000) validity.clear();
    validity.set(name, ok);
  }
  return ok;
}

/**
 * The one time-zone fallback: a device's own zone, else its organization's, else the server's. Every
 * schedule, window and preview that needs "the zone this runs in" asks here.
 */
export function effectiveZone(zones: {
  readonly device?: string | null;
  readonly organization?: string | null;
  readonly server: string;
}): string {
  return zones.device || zones.organization || zones.server;
}
