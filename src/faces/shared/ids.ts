import { invalid, notFound } from '../../core/errors.ts';

// Ids as the dialects render them. Every entity has one internal integer id (DESIGN.md, "Identity");
// each face renders it in its product's shape and parses it back, reversibly.

/** Kaseya VSA: ids are decimals, rendered as strings of digits ("42") so no client rounds them. */
export const renderDecimalId = (id: number): string => String(id);

/**
 * The one reading of an integer written as text (path ids, query numbers, Kaseya ids): decimal digits
 * with an optional minus, nothing else (no spaces, `0x`, `1e3` or `+`), within the safe-integer range
 * (which every bigint column holds). Returns the number, or what is wrong with the text.
 */
export function parseStrictInteger(text: string): number | string {
  if (!/^-?\d+$/.test(text)) return `must be integer, written in decimal digits only, got '${text}'`;
  const n = Number(text);
  if (!Number.isSafeInteger(n))
    return `'${text}' is out of range (at most ${Number.MAX_SAFE_INTEGER} in magnitude)`;
  return n;
}

/**
 * A Kaseya id in a path or a body. Text that is no id here (`abc`, `0x1F`, ` 1`, 0, or beyond the
 * safe-integer range, where the product's own 26-digit ids live) names nothing, so it is "not found",
 * as the product answers, never 500; it is read by the one strict parser, so ` 1` is not id 1.
 */
export function parseDecimalId(text: string, what: string): number {
  const n = /^\d+$/.test(text) ? parseStrictInteger(text) : NaN;
  if (typeof n === 'string' || Number.isNaN(n) || n <= 0) throw notFound(what, text);
  return n;
}

/** renderDecimalId for a nullable id (a root group's parent) */
export const renderDecimalIdOrNull = (id: number | null): string | null =>
  id === null ? null : renderDecimalId(id);

// ---- 24 hex digits (GravityZone) -------------------------------------------------------------------

const HEX24 = /^[0-9a-f]{24}$/i;

/**
 * GravityZone: every id is 24 hex digits (a MongoDB ObjectId). Patchline renders an id as a two-digit
 * kind tag followed by the id in 22 hex digits (`01` + `…0005` is company 5), so an id of one kind never
 * names a record of another, and reading it back gives the same integer.
 */
export function renderHex24Id(tag: number, id: number): string {
  return tag.toString(16).padStart(2, '0') + id.toString(16).padStart(22, '0');
}

/**
 * Reads a 24-hex id of the kind `tag`: text that is not 24 hex digits is invalid (`path` names the
 * parameter); a well-formed id of another kind, or beyond the safe-integer range, names nothing, so it is
 * not found, as a well-formed id that no record has.
 */
export function parseHex24Id(text: unknown, tag: number, what: string, path: string): number {
  if (typeof text !== 'string' || !HEX24.test(text))
    throw invalid(`invalid ${path}`, [
      {
        path,
        message: `must be an id of 24 hexadecimal characters, got ${typeof text === 'string' ? JSON.stringify(text.slice(0, 40)) : typeof text === 'object' ? (text === null ? 'null' : Array.isArray(text) ? 'an array' : 'an object') : String(text)}`,
      },
    ]);
  const n = Number.parseInt(text.slice(2), 16);
  if (Number.parseInt(text.slice(0, 2), 16) !== tag || !Number.isSafeInteger(n) || n <= 0)
    throw notFound(what, text);
  return n;
}
