import { invalid, notFound } from '../../core/errors.ts';

// GUIDs as Altiris renders them (seed 000: "If API receives GUID or list of GUID's – they are provided as
// strings. In case of GUID list – GUID entries are comma-separated."). Every Patchline entity has one
// integer id (core/ids.ts); its GUID is that id and its kind, written reversibly, so it is stable without
// any table: the first group names the kind, the last 15 hex digits hold the id, version 4 and the
// RFC 4122 variant are set. Rendered in lower case without braces, as the seed's examples; parsed back
// case-insensitively with or without braces. A few GUIDs the seed names (the "Distribute Software
// Updates" and "Download Software Update Package" tasks, the import tasks, the default plug-in policy,
// the products) are well known and mapped to what stands for them here.

export const GUID_KINDS = {
  bulletin: 'b0113710',
  update: 'c0de0bda',
  policy: 'b011c1e5',
  task: 'ba5c0001',
  instance: 'ba5c1257',
  group: '960b0001',
  device: 'de71ce00',
  organization: '06a10000',
  packageServer: 'bac5e7e0',
  severity: '5e7e0000',
  privilege: '9a1f0000',
  product: '50f7a4e0',
} as const;
export type GuidKind = keyof typeof GUID_KINDS;

const KIND_OF = new Map<string, GuidKind>(Object.entries(GUID_KINDS).map(([k, v]) => [v, k as GuidKind]));

/** what each kind is called in an error message */
export const KIND_NAMES: Record<GuidKind, string> = {
  bulletin: 'software bulletin',
  update: 'software update',
  policy: 'software update policy',
  task: 'task',
  instance: 'task instance',
  group: 'resource target',
  device: 'computer',
  organization: 'organization',
  packageServer: 'package server',
  severity: 'custom severity',
  privilege: 'privilege',
  product: 'software release',
};

export function renderGuid(kind: GuidKind, id: number): string {
  const hex = id.toString(16).padStart(15, '0');
  return `${GUID_KINDS[kind]}-0000-4000-8${hex.slice(0, 3)}-${hex.slice(3)}`;
}

export const renderGuids = (kind: GuidKind, ids: readonly number[]) =>
  ids.map((i) => renderGuid(kind, i)).join(',');

const GUID = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** a GUID's canonical text (lower case, no braces), or undefined when the text is no GUID */
export function normalizeGuid(text: string): string | undefined {
  const t = text.trim();
  const m = GUID.exec(t);
  if (!m || t.startsWith('{') !== t.endsWith('}')) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`.toLowerCase();
}

/** the well-known GUIDs of the seed, by their canonical text */
export const WELL_KNOWN = {
  distributeTask: '99b6a96a-f0a2-40fa-88bb-9ddfa97b4ddf',
  stagingTask: '3d500009-23aa-477c-82a5-8b707c9f8c29',
  windowsImport: 'c27dbb50-6ddf-4125-87c1-d8f5b588491d',
  suseImport: '1d4f02e9-c667-41e5-b1a4-6f08d30e1661',
  defaultPluginPolicy: '0d1cb0d4-b256-44da-a74d-d7fb68364d29',
  productCore: 'c6d19f78-1434-49ac-bec8-d18255e99f57',
  productWindows: 'b1338338-5575-4a27-9808-23bec40d79fa',
  productLinux: 'aacd4da3-ac4f-4f44-9477-eee8d2df323c',
  productMac: 'c6b52ec2-597c-4efe-8830-b92f11888a4a',
} as const;
export type WellKnown = keyof typeof WELL_KNOWN;
const WELL_KNOWN_BY_GUID = new Map<string, WellKnown>(
  Object.entries(WELL_KNOWN).map(([k, v]) => [v, k as WellKnown]),
);

export type ParsedGuid = { kind: GuidKind; id: number } | { kind: 'wellKnown'; name: WellKnown };

/** what a GUID names; `param` is the parameter it came in, for the fault */
export function parseGuid(text: string, param: string): ParsedGuid {
  const g = normalizeGuid(text);
  if (!g)
    throw invalid(`${param}: '${text.slice(0, 80)}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`, [
      { path: param, message: 'must be a GUID' },
    ]);
  const known = WELL_KNOWN_BY_GUID.get(g);
  if (known) return { kind: 'wellKnown', name: known };
  const kind = KIND_OF.get(g.slice(0, 8));
  const id = Number.parseInt(g.slice(20, 23) + g.slice(24), 16);
  if (!kind || g.slice(9, 20) !== '0000-4000-8' || !Number.isSafeInteger(id) || id <= 0)
    throw notFound('item', g);
  return { kind, id };
}

/** the id of a GUID that must name a `kind` (not found otherwise, as an unknown item) */
export function guidOf(kind: GuidKind, text: string, param: string): number {
  const p = parseGuid(text, param);
  if (p.kind !== kind) throw notFound(KIND_NAMES[kind], normalizeGuid(text) ?? text);
  return p.id;
}

/** the entries of a comma-separated list (blank entries skipped) */
export const listEntries = (text: string): string[] =>
  text
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** a comma-separated GUID list, each of `kind` */
export const guidListOf = (kind: GuidKind, text: string, param: string): number[] => [
  ...new Set(listEntries(text).map((t) => guidOf(kind, t, param))),
];

/** a comma-separated GUID list of several kinds */
export const parseGuidList = (text: string, param: string): ParsedGuid[] =>
  listEntries(text).map((t) => parseGuid(t, param));
