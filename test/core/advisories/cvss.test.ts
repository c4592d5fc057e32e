import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCvssVector, preferredCvss } from '../../../src/core/advisories/cvss.ts';
import { severityFromScore, severityFromText, maxSeverity } from '../../../src/core/advisories/severity.ts';
import { fixtureText } from './fixtures.ts';

describe('parseCvssVector', () => {
  // scores published next to the vector in the real CVE JSON 5 and CSAF fixtures
  const published: { vector: string; baseScore: number }[] = [];
  const collectScores = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collectScores);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (
        typeof o.vectorString === 'string' &&
        typeof o.baseScore === 'number' &&
        o.vectorString.startsWith('CVSS:3')
      )
        published.push({ vector: o.vectorString, baseScore: o.baseScore });
      Object.values(o).forEach(collectScores);
    }
  };
  for (const f of [
    'cve5/CVE-2023-45803.json',
    'cve5/CVE-2024-3094.json',
    'cve5/CVE-2024-7264.json',
    'cve5/CVE-2026-23522.json',
    'csaf/rhsa-2024_4546.json',
    'csaf/bsi-2022-0001.json',
  ])
    collectScores(JSON.parse(fixtureText(f)));

  it('finds published CVSS 3 scores in the fixtures', () => assert.ok(published.length >= 6));
  for (const { vector, baseScore } of published) {
    it(`scores ${vector} as published (${baseScore})`, () =>
      assert.equal(parseCvssVector(vector)?.score, baseScore));
  }
  const table: [string, number | undefined, string | undefined][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, '3.1'],
    ['CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H', 5.5, '3.0'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10, '3.1'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0, '3.1'],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5, '2.0'],
    ['(AV:N/AC:M/Au:N/C:N/I:P/A:N)', 4.3, '2.0'],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10, '2.0'],
  ];
  for (const [vector, score, version] of table) {
    it(`${vector} → ${score}`, () => {
      const c = parseCvssVector(vector);
      assert.equal(c?.score, score);
      assert.equal(c?.version, version);
    });
  }
  it('keeps CVSS 4 vectors without a score and rejects text that is no vector', () => {
    const v4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
    assert.deepEqual(parseCvssVector(v4), { vector: v4, version: '4.0' });
    assert.equal(parseCvssVector('CVSS:3.1/AV:X/AC:L'), undefined);
    assert.equal(parseCvssVector('medium'), undefined);
  });
  it('prefers scored CVSS 3, then the highest score', () => {
    const best = preferredCvss([
      { score: 7.5, version: '2.0' },
      { vector: 'CVSS:4.0/AV:N', version: '4.0' },
      { score: 5.3, version: '3.1' },
      { score: 6.1, version: '3.1' },
    ]);
    assert.deepEqual(best, { score: 6.1, version: '3.1' });
  });
});

describe('severity scale', () => {
  const scores: [number | undefined, string][] = [
    [0, 'none'],
    [0.1, 'low'],
    [3.9, 'low'],
    [4, 'medium'],
    [6.9, 'medium'],
    [7, 'high'],
    [8.9, 'high'],
    [9, 'critical'],
    [10, 'critical'],
    [undefined, 'unknown'],
    [11, 'unknown'],
  ];
  for (const [score, want] of scores)
    it(`score ${score} → ${want}`, () => assert.equal(severityFromScore(score), want));
  const words: [string, string][] = [
    ['Important', 'high'],
    ['Moderate', 'medium'],
    ['MODERATE', 'medium'],
    ['negligible', 'low'],
    ['unimportant', 'low'],
    ['medium**', 'medium'],
    ['Critical', 'critical'],
    ['not yet assigned', 'unknown'],
    ['untriaged', 'unknown'],
  ];
  for (const [word, want] of words)
    it(`"${word}" → ${want}`, () => assert.equal(severityFromText(word), want));
  it('takes the worst known severity', () => {
    assert.equal(maxSeverity(['unknown', 'low', 'high', 'medium']), 'high');
    assert.equal(maxSeverity(['unknown']), 'unknown');
    assert.equal(maxSeverity(['none', 'unknown']), 'none');
  });
});
