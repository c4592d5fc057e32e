// The agent protocol (version 1) as a client: one POST per message, a timeout on each, and a clear split
// between "the server said no" (HttpError with its status) and "the server could not be reached"
// (UnreachableError), which the agent answers by queueing and backing off.
import { createHash } from 'node:crypto';
import type {
  CheckInRequest,
  CheckInResponse,
  CredentialResponse,
  EnrollRequest,
  EnrollResponse,
  JobProgressRequest,
  JobProgressResponse,
  JobResultRequest,
  JobResultResponse,
  ScanRequest,
  ScanResponse,
} from '../wire/agent.ts';
import type { AuditReport, AuditResponse } from '../wire/audit.ts';
import { httpFetch } from './http.ts';

// the messages' types are the server's route schemas (wire/agent.ts): one definition for both ends
export type {
  CheckInRequest,
  CheckInResponse,
  EnrollRequest,
  EnrollResponse,
  Job,
  JobProgressRequest,
  JobProgressResponse,
  JobResultRequest,
  JobResultResponse,
  ReportedUpdate,
  ScanRequest,
  ScanResponse,
} from '../wire/agent.ts';

/** the server answered with an error status */
export class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(path: string, status: number, body: unknown) {
    const detail =
      (body as { detail?: string; title?: string } | null)?.detail ??
      (body as { title?: string } | null)?.title;
    super(`POST ${path} answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'HttpError';
    this.status = status;
    this.body = body;
  }
  /** worth sending again later (the server is overloaded or restarting), unlike a rejected message */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** no answer: connection refused, reset, or timed out */
export class UnreachableError extends Error {
  constructor(path: string, cause: unknown) {
    super(`POST ${path}: the server is unreachable (${(cause as Error)?.message ?? String(cause)})`);
    this.name = 'UnreachableError';
  }
}

/** the server refused this agent's credential for another machine: a cloned agent (HTTP 409 at check-in) */
export const isCloneRefusal = (e: unknown) => e instanceof HttpError && e.status === 409;

/** worth retrying later: no answer, or an answer that says "not now" */
export const isTransient = (e: unknown) =>
  e instanceof UnreachableError || (e instanceof HttpError && e.retryable);

/**
 * What the agent needs of an HTTP client: the global fetch fits, and so does agent/http.ts's httpFetch,
 * the default (it keeps undici, about 15 MB, out of the agent's memory).
 */
export type AgentFetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> }>;

export interface ClientOptions {
  server: string;
  credential?: string;
  /** per request; default 30 s */
  timeoutMs?: number;
  fetch?: AgentFetch;
}

export class ProtocolClient {
  private readonly base: string;
  credential: string | undefined;
  private readonly timeoutMs: number;
  private readonly doFetch: AgentFetch;

  constructor(o: ClientOptions) {
    this.base = `${o.server.replace(/\/+$/, '')}/agent/v1`;
    this.credential = o.credential;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.doFetch = o.fetch ?? httpFetch;
  }

  async post<T>(path: string, body: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth && this.credential) headers.authorization = `Bearer ${this.credential}`;
    let res: Awaited<ReturnType<AgentFetch>>;
    try {
      res = await this.doFetch(`${this.base}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body ?? {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new UnreachableError(path, e);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new UnreachableError(path, e);
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!res.ok) throw new HttpError(path, res.status, parsed);
    return parsed as T;
  }

  enroll(r: EnrollRequest) {
    return this.post<EnrollResponse>('/enroll', r, false);
  }
  checkIn(r: CheckInRequest) {
    return this.post<CheckInResponse>('/checkin', r);
  }
  scan(r: ScanRequest) {
    return this.post<ScanResponse>('/scans', r);
  }
  jobProgress(jobId: number, r: JobProgressRequest) {
    return this.post<JobProgressResponse>(`/jobs/${jobId}/progress`, r);
  }
  jobResult(jobId: number, r: JobResultRequest) {
    return this.post<JobResultResponse>(`/jobs/${jobId}/result`, r);
  }
  /** where the server serves a staged package (GET, the device credential) */
  packageUrl(sha256: string) {
    return `${this.base}/packages/${sha256}`;
  }
  /** an audit of the machine (wire/audit.ts), sent when a scan job asks for one */
  audit(r: AuditReport) {
    return this.post<AuditResponse>('/audit', r);
  }
  rotateCredential() {
    return this.post<CredentialResponse>('/credential/rotate', {});
  }
}

/**
 * Full-jitter exponential backoff: a random wait in [0, min(cap, base * 2^attempt)], so a fleet that
 * lost its server does not come back in one wave.
 */
export function backoffMs(attempt: number, baseMs = 1000, capMs = 300_000, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** the interval with ±`spread` jitter (0.1 = ±10%) */
export function jittered(ms: number, spread = 0.1, random = Math.random): number {
  return Math.max(0, Math.round(ms * (1 - spread + 2 * spread * random())));
}

/**
 * Where a package can be downloaded from, in the order the server gave (services/staging.ts
 * packageSources: relays, then the server, then the vendor): `url` is the package's full address.
 */
export interface DownloadSource {
  kind: 'relay' | 'server' | 'direct';
  url: string;
}

export interface DownloadOptions {
  /** whether the vendor's own address may be used when no relay or the server could serve it */
  allowDirect: boolean;
  /** sent to the server only (never to a relay or a vendor) */
  credential?: string;
  timeoutMs?: number;
  fetch?: AgentFetch;
}

/** one source that did not deliver: why */
export interface DownloadAttempt {
  kind: DownloadSource['kind'];
  url: string;
  error: string;
}

/**
 * Downloads a package by its SHA-256: tries the sources in order, keeps the first whose bytes have that
 * hash, and uses a `direct` source only when `allowDirect`. Throws with every attempt's reason when none
 * delivered.
 */
export async function downloadPackage(
  sha256: string,
  sources: readonly DownloadSource[],
  o: DownloadOptions,
): Promise<{ bytes: Uint8Array; source: DownloadSource; attempts: DownloadAttempt[] }> {
  const want = sha256.toLowerCase();
  const doFetch = o.fetch ?? httpFetch;
  const attempts: DownloadAttempt[] = [];
  for (const source of sources) {
    if (source.kind === 'direct' && !o.allowDirect) continue;
    const fail = (error: string) => attempts.push({ kind: source.kind, url: source.url, error });
    try {
      const headers: Record<string, string> = {};
      // only the server gets the device's credential: relays answer by hash over plain HTTP and need none
      if (source.kind === 'server' && o.credential) headers.authorization = `Bearer ${o.credential}`;
      const res = await doFetch(source.url, {
        headers,
        signal: AbortSignal.timeout(o.timeoutMs ?? 300_000),
      });
      if (!res.ok) {
        fail(`answered ${res.status}`);
        continue;
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      const got = createHash('sha256').update(bytes).digest('hex');
      if (got !== want) {
        fail(`the content's SHA-256 is ${got}, not ${want}`);
        continue;
      }
      return { bytes, source, attempts };
    } catch (e) {
      fail(`unreachable (${(e as Error).message})`);
    }
  }
  const tried = attempts.map((a) => `${a.kind} ${a.url}: ${a.error}`).join('; ');
  throw new Error(
    `package ${want} could not be downloaded${tried ? `: ${tried}` : ': no usable source'}` +
      (!o.allowDirect && sources.some((s) => s.kind === 'direct') ? ' (direct download is not allowed)' : ''),
  );
}
