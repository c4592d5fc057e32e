import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { downloadPackage, type DownloadSource } from '../../src/agent/client.ts';

const good = Buffer.from('the real package bytes');
const sha = createHash('sha256').update(good).digest('hex');

/** a local http server answering every request with (status, body); counts requests and their auth */
function serve(status: number, body: Buffer) {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(status).end(body);
  });
  return { server, seen, url: '' };
}
type Served = ReturnType<typeof serve>;

const listen = (s: Served) =>
  new Promise<void>((resolve) =>
    s.server.listen(0, '127.0.0.1', () => {
      s.url = `http://127.0.0.1:${(s.server.address() as { port: number }).port}/agent/v1/packages/${sha}`;
      resolve();
    }),
  );

let relayDown: Served, relayBad: Served, server: Served, vendor: Served, missing: Served;
const servers: Server[] = [];
before(async () => {
  relayDown = serve(503, Buffer.from('busy'));
  relayBad = serve(200, Buffer.from('tampered bytes'));
  server = serve(200, good);
  vendor = serve(200, good);
  missing = serve(404, Buffer.from(''));
  for (const s of [relayDown, relayBad, server, vendor, missing]) {
    await listen(s);
    servers.push(s.server);
  }
});
after(() => servers.forEach((s) => s.close()));

test('tries the sources in order and keeps the first with the right hash', async () => {
  const sources: DownloadSource[] = [
    { kind: 'relay', url: relayDown.url },
    { kind: 'relay', url: relayBad.url },
    { kind: 'server', url: server.url },
    { kind: 'direct', url: vendor.url },
  ];
  const r = await downloadPackage(sha, sources, { allowDirect: true, credential: 'pld_x' });
  assert.equal(Buffer.from(r.bytes).toString(), good.toString());
  assert.equal(r.source.kind, 'server');
  assert.deepEqual(
    r.attempts.map((a) => [a.kind, a.error.slice(0, 30)]),
    [
      ['relay', 'answered 503'],
      [
        'relay',
        "the content's SHA-256 is " + createHash('sha256').update('tampered bytes').digest('hex').slice(0, 5),
      ],
    ],
  );
  assert.equal(server.seen.at(-1), 'Bearer pld_x');
  assert.deepEqual(
    [relayDown.seen.at(-1), relayBad.seen.at(-1)],
    [undefined, undefined],
    'relays (plain HTTP, any machine) never get the device credential',
  );
  assert.equal(vendor.seen.length, 0, 'the vendor is not asked once the server delivered');
});

test('falls back to the vendor only when direct download is allowed', async () => {
  const sources: DownloadSource[] = [
    { kind: 'server', url: missing.url },
    { kind: 'direct', url: vendor.url },
  ];
  await assert.rejects(
    downloadPackage(sha, sources, { allowDirect: false }),
    /server .*answered 404.*\(direct download is not allowed\)/,
  );
  assert.equal(vendor.seen.length, 0);
  const r = await downloadPackage(sha, sources, { allowDirect: true, credential: 'pld_x' });
  assert.equal(r.source.kind, 'direct');
  assert.deepEqual(vendor.seen, [undefined], 'the device credential is never sent to a vendor');
});

test('an unreachable source is skipped with its reason', async () => {
  const closed = 'http://127.0.0.1:1/nothing';
  const r = await downloadPackage(
    sha,
    [
      { kind: 'relay', url: closed },
      { kind: 'server', url: server.url },
    ],
    {
      allowDirect: false,
    },
  );
  assert.equal(r.source.kind, 'server');
  assert.match(r.attempts[0]!.error, /^unreachable/);
});
