// For callers that want all-or-nothing (a single advisory uploaded through the API): parse errors as a DomainError.
import { invalid } from '../errors.ts';
import { formatLocation, type ParseResult } from './model.ts';

/** Returns the records, or throws `invalid` listing every error with its place (`file#/pointer`). */
export function assertParsed<T>(result: ParseResult<T>): T[] {
  if (result.errors.length === 0) return result.records;
  const first = result.errors[0];
  const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
  throw invalid(
    `${first ? `${formatLocation(first)}: ${first.message}` : 'advisory file is invalid'}${more}`,
    result.errors.map((e) => ({ path: formatLocation(e), message: e.message })),
  );
}
