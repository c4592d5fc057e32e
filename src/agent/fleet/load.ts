// Load for the benchmarks: HTTP/1.1 over keep-alive connections written and read on raw sockets, one
// request in flight per connection (no pipelining). A benchmark's client shares the machine with the
// server and its database, so it must spend as little of it as it can: node:http costs several times
// what this does per request, and that CPU is taken from the server it measures (and more from a heavy
// route than from a bare one, which skews a ratio of the two). Requests and answers are plain bytes;
// an answer is read by its Content-Length or its chunks, and its status is all that is kept.
import { connect, type Socket } from 'node:net';
import { ErrorCounts, Latencies, type LatencySummary } from './stats.ts';

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  /** per request: headers and body (e.g. a different device credential each time) */
  request?: (i: number) => { headers?: Record<string, string>; body?: string };
  concurrency: number;
  durationSeconds: number;
  /** stop after this many requests (a pass over a fleet), even before the duration ends */
  maxRequests?: number;
  /** each answer's body, for a benchmark that sends back what the server said (request i's answer) */
  onAnswer?: (i: number, status: number, body: Buffer) => void;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  latencyMs: LatencySummary;
  errors: number;
  topErrors: { message: string; count: number }[];
  /** CPU this process spent per answered request, in microseconds (the client's own cost) */
  clientCpuMicros: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** the bytes of one request */
export function requestBytes(
  url: URL,
  method: string,
  r: { headers?: Record<string, string>; body?: string },
): Buffer {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [k, v] of Object.entries(r.headers ?? {})) head += `${k}: ${v}\r\n`;
  if (r.body !== undefined) {
    const body = Buffer.from(r.body);
    if (!r.headers?.['content-type']) head += 'content-type: application/json\r\n';
    return Buffer.concat([Buffer.from(`${head}content-length: ${body.length}\r\n\r\n`), body]);
  }
  return Buffer.from(`${head}\r\n`);
}

/**
 * Reads HTTP/1.1 answers from a byte stream: feed it chunks, it returns the status of each answer that
 * completed (and whether the server asked to close). Handles Content-Length and chunked bodies.
 */
export class ResponseReader {
  constructor(private readonly keepBody = false) {}
  private buf: Buffer = Buffer.alloc(0);
  private body: Buffer[] = [];
  private status = 0;
  private close = false;
  /** bytes of body still to skip (Content-Length), or -1 while reading chunks, or -2 between answers */
  private remaining = -2;

  feed(chunk: Buffer): { status: number; close: boolean; body?: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const done: { status: number; close: boolean; body?: Buffer }[] = [];
    const finish = () => {
      done.push({
        status: this.status,
        close: this.close,
        ...(this.keepBody ? { body: Buffer.concat(this.body) } : {}),
      });
      this.body = [];
      this.remaining = -2;
    };
    for (;;) {
      if (this.remaining === -2) {
        const end = this.buf.indexOf(CRLF2);
        if (end < 0) return done;
        const head = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end + 4);
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (!m) throw new Error(`not an HTTP answer: ${JSON.stringify(head.slice(0, 40))}`);
        this.status = Number(m[1]);
        this.close = /\r\nconnection:\s*close/i.test(head);
        const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (len) this.remaining = Number(len[1]);
        else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) this.remaining = -1;
        else if (this.status === 204 || this.status === 304) this.remaining = 0;
        else throw new Error('an answer without Content-Length or chunks');
      }
      if (this.remaining === -1) {
        // chunked: <hex size>\r\n<data>\r\n ... 0\r\n\r\n (no trailers expected)
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) return done;
        const size = parseInt(this.buf.toString('latin1', 0, eol), 16);
        if (!Number.isFinite(size)) throw new Error('a bad chunk size');
        const need = eol + 2 + size + 2;
        if (this.buf.length < need) return done;
        if (this.keepBody) this.body.push(this.buf.subarray(eol + 2, eol + 2 + size));
        this.buf = this.buf.subarray(need);
        if (size === 0) finish();
        continue;
      }
      if (this.buf.length < this.remaining) return done;
      if (this.keepBody) this.body.push(this.buf.subarray(0, this.remaining));
      this.buf = this.buf.subarray(this.remaining);
      finish();
    }
  }
}

/** one keep-alive connection with at most one request in flight */
type Answer = { status: number; body?: Buffer };

class Connection {
  private socket: Socket | undefined;
  private reader: ResponseReader;
  private waiting: ((r: Answer | Error) => void) | undefined;

  constructor(
    private readonly url: URL,
    private readonly keepBody = false,
  ) {
    this.reader = new ResponseReader(keepBody);
  }

  private open(): Socket {
    const s = connect({ host: this.url.hostname, port: Number(this.url.port || 80), noDelay: true });
    this.reader = new ResponseReader(this.keepBody);
    s.on('data', (chunk: Buffer) => {
      let answers;
      try {
        answers = this.reader.feed(chunk);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      for (const a of answers) {
        if (a.close) this.drop();
        const w = this.waiting;
        this.waiting = undefined;
        w?.(a);
      }
    });
    s.on('error', (e) => this.fail(e));
    s.on('close', () => this.fail(new Error('the server closed the connection')));
    return s;
  }

  private drop() {
    this.socket?.removeAllListeners('close');
    this.socket?.destroy();
    this.socket = undefined;
  }

  private fail(e: Error) {
    this.drop();
    const w = this.waiting;
    this.waiting = undefined;
    w?.(e);
  }

  send(bytes: Buffer): Promise<Answer | Error> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      (this.socket ??= this.open()).write(bytes);
    });
  }

  close() {
    this.drop();
  }
}

function summary(lat: Latencies, errors: ErrorCounts, started: number, cpu0: NodeJS.CpuUsage): LoadResult {
  const secs = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    requests: lat.count,
    perSecond: Math.round(lat.count / secs),
    latencyMs: lat.summary(),
    errors: errors.total,
    topErrors: errors.top(3),
    clientCpuMicros: lat.count ? Math.round((cpu.user + cpu.system) / lat.count) : 0,
  };
}

const record = (lat: Latencies, errors: ErrorCounts, r: Answer | Error, t: number) => {
  if (r instanceof Error) errors.add(r);
  else if (r.status < 400) lat.add(performance.now() - t);
  else errors.add(new Error(`HTTP ${r.status}`));
};

/** Closed loop: `concurrency` requests always in flight, each on its own connection, for a fixed time. */
export async function closedLoop(o: LoadOptions): Promise<LoadResult> {
  const url = new URL(o.url);
  const fixed = o.request ? undefined : requestBytes(url, o.method, {});
  const lat = new Latencies();
  const errors = new ErrorCounts();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const end = started + o.durationSeconds * 1000;
  const max = o.maxRequests ?? Infinity;
  const conns = Array.from({ length: o.concurrency }, () => new Connection(url, !!o.onAnswer));
  await Promise.all(
    conns.map(async (c) => {
      while (n < max && performance.now() < end) {
        const i = n++;
        const bytes = fixed ?? requestBytes(url, o.method, o.request!(i));
        const t = performance.now();
        const r = await c.send(bytes);
        record(lat, errors, r, t);
        if (o.onAnswer && !(r instanceof Error)) o.onAnswer(i, r.status, r.body!);
      }
    }),
  );
  for (const c of conns) c.close();
  return summary(lat, errors, started, cpu0);
}

/**
 * Open loop: requests start at a fixed rate whatever the answers do (as a fleet's check-ins arrive),
 * so the latency is the server's under that rate, not shaped by the client waiting. A request due while
 * every connection is busy opens another (up to 256, then it waits for one).
 */
export async function openLoop(
  o: Omit<LoadOptions, 'concurrency'> & { ratePerSecond: number },
): Promise<LoadResult> {
  const MAX_CONNECTIONS = 256;
  const url = new URL(o.url);
  const lat = new Latencies();
  const errors = new ErrorCounts();
  const idle: Connection[] = [];
  const all: Connection[] = [];
  const freed: (() => void)[] = [];
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const total = Math.round(o.ratePerSecond * o.durationSeconds);
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / o.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    let c = idle.pop();
    if (!c && all.length < MAX_CONNECTIONS) all.push((c = new Connection(url)));
    while (!c) {
      await new Promise<void>((r) => freed.push(r));
      c = idle.pop();
    }
    const conn = c;
    const bytes = requestBytes(url, o.method, o.request?.(i) ?? {});
    const t = performance.now();
    const p = conn.send(bytes).then((r) => {
      record(lat, errors, r, t);
      idle.push(conn);
      inflight.delete(p);
      freed.shift()?.();
    });
    inflight.add(p);
  }
  await Promise.all(inflight);
  for (const c of all) c.close();
  return summary(lat, errors, started, cpu0);
}
