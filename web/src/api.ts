// The console's only way to the server: the native API at /api/v1 with a Bearer session token.
import type * as wire from '../../src/wire/native.ts';
import type { DeviceUpdate, Role } from '../../src/wire/native.ts';

// the resources' types are the server's response schemas (src/wire/native.ts): types only, nothing of
// the server is bundled
export type {
  ApiKey,
  Converted,
  Device,
  DeviceUpdate,
  Event as PatchEvent,
  Group,
  Me,
  Organization,
  PageOf as Page,
  PolicyPreview,
  Role,
  Scope,
  StatusCounts as Status,
  Task,
  TaskInstance,
  TaskInstanceDetail,
  User,
  WindowOccurrences,
} from '../../src/wire/native.ts';
export type Severity = DeviceUpdate['severity'];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** "body/roleId" → "Role", "/schedule/start" → "Schedule start" */
export function fieldLabel(path: string): string {
  const words = path
    .replace(/^(body|querystring|params)\//, '')
    .split('/')
    .filter((p) => p && !/^\d+$/.test(p))
    .map((p) =>
      p
        .replace(/Ids?$/, '')
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toLowerCase(),
    )
    .join(' ')
    .trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'The form';
}

/** the validator's sentence as a person would say it */
export function readableIssue(path: string, message: string): string {
  const isId = /Ids?$/.test(path);
  let m: RegExpMatchArray | null;
  if ((m = message.match(/^must NOT have fewer than (\d+) characters?$/)))
    return m[1] === '1' ? 'is required' : `needs at least ${m[1]} characters`;
  if ((m = message.match(/^must NOT have more than (\d+) characters?$/)))
    return `can have at most ${m[1]} characters`;
  if ((m = message.match(/^must NOT have fewer than (\d+) items?$/)))
    return m[1] === '1' ? 'needs at least one' : `needs at least ${m[1]}`;
  if ((m = message.match(/^must be >= (-?[\d.]+)$/))) return isId ? 'choose one' : `must be at least ${m[1]}`;
  if ((m = message.match(/^must be <= (-?[\d.]+)$/))) return `must be at most ${m[1]}`;
  if ((m = message.match(/^must have required property '(.+)'$/))) return `${fieldLabel(m[1]!)} is required`;
  if (/^must be integer$/.test(message)) return isId ? 'choose one' : 'must be a whole number';
  if (/^must match format "date-time"$/.test(message)) return 'must be a date and time';
  if (/^must match format "email"$/.test(message)) return 'must be an e-mail address';
  if (/^must be equal to one of the allowed values$/.test(message)) return 'is not one of the choices';
  return message;
}

const TOKEN_KEY = 'patchline.token';
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
const listeners = new Set<(t: string | null) => void>();

export const getToken = () => token;
export function setToken(t: string | null) {
  token = t;
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
  for (const l of listeners) l(t);
}
export function onTokenChange(l: (t: string | null) => void) {
  listeners.add(l);
  return () => void listeners.delete(l);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'the Patchline server cannot be reached; check that it is running');
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => null)) as
    (T & { detail?: string; errors?: { path: string; message: string }[] }) | null;
  if (!res.ok) {
    // a session that expired or was ended elsewhere: back to the sign-in page
    if (res.status === 401 && token && path !== '/auth/login') setToken(null);
    // the schema validator's findings, in words: "Role: choose one" rather than "body/roleId must be >= 1"
    const issues = (data?.errors ?? []).map((i) => ({
      path: fieldLabel(i.path),
      message: readableIssue(i.path, i.message),
    }));
    const message =
      issues.length && /^invalid (body|querystring|params)/.test(data?.detail ?? '')
        ? issues.map((i) => `${i.path}: ${i.message}.`).join(' ')
        : (data?.detail ?? `${res.status} ${res.statusText}`);
    throw new ApiError(res.status, message, issues);
  }
  return data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);

/** a query string from defined, non-empty values */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = (path: string) => api<void>('DELETE', path);

/** the canonical schedule model (src/core/schedule/model.ts); the console builds a few of its shapes */
export interface CanonicalSchedule {
  recurrence: { kind: string; every?: number; days?: string[]; on?: { kind: string; day?: number | 'last' } };
  start: string;
  zone: { kind: 'server' } | { kind: 'device' } | { kind: 'named'; name: string };
  end: { kind: string };
  [more: string]: unknown;
}
/**
 * The server answers a policy's rule and schedule as open records (it serializes what core's parsers
 * made, and a precise schema would drop fields a new rule kind adds): the console names the fields it
 * reads
 */
export interface Policy extends Omit<wire.Policy, 'rule' | 'schedule'> {
  /** the selection rule as a body writes it (GET's answer can be PUT back): {kind, ...its fields, classes, …} */
  /** null for a worklet or required-software policy (their settings: `worklet`, `requiredSoftware`) */
  rule: {
    kind: string;
    severities?: string[];
    vendorProducts: unknown;
    classes: unknown;
    includeOptional: boolean;
    [more: string]: unknown;
  } | null;
  schedule: CanonicalSchedule | null;
}
/** the window's settings are an open record on the server (core/windows parses them): the fields read here */
export interface MaintenanceWindow extends Omit<wire.MaintenanceWindow, 'settings'> {
  settings: {
    scan?: { sameScheduleForAll?: boolean; schedule?: { format: string; value: unknown } | null };
    [more: string]: unknown;
  };
}
// no response schema on the catalog routes yet: the console's own view of their answers
export interface Bulletin {
  id: number;
  source: string;
  externalId: string | null;
  vendor: { id: number; name: string } | null;
  title: string | null;
  summary: string | null;
  severity: Severity;
  cvssScore: number | null;
  releasedAt: string | null;
  url: string | null;
  enabled: boolean;
  cves: string[];
}
export interface Cve {
  id: string;
  description: string | null;
  cvssScore: number | null;
  severity: Severity;
  knownExploited: boolean;
  epssProbability: number | null;
  publishedAt: string | null;
  bulletins: Bulletin[];
  exposedDevices: {
    deviceId: number;
    deviceName: string;
    organizationId: number;
    update: { id: number; name: string; kind: string; kb: string | null; version: string | null };
    installedVersion: string | null;
    status: string;
  }[];
}
export type { ComplianceBucket } from '../../src/core/status.ts';
/**
 * GET /compliance: the schema documents a top CVE's severity as a plain string (the OpenAPI document
 * stays as it is); the service answers a core Severity, which the console's badge takes
 */
export interface Compliance extends Omit<wire.Compliance, 'cves'> {
  cves: Omit<wire.Compliance['cves'], 'top'> & {
    top: (Omit<wire.Compliance['cves']['top'][number], 'severity'> & { severity: Severity })[];
  };
}
/** a role with everything the server says of it (the schema's Role has it all) */
export type RoleDetail = Role;

/** GET /update-statuses: the server's statuses and their named groups (core/status.ts) */
export type { UpdateStatuses } from '../../src/wire/native.ts';
