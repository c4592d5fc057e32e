// `$skip` and `$top`. The Kaseya guide: "The maximum number of records that can be returned by a GET
// request is 100, even if no paging expression is used." That reads as a ceiling the server applies,
// not a rule the client breaks, so a larger `$top` is clamped to the maximum (and an absent one means
// the maximum) rather than refused.
import { syntaxError } from './errors.ts';

/** `$skip` and `$top`, already checked */
export interface Paging {
  readonly skip: number;
  readonly top: number;
}

export const MAX_TOP = 100;

/** `$skip`: a non-negative whole number; absent means 0. */
export function parseSkip(text: string | undefined): number {
  return text === undefined ? 0 : wholeNumber('$skip', text);
}

/** `$top`: a non-negative whole number; absent or above `max` means `max`. */
export function parseTop(text: string | undefined, max: number = MAX_TOP): number {
  return text === undefined ? max : Math.min(wholeNumber('$top', text), max);
}

export function parsePaging(
  skip: string | undefined,
  top: string | undefined,
  max: number = MAX_TOP,
): Paging {
  return { skip: parseSkip(skip), top: parseTop(top, max) };
}

function wholeNumber(param: string, text: string): number {
  if (!/^\d+$/.test(text)) throw syntaxError(param, `must be a non-negative whole number, got '${text}'`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw syntaxError(param, `'${text}' is too large (at most ${Number.MAX_SAFE_INTEGER})`);
  }
  return value;
}
