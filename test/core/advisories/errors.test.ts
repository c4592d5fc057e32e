import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertParsed } from '../../../src/core/advisories/errors.ts';
import { parseOsv } from '../../../src/core/advisories/osv.ts';
import { isDomainError } from '../../../src/core/errors.ts';
import { fixture } from './fixtures.ts';

describe('assertParsed', () => {
  it('returns records when there are no errors', () => {
    assert.equal(assertParsed(parseOsv(fixture('osv/DSA-3029-1.json'), 'a')).length, 1);
  });
  it('throws an invalid DomainError naming each place', () => {
    const result = parseOsv(fixture('written/osv-array-with-bad-record.json'), 'batch.json');
    try {
      assertParsed(result);
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isDomainError(e));
      assert.equal(e.kind, 'invalid');
      assert.equal(e.message, 'batch.json#/1/affected/0/package/name: is required');
      assert.deepEqual(e.issues, [{ path: 'batch.json#/1/affected/0/package/name', message: 'is required' }]);
    }
  });
});
