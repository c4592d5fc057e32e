// Reading untrusted JSON: every accessor knows its JSON pointer, so a bad field fails with its location.
import { DateTime } from 'luxon';

/** A record that cannot be imported; `pointer` says where in the file. */
export class RecordError extends Error {
  readonly pointer: string;
  constructor(pointer: string, message: string) {
    super(message);
    this.name = 'RecordError';
    this.pointer = pointer;
  }
}

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 6901 pointer to a child. */
export const child = (pointer: string, key: string | number): string =>
  `${pointer}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

export const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

export function object(v: unknown, pointer: string): JsonObject {
  if (!isObject(v)) throw new RecordError(pointer, `must be an object, got ${describe(v)}`);
  return v;
}

export function reqString(o: JsonObject, key: string, pointer: string): string {
  const v = o[key];
  if (v === undefined) throw new RecordError(child(pointer, key), 'is required');
  if (typeof v !== 'string')
    throw new RecordError(child(pointer, key), `must be a string, got ${describe(v)}`);
  if (v.trim() === '') throw new RecordError(child(pointer, key), 'must not be empty');
  return v;
}

/** An optional string; empty strings count as absent. */
export function optString(o: JsonObject, key: string, pointer: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new RecordError(child(pointer, key), `must be a string, got ${describe(v)}`);
  return v.trim() === '' ? undefined : v;
}

export function optNumber(o: JsonObject, key: string, pointer: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new RecordError(child(pointer, key), `must be a number, got ${describe(v)}`);
  return v;
}

export function optArray(o: JsonObject, key: string, pointer: string): readonly unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new RecordError(child(pointer, key), `must be an array, got ${describe(v)}`);
  return v;
}

export function optObject(o: JsonObject, key: string, pointer: string): JsonObject | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return object(v, child(pointer, key));
}

/** An array of strings (`aliases`, `related`); a non-string member is an error at its index. */
export function stringArray(o: JsonObject, key: string, pointer: string): string[] {
  const list = optArray(o, key, pointer);
  return list.map((v, i) => {
    if (typeof v !== 'string')
      throw new RecordError(child(child(pointer, key), i), `must be a string, got ${describe(v)}`);
    return v;
  });
}

/** An ISO 8601 date-time normalized to UTC (`2024-07-15T16:12:25.000Z`) so the same instant compares equal. */
export function isoDateTime(text: string, pointer: string): string {
  const dt = DateTime.fromISO(text.trim(), { zone: 'utc', setZone: true });
  if (!dt.isValid) throw new RecordError(pointer, `must be an ISO 8601 date-time, got "${text}"`);
  return dt.toUTC().toISO() as string;
}

export function optDateTime(o: JsonObject, key: string, pointer: string): string | undefined {
  const v = optString(o, key, pointer);
  return v === undefined ? undefined : isoDateTime(v, child(pointer, key));
}

/** A calendar date `YYYY-MM-DD` that exists. */
export function isoDate(text: string, pointer: string): string {
  const t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(t) || !DateTime.fromISO(t, { zone: 'utc' }).isValid)
    throw new RecordError(pointer, `must be a date YYYY-MM-DD, got "${text}"`);
  return t;
}

/** Text of a file given as bytes or string, without a byte order mark. */
export function toText(input: string | Uint8Array): string {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses JSON text, returning the syntax error message instead of throwing. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Unique values in first-seen order. */
export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}
