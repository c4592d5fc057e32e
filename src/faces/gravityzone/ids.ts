import { invalid, notFound } from '../../core/errors.ts';
import { normalPatchId } from '../../core/windows/index.ts';
import { parseHex24Id, renderHex24Id } from '../shared/ids.ts';

// GravityZone's ids: 24 hex digits for companies, groups, endpoints, policies, windows and tasks
// (faces/shared/ids.ts renders them with a kind tag, reversibly); patch ids are GUIDs in braces.

export const GZ_KINDS = {
  company: { tag: 0x01, what: 'company' },
  group: { tag: 0x02, what: 'group' },
  endpoint: { tag: 0x03, what: 'endpoint' },
  policy: { tag: 0x04, what: 'policy' },
  window: { tag: 0x05, what: 'maintenance window' },
  task: { tag: 0x06, what: 'task' },
} as const;
export type GzKind = keyof typeof GZ_KINDS;

export const gzId = (kind: GzKind, id: number): string => renderHex24Id(GZ_KINDS[kind].tag, id);

/** a 24-hex id param: malformed → invalid (-32602); of another kind, or unknown → not found */
export const parseGzId = (kind: GzKind, text: unknown, param: string): number =>
  parseHex24Id(text, GZ_KINDS[kind].tag, GZ_KINDS[kind].what, param);

/**
 * A service's not found for a record named by a param, worded with the id the caller sent (never the
 * internal one), so an id of another tenant answers exactly like one that does not exist.
 */
export async function named<T>(kind: GzKind, text: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Error && (e as { kind?: string }).kind === 'not_found')
      throw notFound(GZ_KINDS[kind].what, text);
    throw e;
  }
}

/**
 * Patch ids: Patchline's update N is `{XXXXXXXX-YYYY-0000-0000-000000000000}` with N's low 32 bits in X
 * and its next 16 in Y (the seed's `{0001354A-0000-0000-0000-000000000000}` is update 79178).
 */
export function patchGuid(updateId: number): string {
  const lo = updateId % 2 ** 32;
  const hi = Math.floor(updateId / 2 ** 32);
  return `{${lo.toString(16).toUpperCase().padStart(8, '0')}-${hi.toString(16).toUpperCase().padStart(4, '0')}-0000-0000-000000000000}`;
}

/** the update a patch id names, or undefined when it names none of Patchline's */
export function updateOfPatchGuid(text: unknown): number | undefined {
  const g = normalPatchId(text);
  const m = g && /^\{([0-9A-F]{8})-([0-9A-F]{4})-0000-0000-000000000000\}$/.exec(g);
  if (!m) return undefined;
  const n = Number.parseInt(m[2]!, 16) * 2 ** 32 + Number.parseInt(m[1]!, 16);
  return n > 0 ? n : undefined;
}

/** a list of patch ids param, read into update ids; a text that is no GUID is invalid */
export function parsePatchGuids(list: readonly unknown[], param: string): number[] {
  const issues: { path: string; message: string }[] = [];
  const ids: number[] = [];
  list.forEach((x, i) => {
    if (normalPatchId(x) === undefined)
      issues.push({ path: `${param}.${i}`, message: 'must be a patch id (a GUID in braces)' });
    else {
      const id = updateOfPatchGuid(x);
      if (id === undefined) throw notFound('patch', String(x));
      ids.push(id);
    }
  });
  if (issues.length) throw invalid(`invalid ${param}`, issues);
  return [...new Set(ids)];
}
