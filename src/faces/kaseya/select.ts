import { syntaxError } from '../shared/odata/index.ts';
import type { FieldMap } from '../shared/odata/index.ts';

// `$select=AgentId,AgentName`: only the listed fields of each record of a list. A name is matched ignoring
// case, as $filter's are; one the records do not have is a 400 naming it. The names a list knows are its
// field map's plus the record's objects (Attributes), or, for a list without a map, the record's keys.

export function selected<T>(
  query: Readonly<Record<string, unknown>>,
  records: readonly T[],
  fields?: FieldMap,
): T[] | unknown[] {
  const raw = Object.hasOwn(query, '$select') ? query.$select : undefined;
  if (raw === undefined) return [...records];
  if (Array.isArray(raw)) throw syntaxError('$select', 'is given more than once');
  if (typeof raw !== 'string') throw syntaxError('$select', 'must be text');
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (!names.length || names.includes('*')) return [...records];
  const first = records[0];
  const known = fields
    ? [...Object.keys(fields), 'Attributes']
    : first && typeof first === 'object'
      ? Object.keys(first)
      : [];
  if (!known.length && !fields) return [...records];
  const picked = names.map((n) => {
    const hit = known.find((k) => k === n) ?? known.find((k) => k.toLowerCase() === n.toLowerCase());
    if (hit === undefined)
      throw syntaxError('$select', `unknown field '${n}': expected one of ${known.join(', ')}`);
    return hit;
  });
  return records.map((r) =>
    r && typeof r === 'object'
      ? Object.fromEntries(picked.map((k) => [k, (r as Record<string, unknown>)[k] ?? null]))
      : r,
  );
}
