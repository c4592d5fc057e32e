// What every product converter shares: the context for product formats that carry no start date,
// and the checks that turn "the product cannot express this" into a precise `invalid` error.
import { invalid } from '../errors.ts';
import { cannotExpress, parseDate, type Schedule } from './model.ts';

export interface ConvertContext {
  /**
   * The start date ('YYYY-MM-DD') of a schedule in a product format that has none (Automox,
   * GravityZone oldScheduler…): the face stores it beside the product's fields. Parsing uses it for
   * `start`; rendering requires the schedule's start date to equal it (else the date would be lost).
   * Default: 1970-01-01, i.e. "in effect since ever".
   */
  readonly startDate?: string;
}

export const DEFAULT_START_DATE = '1970-01-01';

export function contextStartDate(product: string, ctx: ConvertContext | undefined): string {
  const d = ctx?.startDate ?? DEFAULT_START_DATE;
  if (parseDate(d) === undefined)
    throw invalid(`${product}: context start date ${JSON.stringify(d)} is not a date "YYYY-MM-DD"`);
  return d;
}

/** Rendering into a format without a start date: the schedule's start date must be the context's. */
export function requireContextStartDate(product: string, s: Schedule, ctx: ConvertContext | undefined): void {
  const d = contextStartDate(product, ctx);
  if (s.start.slice(0, 10) !== d)
    cannotExpress(
      product,
      `a start date (${s.start.slice(0, 10)}); pass it as the context start date to keep it outside the product's fields`,
      '/start',
    );
}

/** The parts of the canonical model that only some products express. */
export function requireAbsent(
  product: string,
  s: Schedule,
  parts: readonly ('window' | 'exclusions' | 'distribution' | 'end')[],
): void {
  for (const p of parts) {
    if (p === 'end' && s.end.kind !== 'never') cannotExpress(product, `an end (${s.end.kind})`, '/end');
    if (p === 'window' && s.window) cannotExpress(product, 'a daily time window', '/window');
    if (p === 'exclusions' && s.exclusions?.length)
      cannotExpress(product, 'exclusion windows', '/exclusions');
    if (p === 'distribution' && s.distribution)
      cannotExpress(product, 'a distribution window', '/distribution');
  }
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A product value that is malformed: throws `invalid` at its path. */
export function badValue(product: string, path: string, message: string): never {
  throw invalid(`${product}: ${path}: ${message}`, [{ path, message }]);
}

/** An integer field of a product object within a range, else `invalid` naming the field. */
export function intField(
  product: string,
  o: Obj,
  key: string,
  path: string,
  min: number,
  max: number,
): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    badValue(
      product,
      `${path}/${key}`,
      `must be an integer from ${min} to ${max}, got ${JSON.stringify(v) ?? 'nothing'}`,
    );
  return v;
}

export const pad2 = (n: number) => String(n).padStart(2, '0');
