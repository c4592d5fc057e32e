import { DomainError, invalid } from '../../core/errors.ts';
import { checkValue } from '../shared/guard.ts';

// JSON-RPC 2.0 as GravityZone speaks it (seed 002, "Example"): a request `{id, jsonrpc: "2.0", method,
// params}` (params by name, an object), an answer `{id, jsonrpc: "2.0", result}` or `{id, jsonrpc: "2.0",
// error: {code, message, data: {details}}}`, batches as arrays. Errors are answered with HTTP 200; only a
// bad API key is an HTTP error (401, auth.ts). This file reads the envelope and renders answers; it knows
// no method.

export const JSONRPC = '2.0';

/** the standard codes, with GravityZone's messages */
export const CODES = {
  parse: { code: -32700, message: 'Parse error' },
  request: { code: -32600, message: 'Invalid Request' },
  method: { code: -32601, message: 'Method not found' },
  params: { code: -32602, message: 'Invalid params' },
  internal: { code: -32603, message: 'Internal error' },
  server: { code: -32000, message: 'Server error' },
} as const;

/** At most this many calls in one batch: a longer array is one Invalid Request. */
export const MAX_BATCH = 50;

export type RpcId = string | number | null;

export interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly data: { readonly details: string };
}

export type RpcAnswer =
  | { readonly id: RpcId; readonly jsonrpc: typeof JSONRPC; readonly result: unknown }
  | { readonly id: RpcId; readonly jsonrpc: typeof JSONRPC; readonly error: RpcError };

/** One call of a request: well-formed (method and params to run) or already an error answer. */
export type RpcCall =
  | {
      readonly ok: true;
      readonly id: RpcId;
      /** a call without `id` is a notification: it runs and gets no answer */
      readonly notification: boolean;
      readonly method: string;
      readonly params: Record<string, unknown>;
    }
  | { readonly ok: false; readonly answer: RpcAnswer };

export const rpcError = (
  id: RpcId,
  kind: keyof typeof CODES,
  details: string,
): { id: RpcId; jsonrpc: typeof JSONRPC; error: RpcError } => ({
  id,
  jsonrpc: JSONRPC,
  error: { ...CODES[kind], data: { details } },
});

export const rpcResult = (id: RpcId, result: unknown): RpcAnswer => ({ id, jsonrpc: JSONRPC, result });

/**
 * A domain error as a JSON-RPC error: invalid input and unknown records are Invalid params (-32602; an id
 * of another tenant is unknown, so it answers exactly as one that does not exist); what the caller may not
 * do, conflicts (a name already taken), throttling and outages are Server error (-32000). Anything else is
 * not a domain error and is rethrown (a bug: the face answers 500).
 */
export function errorOfDomain(id: RpcId, e: unknown): RpcAnswer {
  if (!(e instanceof DomainError)) throw e;
  const details = e.issues.length
    ? `${e.message}: ${e.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
    : e.message;
  switch (e.kind) {
    case 'invalid':
    case 'not_found':
      return rpcError(id, 'params', details);
    default:
      return rpcError(id, 'server', details);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** the id of a request object, when it has a usable one (else null, as the specification says) */
function idOf(o: Record<string, unknown>): RpcId {
  const id = o.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

/** Reads one request object of a body. */
export function readCall(v: unknown): RpcCall {
  if (!isRecord(v))
    return {
      ok: false,
      answer: rpcError(null, 'request', 'a request must be a JSON object {id, jsonrpc, method, params}'),
    };
  const id = idOf(v);
  const bad = (details: string): RpcCall => ({ ok: false, answer: rpcError(id, 'request', details) });
  if (v.jsonrpc !== JSONRPC) return bad('"jsonrpc" must be "2.0"');
  if (
    'id' in v &&
    v.id !== null &&
    typeof v.id !== 'string' &&
    !(typeof v.id === 'number' && Number.isFinite(v.id))
  )
    return bad('"id" must be a string, a number or null');
  if (typeof v.method !== 'string' || v.method === '') return bad('"method" must be a non-empty string');
  const params = v.params === undefined ? {} : v.params;
  if (!isRecord(params))
    return {
      ok: false,
      answer: rpcError(id, 'params', '"params" must be an object of named parameters'),
    };
  return { ok: true, id, notification: !('id' in v), method: v.method, params };
}

/**
 * Reads a body: one request, or a batch (an array of 1 to MAX_BATCH requests). Text that is not JSON is
 * a Parse error; an empty or oversized array is one Invalid Request. The parsed value goes through the
 * input guard's walk (nesting depth, NUL and lone surrogates), which the raw text did not.
 */
export function readBody(text: string): { batch: boolean; calls: RpcCall[] } | RpcAnswer {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return rpcError(null, 'parse', `the body is not valid JSON: ${(e as Error).message}`);
  }
  try {
    checkValue(v, 'body');
  } catch (e) {
    if (e instanceof DomainError)
      return rpcError(null, 'request', e.issues.map((i) => `${i.path} ${i.message}`).join('; '));
    throw e;
  }
  if (!Array.isArray(v)) return { batch: false, calls: [readCall(v)] };
  if (v.length === 0) return rpcError(null, 'request', 'a batch must hold at least one request');
  if (v.length > MAX_BATCH)
    return rpcError(null, 'request', `a batch holds at most ${MAX_BATCH} requests, got ${v.length}`);
  return { batch: true, calls: v.map(readCall) };
}

// ---- reading params: each method names what it reads; an unexpected value is Invalid params ----------

type Issue = { path: string; message: string };

/** Reads named params with the issues collected; `done` throws them all as one `invalid`. */
export class Params {
  readonly issues: Issue[] = [];
  constructor(
    readonly values: Record<string, unknown>,
    readonly method: string,
  ) {}

  private add(path: string, message: string) {
    this.issues.push({ path, message });
    return undefined;
  }

  has(key: string) {
    return this.values[key] !== undefined;
  }

  string(key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const v = this.values[key];
    if (v === undefined) return opts.required ? this.add(key, 'is required') : undefined;
    if (typeof v !== 'string') return this.add(key, `must be a string, got ${describe(v)}`);
    if (opts.max !== undefined && v.length > opts.max)
      return this.add(key, `must be at most ${opts.max} characters, got ${v.length}`);
    return v;
  }

  boolean(key: string, opts: { required?: boolean } = {}): boolean | undefined {
    const v = this.values[key];
    if (v === undefined) return opts.required ? this.add(key, 'is required') : undefined;
    if (typeof v !== 'boolean') return this.add(key, `must be a boolean, got ${describe(v)}`);
    return v;
  }

  integer(key: string, opts: { min: number; max: number; required?: boolean }): number | undefined {
    const v = this.values[key];
    if (v === undefined) return opts.required ? this.add(key, 'is required') : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v))
      return this.add(key, `must be an integer, got ${describe(v)}`);
    if (v < opts.min || v > opts.max)
      return this.add(key, `must be between ${opts.min} and ${opts.max}, got ${v}`);
    return v;
  }

  /** a list of 1 to `max` values (strings unless told) */
  list(key: string, opts: { required?: boolean; max: number; min?: number }): unknown[] | undefined {
    const v = this.values[key];
    if (v === undefined) return opts.required ? this.add(key, 'is required') : undefined;
    if (!Array.isArray(v)) return this.add(key, `must be an array, got ${describe(v)}`);
    if (v.length < (opts.min ?? 1))
      return this.add(key, `must hold at least ${opts.min ?? 1} item${(opts.min ?? 1) === 1 ? '' : 's'}`);
    if (v.length > opts.max) return this.add(key, `must hold at most ${opts.max} items, got ${v.length}`);
    return v;
  }

  object(key: string, opts: { required?: boolean } = {}): Record<string, unknown> | undefined {
    const v = this.values[key];
    if (v === undefined) return opts.required ? this.add(key, 'is required') : undefined;
    if (!isRecord(v)) return this.add(key, `must be an object, got ${describe(v)}`);
    return v;
  }

  /** throws every issue at once */
  done(): void {
    if (this.issues.length) throw invalid(`invalid params of ${this.method}`, this.issues);
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return String(v);
}

/** GravityZone's paging: `page` from 1, `perPage` 1 to 100 (default 30). */
export function readPaging(p: Params): { page: number; perPage: number } {
  const page = p.integer('page', { min: 1, max: 1_000_000 }) ?? 1;
  const perPage = p.integer('perPage', { min: 1, max: 100 }) ?? 30;
  return { page, perPage };
}

/** GravityZone's paged result over a whole list */
export function paged<T>(all: readonly T[], { page, perPage }: { page: number; perPage: number }) {
  return pagedOf(all.slice((page - 1) * perPage, page * perPage), all.length, { page, perPage });
}

/** GravityZone's paged result of one page of `total` */
export function pagedOf<T>(
  items: readonly T[],
  total: number,
  { page, perPage }: { page: number; perPage: number },
) {
  return { page, pagesCount: Math.max(1, Math.ceil(total / perPage)), perPage, total, items };
}
