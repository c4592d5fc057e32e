// The agent's HTTP: the small part of fetch it uses (a method, headers, a text body, an abort signal; the
// status and the body as text or bytes; redirects followed), on node:http and node:https. The global fetch
// would do, but Node loads its implementation (undici) on first use, and that alone adds about 15 MB to a
// process that otherwise idles near 45 MB (bench/agent-memory.ts): the agent's idle budget is 60 MB.
import type { IncomingMessage, RequestOptions } from 'node:http';

export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

/** what the agent reads of an answer (a subset of fetch's Response) */
export interface HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  header(name: string): string | undefined;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type HttpFetch = (url: string, init?: HttpInit) => Promise<HttpResponse>;

const MAX_REDIRECTS = 5;

let httpsModule: typeof import('node:https') | undefined;
let httpModule: typeof import('node:http') | undefined;

async function send(url: URL, init: HttpInit): Promise<IncomingMessage> {
  const lib =
    url.protocol === 'https:'
      ? (httpsModule ??= await import('node:https'))
      : url.protocol === 'http:'
        ? (httpModule ??= await import('node:http'))
        : undefined;
  if (!lib) throw new TypeError(`unsupported URL scheme: ${url.protocol}`);
  const body = typeof init.body === 'string' ? Buffer.from(init.body) : init.body;
  const headers: Record<string, string | number> = { ...init.headers };
  if (body) headers['content-length'] = body.length;
  const options: RequestOptions = { method: init.method ?? 'GET', headers };
  return new Promise((resolve, reject) => {
    const signal = init.signal;
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const req = lib.request(url, options, (res) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(res);
    });
    const onAbort = () => req.destroy(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    req.end(body);
  });
}

function collect(res: IncomingMessage, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onAbort = () => res.destroy(signal?.reason ?? new Error('aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks));
    });
    res.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
  });
}

/** fetch's subset on node:http(s): GET/HEAD redirects are followed (up to 5), as fetch does */
export const httpFetch: HttpFetch = async (input, init = {}) => {
  let url = new URL(input);
  let res = await send(url, init);
  const method = (init.method ?? 'GET').toUpperCase();
  for (let n = 0; res.statusCode! >= 300 && res.statusCode! < 400 && res.headers.location; n++) {
    if (n >= MAX_REDIRECTS) throw new Error(`too many redirects from ${input}`);
    res.resume();
    const sameMethod = res.statusCode === 307 || res.statusCode === 308;
    url = new URL(res.headers.location, url);
    res = await send(
      url,
      sameMethod || method === 'GET' || method === 'HEAD'
        ? init
        : { ...(init.headers ? { headers: init.headers } : {}), method: 'GET', signal: init.signal! },
    );
  }
  const status = res.statusCode ?? 0;
  let body: Promise<Buffer> | undefined;
  const bytes = () => (body ??= collect(res, init.signal));
  return {
    ok: status >= 200 && status < 300,
    status,
    url: url.toString(),
    header: (name) => {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    text: async () => (await bytes()).toString('utf8'),
    json: async () => JSON.parse((await bytes()).toString('utf8')) as unknown,
    arrayBuffer: async () => {
      const b = await bytes();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
};
