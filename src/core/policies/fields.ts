import { invalid, type DomainError, type FieldIssue } from '../errors.ts';

// Small helpers for validating parsers over untrusted JSON: every problem is collected with its dotted
// path (`settings.installPatchesSettings.postponeReboot.afterMinutes`, `rule.patterns[2]`), so a client
// learns everything that is wrong in one answer instead of one field per round trip.

export type Json = Record<string, unknown>;

export class Issues {
  readonly list: FieldIssue[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  get count(): number {
    return this.list.length;
  }
  /** The error to throw, whose message names every path (faces that show only a message lose nothing). */
  error(summary: string): DomainError {
    const text = this.list.map((i) => `${i.path} ${i.message}`).join('; ');
    return invalid(`${summary}: ${text}`, this.list);
  }
  throwIfAny(summary: string): void {
    if (this.list.length) throw this.error(summary);
  }
}

export const at = (base: string, key: string | number): string =>
  typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : key;

export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Characters as a user counts them (code points, not UTF-16 units). */
export const charCount = (s: string): number => [...s].length;

/** How a wrong value is named in a message: `got the string "5"`, `got null`. */
export function got(v: unknown): string {
  if (v === null) return 'got null';
  if (Array.isArray(v)) return 'got an array';
  switch (typeof v) {
    case 'string':
      return `got the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
      return `got ${v}`;
    case 'boolean':
      return `got ${v}`;
    case 'object':
      return 'got an object';
    default:
      return `got ${typeof v}`;
  }
}

/** Reports keys outside `allowed` (native API: a typo must not be silently dropped). */
export function rejectUnknown(obj: Json, allowed: readonly string[], path: string, issues: Issues): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      issues.add(at(path, key), `is not a known field (allowed: ${allowed.join(', ')})`);
  }
}

export function readObject(
  obj: Json,
  key: string,
  path: string,
  issues: Issues,
  required = false,
): Json | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) issues.add(at(path, key), 'is required');
    return undefined;
  }
  if (!isRecord(v)) {
    issues.add(at(path, key), `must be an object, ${got(v)}`);
    return undefined;
  }
  return v;
}

export function readBoolean(
  obj: Json,
  key: string,
  path: string,
  issues: Issues,
  required = false,
): boolean | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) issues.add(at(path, key), 'is required');
    return undefined;
  }
  if (typeof v !== 'boolean') {
    issues.add(at(path, key), `must be true or false, ${got(v)}`);
    return undefined;
  }
  return v;
}

export interface IntRange {
  readonly min?: number;
  readonly max?: number;
  /** overrides the range wording, e.g. `between startHour (21) and 23` */
  readonly rangeText?: string;
}

export function checkInt(v: unknown, path: string, issues: Issues, range: IntRange = {}): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    issues.add(path, `must be an integer, ${got(v)}`);
    return undefined;
  }
  const { min, max } = range;
  if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
    const text =
      range.rangeText ??
      (min !== undefined && max !== undefined
        ? `between ${min} and ${max}`
        : min !== undefined
          ? `at least ${min}`
          : `at most ${max}`);
    issues.add(path, `must be ${text}, ${got(v)}`);
    return undefined;
  }
  return v;
}

export function readInt(
  obj: Json,
  key: string,
  path: string,
  issues: Issues,
  range: IntRange = {},
  required = false,
): number | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) issues.add(at(path, key), 'is required');
    return undefined;
  }
  return checkInt(v, at(path, key), issues, range);
}

/** An integer that must be one of a fixed set of codes. */
export function readCode<T extends number>(
  obj: Json,
  key: string,
  path: string,
  issues: Issues,
  codes: readonly T[],
  required = false,
): T | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) issues.add(at(path, key), 'is required');
    return undefined;
  }
  if (typeof v !== 'number' || !(codes as readonly number[]).includes(v)) {
    issues.add(at(path, key), `must be one of ${codes.join(', ')}, ${got(v)}`);
    return undefined;
  }
  return v as T;
}

export interface StringRule {
  readonly min?: number;
  readonly max?: number;
  /** reject strings that are empty after trimming */
  readonly notBlank?: boolean;
}

export function checkString(
  v: unknown,
  path: string,
  issues: Issues,
  rule: StringRule = {},
): string | undefined {
  if (typeof v !== 'string') {
    issues.add(path, `must be a string, ${got(v)}`);
    return undefined;
  }
  const n = charCount(v);
  if (rule.min !== undefined && rule.max !== undefined && (n < rule.min || n > rule.max)) {
    issues.add(path, `must be between ${rule.min} and ${rule.max} characters, got ${n}`);
    return undefined;
  }
  if (rule.min !== undefined && n < rule.min) {
    issues.add(path, `must be at least ${rule.min} characters, got ${n}`);
    return undefined;
  }
  if (rule.max !== undefined && n > rule.max) {
    issues.add(path, `must be at most ${rule.max} characters, got ${n}`);
    return undefined;
  }
  if (rule.notBlank && v.trim() === '') {
    issues.add(path, 'must not be empty or only spaces');
    return undefined;
  }
  return v;
}

export function readString(
  obj: Json,
  key: string,
  path: string,
  issues: Issues,
  rule: StringRule = {},
  required = false,
): string | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) issues.add(at(path, key), 'is required');
    return undefined;
  }
  return checkString(v, at(path, key), issues, rule);
}

export function readArray(
  obj: Json,
  key: string,
  path: string,
  issues: Issues,
  required = false,
): readonly unknown[] | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) issues.add(at(path, key), 'is required');
    return undefined;
  }
  if (!Array.isArray(v)) {
    issues.add(at(path, key), `must be an array, ${got(v)}`);
    return undefined;
  }
  return v;
}

/** Reports the second and later occurrence of a value that must be unique; `key` normalizes for comparison. */
export function checkUnique<T>(
  items: readonly (T | undefined)[],
  path: string,
  issues: Issues,
  key: (t: T) => string | number = (t) => String(t),
  label: (t: T) => string = (t) => JSON.stringify(t),
): void {
  const seen = new Map<string | number, number>();
  items.forEach((item, i) => {
    if (item === undefined) return;
    const k = key(item);
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else issues.add(at(path, i), `repeats ${label(item)} (already at index ${first})`);
  });
}
