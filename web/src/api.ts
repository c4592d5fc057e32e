// The console's only way to the server: the native API at /api/v1 with a Bearer session token.
import type { DeviceUpdate, Role } from '../../src/wire/native.ts';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
export interface Me {
  type: string;
  userId: number | null;
  name: string;
  privileges: string[];
  scope: { allOrganizations: boolean; organizations: number[] };
}
// the resources' types are the server's response schemas (src/wire/native.ts): types only, nothing of
// the server is bundled
export type {
  ApiKey,
  Device,
  DeviceUpdate,
  Event as PatchEvent,
  Group,
  Organization,
  Role,
  Scope,
  User,
} from '../../src/wire/native.ts';
export type Severity = DeviceUpdate['severity'];
export interface Status {
  organizations: number;
  devices: number;
  missingUpdates: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
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
    throw new ApiError(res.status, data?.detail ?? `${res.status} ${res.statusText}`, data?.errors ?? []);
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
export interface Policy {
  id: number;
  organizationId: number;
  name: string;
  notes: string;
  enabled: boolean;
  /** the selection rule as a body writes it (GET's answer can be PUT back): {kind, ...its fields, classes, …} */
  rule: {
    kind: string;
    severities?: string[];
    vendorProducts: unknown;
    classes: unknown;
    includeOptional: boolean;
    [more: string]: unknown;
  };
  targets: { groups: number[]; devices: number[]; deviceFilter: number | null };
  schedule: CanonicalSchedule | null;
  behaviour: Record<string, unknown>;
  taskId: number | null;
  nextRunAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}
export interface PolicyPreview {
  policyId: number;
  enabled: boolean;
  scheduled: boolean;
  devices: {
    deviceId: number;
    name: string;
    timeZone: string;
    nextOccurrence: string | null;
    nextOccurrenceLocal: string | null;
    windowAllows: boolean | null;
    updates: {
      updateId: number;
      name: string;
      version: string | null;
      severity: string;
      isSecurity: boolean;
      approval: string | null;
    }[];
    excluded: { updateId: number; name: string; reason: string; detail: string }[];
  }[];
}
export interface MaintenanceWindow {
  id: number;
  organizationId: number;
  name: string;
  settings: {
    scan?: { sameScheduleForAll?: boolean; schedule?: { format: string; value: unknown } | null };
    [more: string]: unknown;
  };
  assignments: { policies: number[]; groups: number[] };
  createdAt: string;
  updatedAt: string;
}
export interface Converted {
  from: string;
  to: string;
  canonical: Record<string, unknown>;
  value: unknown;
  occurrences: string[];
}
export interface TaskInstance {
  id: number;
  taskId: number | null;
  organizationId: number | null;
  kind: string;
  occurrenceAt: string | null;
  status: 'NotStarted' | 'Started' | 'Completed' | 'Failed' | 'StopRequested';
  progress: number;
  outputs: Record<string, unknown>;
  error: string | null;
  attempts: number;
  leaseOwner: string | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
export interface TaskInstanceDetail extends TaskInstance {
  devices: {
    deviceId: number;
    status: string;
    result: Record<string, unknown>;
    job: { id: number; kind: string; status: string; result: unknown } | null;
    updatedAt: string;
  }[];
}
export interface Task {
  id: number;
  organizationId: number | null;
  kind: string;
  name: string;
  scheduleId: number | null;
  nextDueAt: string | null;
  enabled: boolean;
}
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

export type ComplianceBucket = 'missing' | 'pending' | 'failed' | 'installed';
/** GET /compliance?organizationId=… (services/compliance.ts) */
export interface Compliance {
  scope: { kind: string; id: number; organizationId: number };
  devices: {
    devices: number;
    scanned: number;
    fullyPatched: number;
    needingReboot: number;
    notSeenRecently: number;
  };
  updates: {
    totals: Record<ComplianceBucket, number>;
    bySeverity: Record<Severity, Record<ComplianceBucket, number>>;
  };
  cves: {
    open: number;
    top: {
      id: string;
      severity: Severity;
      cvssScore: number | null;
      knownExploited: boolean;
      devices: number;
    }[];
  };
  notSeenSince: string;
}
/** GET /maintenance-windows/:id/occurrences */
export interface WindowOccurrences {
  windowId: number;
  zone: string;
  from: string;
  to: string;
  occurrences: { start: string; end: string | null; uses: string[] }[];
  alwaysOpen: string[];
}
/** a role with everything the server says of it (the schema's Role has it all) */
export type RoleDetail = Role;

/** GET /update-statuses: the server's statuses and their named groups (core/status.ts) */
export type { UpdateStatuses } from '../../src/wire/native.ts';
