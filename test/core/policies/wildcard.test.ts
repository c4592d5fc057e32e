import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasWildcard, matchesWildcard } from '../../../src/core/policies/wildcard.ts';

const CASES: readonly (readonly [pattern: string, text: string, expected: boolean])[] = [
  [
    '*KB2267602*',
    'Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.403.1)',
    true,
  ],
  ['*kb2267602*', 'KB2267602', true], // case-insensitive
  ['*KB2267602*', 'KB226760', false],
  ['firefox', 'Firefox', true], // whole text, any case
  ['firefox', 'Mozilla Firefox', false], // no implicit contains
  ['*firefox*', 'Mozilla Firefox 128.0', true],
  ['Google Chrome*', 'Google Chrome 126.0.6478.127', true],
  ['Google Chrome*', 'Chrome', false],
  ['KB50344??', 'KB5034441', true], // ? is exactly one character
  ['KB50344??', 'KB503444', false],
  ['KB50344??', 'KB50344411', false],
  ['?', 'é', true], // one character, not one UTF-16 unit
  ['?', '😀', true],
  ['*', '', true],
  ['', '', true],
  ['', 'x', false],
  ['a*b*c', 'aXXbYYc', true],
  ['a*b*c', 'aXXbYY', false],
  ['*a*a*a*a*a*a*a*a*b', 'a'.repeat(200), false], // no catastrophic backtracking
  ['libssl3*', 'libssl3t64', true],
  ['[abc]', '[abc]', true], // regular-expression characters are literal
  ['a.c', 'abc', false],
  ['(x)+', '(x)+', true],
  ['Exclude This Too', 'exclude this too', true],
];

describe('wildcard patterns: * any run, ? one character, case-insensitive, whole text', () => {
  for (const [pattern, text, expected] of CASES) {
    test(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.equal(matchesWildcard(pattern, text), expected);
    });
  }
  test('hasWildcard', () => {
    assert.equal(hasWildcard('a*'), true);
    assert.equal(hasWildcard('a?'), true);
    assert.equal(hasWildcard('abc'), false);
  });
});
