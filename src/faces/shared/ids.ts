import { notFound } from '../../core/errors.ts';

// Ids as the dialects render them. Every entity has one internal integer id (DESIGN.md, "Identity");
// each face renders it in its product's shape and parses it back, reversibly.

/** Kaseya VSA: ids are decimals, rendered as strings of digits ("42") so no client rounds them. */
export const renderDecimalId = (id: number): string => String(id);

/** A big or odd-looking id names nothing here, so it is "not found" (as the product answers), never 500. */
export function parseDecimalId(text: string, what: string): number {
  const t = text.trim();
  const n = /^\d{1,16}$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw notFound(what, text);
  return n;
}

/** renderDecimalId for a nullable id (a root group's parent) */
export const renderDecimalIdOrNull = (id: number | null): string | null =>
  id === null ? null : renderDecimalId(id);
