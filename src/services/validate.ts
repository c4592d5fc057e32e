import { IANAZone } from 'luxon';
import { invalid } from '../core/errors.ts';

export function checkTimeZone(zone: string, path: string) {
  if (!IANAZone.isValidZone(zone))
    throw invalid(`unknown time zone '${zone}'`, [
      { path, message: 'must be an IANA time zone such as Europe/Berlin' },
    ]);
}

export function checkName(value: string, path: string, max = 200): string {
  const v = value.trim();
  if (!v || v.length > max)
    throw invalid(`invalid ${path.replace(/^\//, '')}`, [
      { path, message: `must be 1 to ${max} characters, not blank` },
    ]);
  return v;
}
