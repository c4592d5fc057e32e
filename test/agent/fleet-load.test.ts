import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closedLoop, openLoop, requestBytes, ResponseReader } from '../../src/agent/fleet/load.ts';

describe('the benchmarks’ HTTP reader', () => {
  it('reads answers by Content-Length, across chunk boundaries, several in one chunk', () => {
    const r = new ResponseReader(true);
    const a = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}';
    const b = 'HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}';
    const bytes = Buffer.from(a + b);
    const got = [];
    for (let i = 0; i < bytes.length; i += 5) got.push(...r.feed(bytes.subarray(i, i + 5)));
    assert.deepEqual(
      got.map((x) => ({ status: x.status, close: x.close, body: x.body!.toString() })),
      [
        { status: 200, close: false, body: '{"a":1}' },
        { status: 404, close: true, body: '{}' },
      ],
    );
    assert.deepEqual(new ResponseReader().feed(Buffer.from(a + a)).length, 2);
  });

  it('reads chunked answers', () => {
    const r = new ResponseReader(true);
    const got = r.feed(
      Buffer.from(
        'HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n' +
          'HTTP/1.1 204 No Content\r\n\r\n',
      ),
    );
    assert.deepEqual(
      got.map((x) => [x.status, x.body!.toString()]),
      [
        [201, 'abcdefg'],
        [204, ''],
      ],
    );
  });

  it('refuses what is not HTTP, and an answer it cannot delimit', () => {
    assert.throws(
      () => new ResponseReader().feed(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')),
      /not an HTTP answer/,
    );
    assert.throws(
      () => new ResponseReader().feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nrest')),
      /Content-Length/,
    );
  });

  it('writes requests with a host, the headers, and a JSON body with its length', () => {
    const b = requestBytes(new URL('http://127.0.0.1:8080/agent/v1/checkin?x=1'), 'POST', {
      headers: { authorization: 'Bearer t' },
      body: '{"é":1}',
    }).toString();
    assert.equal(
      b,
      'POST /agent/v1/checkin?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nauthorization: Bearer t\r\n' +
        'content-type: application/json\r\ncontent-length: 8\r\n\r\n{"é":1}',
    );
  });
});

describe('closed and open loops against a server', () => {
  let server: Server;
  let url: string;
  const seen: { method: string; path: string; auth?: string; body: string }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body });
        if (req.url === '/fail') res.writeHead(500).end('no');
        else if (req.url === '/chunked')
          res.end(JSON.stringify({ n: seen.length })); // no length: chunked
        else res.writeHead(200, { 'content-type': 'application/json' }).end(`{"n":${seen.length}}`);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('keeps C requests in flight and stops after maxRequests, handing each answer over', async () => {
    seen.length = 0;
    const answers = new Map<number, string>();
    const r = await closedLoop({
      url: `${url}/checkin`,
      method: 'POST',
      concurrency: 4,
      durationSeconds: 30,
      maxRequests: 50,
      request: (i) => ({ headers: { authorization: `Bearer d${i}` }, body: `{"i":${i}}` }),
      onAnswer: (i, status, body) => answers.set(i, `${status} ${body.toString()}`),
    });
    assert.equal(r.requests, 50);
    assert.equal(r.errors, 0);
    assert.equal(seen.length, 50);
    assert.deepEqual(
      new Set(seen.map((s) => s.auth)),
      new Set(Array.from({ length: 50 }, (_, i) => `Bearer d${i}`)),
    );
    for (const s of seen) assert.equal(JSON.parse(s.body).i, Number(s.auth!.slice(8)));
    assert.equal(answers.size, 50);
    for (const a of answers.values()) assert.match(a, /^200 \{"n":\d+\}$/);
    assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p99 >= r.latencyMs.p50);
    assert.ok(r.clientCpuMicros > 0);
  });

  it('counts error statuses as errors, and reads chunked answers', async () => {
    const bad = await closedLoop({
      url: `${url}/fail`,
      method: 'GET',
      concurrency: 2,
      durationSeconds: 5,
      maxRequests: 6,
    });
    assert.equal(bad.requests, 0);
    assert.equal(bad.errors, 6);
    assert.deepEqual(bad.topErrors, [{ message: 'HTTP 500', count: 6 }]);
    const chunked = await closedLoop({
      url: `${url}/chunked`,
      method: 'GET',
      concurrency: 2,
      durationSeconds: 5,
      maxRequests: 6,
    });
    assert.equal(chunked.requests, 6);
    assert.equal(chunked.errors, 0);
  });

  it('reports a server that is not there as errors, not a hang', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    const r = await closedLoop({
      url: `http://127.0.0.1:${port}/`,
      method: 'GET',
      concurrency: 2,
      durationSeconds: 0.3,
    });
    assert.equal(r.requests, 0);
    assert.ok(r.errors > 0);
  });

  it('starts requests at the given rate in the open loop', async () => {
    seen.length = 0;
    const t = performance.now();
    const r = await openLoop({
      url: `${url}/checkin`,
      method: 'POST',
      ratePerSecond: 100,
      durationSeconds: 0.5,
      request: (i) => ({ body: `{"i":${i}}` }),
    });
    const secs = (performance.now() - t) / 1000;
    assert.equal(r.requests, 50);
    assert.equal(seen.length, 50);
    assert.ok(secs >= 0.45, `took ${secs} s`);
    // each request once: they go out in order, but over concurrent connections a loaded server may take
    // them in another order, so arrival order is not the loop's to promise
    assert.deepEqual(
      seen.map((s) => JSON.parse(s.body).i).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});
