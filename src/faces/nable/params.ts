import { invalid } from '../../core/errors.ts';
import { parseStrictInteger } from '../shared/ids.ts';

// The parameters of a Data Extraction API call: `name=value` pairs of the query string and, for POST,
// of the form body. Each is text; a name given twice is refused (which one would count is unclear).

export type Params = Readonly<Record<string, string>>;

/** the query and the form body merged (the body's value wins); refuses repeated or non-text values */
export function readParams(query: unknown, body: unknown): Params {
  const out: Record<string, string> = {};
  for (const source of [query, body]) {
    if (source === undefined || source === null || typeof source !== 'object') continue;
    for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
      if (Array.isArray(v))
        throw invalid(`the parameter ${k} is given ${v.length} times; give it once`, [
          { path: k, message: 'is repeated' },
        ]);
      if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else if (typeof v === 'string') out[k] = v;
      else throw invalid(`the parameter ${k} must be text`, [{ path: k, message: 'must be text' }]);
    }
  }
  return out;
}

const bad = (name: string, message: string) => invalid(`${name} ${message}`, [{ path: name, message }]);

/** a decimal id (clientid, siteid, deviceid): required unless `optional` */
export function idParam(p: Params, name: string): number {
  const text = p[name];
  if (text === undefined || text.trim() === '') throw bad(name, 'is required');
  const n = parseStrictInteger(text.trim());
  if (typeof n === 'string') throw bad(name, n);
  if (n <= 0) throw bad(name, `must be a valid id (a positive whole number), got '${text}'`);
  return n;
}

/** at most this many patch ids in one call */
export const MAX_PATCH_IDS = 1000;

/** patchids: decimal ids separated by commas (spaces around them allowed), at least one */
export function idListParam(p: Params, name: string): number[] {
  const text = p[name];
  if (text === undefined || text.trim() === '') throw bad(name, 'is required: a comma-separated list of ids');
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length > MAX_PATCH_IDS) throw bad(name, `names ${parts.length} ids; at most ${MAX_PATCH_IDS}`);
  return parts.map((s, i) => {
    const n = s === '' ? 'is empty' : parseStrictInteger(s);
    if (typeof n === 'string') throw bad(name, `item ${i + 1} ${n}`);
    if (n <= 0) throw bad(name, `item ${i + 1} must be a positive id, got '${s}'`);
    return n;
  });
}

/** an enumerated text parameter; undefined when absent */
export function choiceParam<T extends string>(
  p: Params,
  name: string,
  choices: readonly T[],
  required = false,
): T | undefined {
  const text = p[name];
  if (text === undefined || text === '') {
    if (required) throw bad(name, `is required: one of ${choices.join(', ')}`);
    return undefined;
  }
  const v = text.trim().toLowerCase() as T;
  if (!choices.includes(v)) throw bad(name, `must be one of ${choices.join(', ')}, got '${text}'`);
  return v;
}

/** describe: true, 1 or yes asks for the description of the service instead of running it */
export function describeParam(p: Params): boolean {
  const t = (p.describe ?? '').trim().toLowerCase();
  if (t === '' || t === '0' || t === 'false' || t === 'no') return false;
  if (t === '1' || t === 'true' || t === 'yes') return true;
  throw bad('describe', `must be true or false, got '${p.describe}'`);
}
