import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { DomainError } from '../../../src/core/errors.ts';
import { coveredHash, parseBasic } from '../../../src/faces/kaseya/auth.ts';
import { wantsXml } from '../../../src/faces/kaseya/envelope.ts';
import { parseDecimalId, renderDecimalId } from '../../../src/faces/shared/ids.ts';
import { kaseyaVerifier } from '../../../src/services/identity.ts';
import { hashedPayload } from './support.ts';

const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('Kaseya Basic payloads', () => {
  it('the server-side check matches the seed client for the same password and random number', () => {
    const text = Buffer.from(hashedPayload('kadmin', 'S3cret-pw', '994656'), 'base64').toString();
    const p = parseBasic(`Basic ${Buffer.from(text).toString('base64')}`);
    assert.equal(p.kind, 'hashed');
    if (p.kind !== 'hashed') return;
    assert.equal(p.user, 'kadmin');
    assert.equal(p.rand2, '994656');
    assert.equal(coveredHash(kaseyaVerifier('kadmin', 'S3cret-pw'), '994656'), p.pass2);
    assert.notEqual(coveredHash(kaseyaVerifier('kadmin', 'S3cret-pw'), '994657'), p.pass2);
    const raw = createHash('sha256').update('S3cret-pw').digest('hex');
    assert.equal(p.fields.rpass2, raw);
  });

  const refused: [string, string | undefined, RegExp][] = [
    ['no header', undefined, /Basic/],
    ['another scheme', 'Bearer abc', /Basic scheme/],
    ['no pass2', b64('user=a,rand2=1'), /pass2/],
    ['short pass2', b64('user=a,pass2=abc,rand2=1'), /pass2/],
    ['no rand2', b64(`user=a,pass2=${'a'.repeat(64)}`), /rand2/],
    ['empty user', b64(`user=,pass2=${'a'.repeat(64)},rand2=1`), /no user/],
    ['neither form', b64('justtext'), /username:personal-access-token/],
    ['empty token', b64('admin:'), /username:personal-access-token/],
  ];
  for (const [name, header, message] of refused)
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseBasic(header),
        (e: unknown) => e instanceof DomainError && e.kind === 'unauthenticated' && message.test(e.message),
      );
    });

  it('reads username:token, the token may hold colons', () => {
    assert.deepEqual(parseBasic(b64('alice:plk_a:b')), { kind: 'token', user: 'alice', token: 'plk_a:b' });
  });
});

describe('decimal ids', () => {
  for (const id of [1, 42, 2 ** 53 - 1])
    it(`round-trips ${id}`, () => assert.equal(parseDecimalId(renderDecimalId(id), 'x'), id));
  for (const text of ['0', '-1', 'abc', '1.5', '1e3', '', '99999999999999999'])
    it(`answers not found for '${text}'`, () =>
      assert.throws(
        () => parseDecimalId(text, 'agent'),
        (e: unknown) => e instanceof DomainError && e.kind === 'not_found',
      ));
});

describe('content negotiation', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['application/json', false],
    ['application/xml', true],
    ['text/xml; charset=utf-8', true],
    ['application/json, application/xml', false],
    ['application/xml, application/json', true],
    ['*/*', false],
  ];
  for (const [accept, xml] of cases)
    it(`Accept ${accept ?? '(none)'} → ${xml ? 'XML' : 'JSON'}`, () =>
      assert.equal(wantsXml({ headers: accept ? { accept } : {} } as never), xml));
});
