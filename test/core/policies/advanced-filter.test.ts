import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UpdateId } from '../../../src/core/ids.ts';
import {
  evaluateAdvancedFilter,
  formatAdvancedFilter,
  parseAdvancedFilter,
  type AdvancedFilter,
} from '../../../src/core/policies/advanced-filter.ts';
import { Issues } from '../../../src/core/policies/fields.ts';
import type { CandidateUpdate } from '../../../src/core/policies/model.ts';

function parse(input: unknown): { filter?: AdvancedFilter; issues: Issues['list'] } {
  const issues = new Issues();
  const filter = parseAdvancedFilter(input, 'rule.filters[0]', issues);
  return { ...(filter ? { filter } : {}), issues: issues.list };
}

describe('advanced filter lines: parsing', () => {
  const VALID: readonly (readonly [unknown, AdvancedFilter])[] = [
    // the seed's two lines, in text and object form
    ['patch-source is windowsupdate', { field: 'patch-source', condition: 'is', value: 'windowsupdate' }],
    [
      'severity greater-than-or-equal-to medium',
      { field: 'severity', condition: 'greater-than-or-equal-to', value: 'medium' },
    ],
    ['severity >= medium', { field: 'severity', condition: 'greater-than-or-equal-to', value: 'medium' }],
    [
      { field: 'severity', condition: 'greater-than-or-equal-to', value: 'Medium' },
      { field: 'severity', condition: 'greater-than-or-equal-to', value: 'medium' },
    ],
    ['severity < high', { field: 'severity', condition: 'less-than', value: 'high' }],
    ['severity = critical', { field: 'severity', condition: 'is', value: 'critical' }],
    ['severity != none', { field: 'severity', condition: 'is-not', value: 'none' }],
    [
      'display-name contains Google Chrome',
      { field: 'display-name', condition: 'contains', value: 'Google Chrome' },
    ],
    ['display-name is "  padded  "', { field: 'display-name', condition: 'is', value: '  padded  ' }],
    ['Package-Name STARTS-WITH libssl', { field: 'package-name', condition: 'starts-with', value: 'libssl' }],
    ['kb matches KB50344*', { field: 'kb', condition: 'matches', value: 'KB50344*' }],
    [
      'vendor does-not-contain Microsoft',
      { field: 'vendor', condition: 'does-not-contain', value: 'Microsoft' },
    ],
    ['classification != Drivers', { field: 'classification', condition: 'is-not', value: 'Drivers' }],
  ];
  for (const [input, expected] of VALID) {
    test(`reads ${JSON.stringify(input)}`, () => {
      const { filter, issues } = parse(input);
      assert.deepEqual(issues, []);
      assert.deepEqual(filter, expected);
    });
  }

  const INVALID: readonly (readonly [unknown, string, RegExp])[] = [
    ['severity', 'rule.filters[0]', /^must read "field condition value"/],
    [
      'cvss >= 7',
      'rule.filters[0]',
      /^must be one of severity, patch-source, display-name, package-name, kb, vendor, product, classification, got the string "cvss"$/,
    ],
    [
      'severity contains med',
      'rule.filters[0]',
      /^for severity must be one of is, is-not, greater-than-or-equal-to, less-than-or-equal-to, greater-than, less-than, got the string "contains"$/,
    ],
    [
      'severity >= urgent',
      'rule.filters[0]',
      /^must be a severity \(unknown, none, low, medium, high, critical\), got the string "urgent"$/,
    ],
    [
      'patch-source >= apt',
      'rule.filters[0]',
      /^for patch-source must be one of is, is-not, contains, does-not-contain, starts-with, ends-with, matches, does-not-match, got the string ">="$/,
    ],
    [{ field: 'severity', condition: 'is' }, 'rule.filters[0].value', /^is required$/],
    [
      { field: 'kb', condition: 'is', value: 5034441 },
      'rule.filters[0].value',
      /^must be a string, got 5034441$/,
    ],
    [
      { field: 'kb', condition: 'is', value: '   ' },
      'rule.filters[0].value',
      /^must not be empty or only spaces$/,
    ],
    [
      { field: 'kb', condition: 'is', value: 'x'.repeat(257) },
      'rule.filters[0].value',
      /^must be between 1 and 256 characters, got 257$/,
    ],
    [{ left: 'severity', condition: 'is', right: 'low' }, 'rule.filters[0].left', /^is not a known field/],
    [42, 'rule.filters[0]', /^must be a filter line \(text or \{field, condition, value\}\), got 42$/],
  ];
  for (const [input, path, message] of INVALID) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      const { filter, issues } = parse(input);
      assert.equal(filter, undefined);
      const issue = issues.find((i) => i.path === path);
      assert.ok(issue, `no issue at ${path}: ${JSON.stringify(issues)}`);
      assert.match(issue.message, message);
    });
  }

  test('formatAdvancedFilter writes a line that reads back to the same filter', () => {
    for (const [, filter] of VALID) {
      const again = parse(formatAdvancedFilter(filter)).filter;
      assert.deepEqual(again, filter);
    }
  });
});

const update = (extra: Partial<CandidateUpdate>): CandidateUpdate => ({
  updateId: 1 as UpdateId,
  name: '2024-01 Cumulative Update for Windows 11 (KB5034123)',
  severity: 'high',
  security: true,
  optional: false,
  ...extra,
});

describe('advanced filter lines: evaluation', () => {
  const CASES: readonly (readonly [line: string, u: Partial<CandidateUpdate>, expected: boolean])[] = [
    ['patch-source is windowsupdate', { patchSource: 'windowsupdate' }, true],
    ['patch-source is windowsupdate', { patchSource: 'WindowsUpdate' }, true],
    ['patch-source is windowsupdate', { patchSource: 'apt' }, false],
    ['patch-source is windowsupdate', {}, false], // no source: positive conditions fail
    ['patch-source is-not windowsupdate', {}, true], // … and negative ones hold
    ['severity >= medium', { severity: 'medium' }, true],
    ['severity >= medium', { severity: 'critical' }, true],
    ['severity >= medium', { severity: 'low' }, false],
    ['severity >= medium', { severity: 'unknown' }, false], // unknown meets no threshold
    ['severity >= none', { severity: 'none' }, true],
    ['severity > high', { severity: 'high' }, false],
    ['severity > high', { severity: 'critical' }, true],
    ['severity <= low', { severity: 'none' }, true],
    ['severity <= low', { severity: 'medium' }, false],
    ['severity <= low', { severity: 'unknown' }, false], // unknown is not ordered
    ['severity < medium', { severity: 'low' }, true],
    ['severity is unknown', { severity: 'unknown' }, true],
    ['severity is-not unknown', { severity: 'unknown' }, false],
    ['display-name contains cumulative update', {}, true],
    ['display-name starts-with 2024-01', {}, true],
    ['display-name ends-with (kb5034123)', {}, true],
    ['display-name matches *windows 1?*', {}, true],
    ['display-name does-not-match *server*', {}, true],
    ['kb is 5034441', { kb: 'KB5034441' }, true], // either KB spelling
    ['kb is KB5034441', { kb: '5034441' }, true],
    ['kb is KB5034441', { kb: null }, false],
    ['package-name starts-with libssl', { package: 'libssl3' }, true],
    ['vendor is Mozilla', { vendor: 'mozilla' }, true],
    ['product does-not-contain Firefox', { product: 'Thunderbird' }, true],
    ['classification is Security Updates', { classification: 'Security Updates' }, true],
  ];
  for (const [line, extra, expected] of CASES) {
    test(`${line} on ${JSON.stringify(extra)} → ${expected}`, () => {
      const { filter } = parse(line);
      assert.ok(filter);
      assert.equal(evaluateAdvancedFilter(filter, update(extra)), expected);
    });
  }
});
