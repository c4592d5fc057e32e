import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { httpFetch } from '../../src/agent/http.ts';

describe("the agent's HTTP (fetch's subset on node:http)", () => {
  let server: Server;
  let base: string;
  const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === '/echo') res.writeHead(201, { 'x-one': 'a' }).end(JSON.stringify({ got: body }));
        else if (req.url === '/bytes') res.end(Buffer.from([0, 1, 2, 255]));
        else if (req.url === '/moved') res.writeHead(302, { location: '/bytes' }).end();
        else if (req.url === '/see-other') res.writeHead(303, { location: '/echo' }).end();
        else if (req.url === '/loop') res.writeHead(307, { location: '/loop' }).end();
        else if (req.url === '/slow') setTimeout(() => res.end('late'), 2000);
        else res.writeHead(404).end('nothing here');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('posts a body with its headers and reads the status, headers and text', async () => {
    seen.length = 0;
    const r = await httpFetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: '{"é":1}',
    });
    assert.equal(r.status, 201);
    assert.equal(r.ok, true);
    assert.equal(r.header('X-One'), 'a');
    assert.deepEqual(await r.json(), { got: '{"é":1}' });
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.headers.authorization, 'Bearer x');
    assert.equal(seen[0]!.headers['content-length'], '8');
  });

  it('gives error statuses as answers, not exceptions', async () => {
    const r = await httpFetch(`${base}/none`);
    assert.equal(r.status, 404);
    assert.equal(r.ok, false);
    assert.equal(await r.text(), 'nothing here');
  });

  it('follows redirects: a GET stays a GET, a POST after 303 becomes a GET; a loop ends', async () => {
    const r = await httpFetch(`${base}/moved`);
    assert.equal(r.url, `${base}/bytes`);
    assert.deepEqual([...new Uint8Array(await r.arrayBuffer())], [0, 1, 2, 255]);
    seen.length = 0;
    const p = await httpFetch(`${base}/see-other`, { method: 'POST', body: 'x' });
    assert.equal(p.status, 201);
    assert.deepEqual(
      seen.map((s) => [s.method, s.url, s.body]),
      [
        ['POST', '/see-other', 'x'],
        ['GET', '/echo', ''],
      ],
    );
    await assert.rejects(httpFetch(`${base}/loop`), /too many redirects/);
  });

  it('stops at the signal, and fails on a server that is not there or a scheme it does not speak', async () => {
    await assert.rejects(
      httpFetch(`${base}/slow`, { signal: AbortSignal.timeout(100) }),
      /TimeoutError|aborted/i,
    );
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    await assert.rejects(httpFetch(`http://127.0.0.1:${port}/`), /ECONNREFUSED/);
    await assert.rejects(httpFetch('ftp://127.0.0.1/x'), /unsupported URL scheme/);
  });
});
