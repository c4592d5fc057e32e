import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCve5 } from '../../../src/core/advisories/cve5.ts';
import { fixture, fixtureText } from './fixtures.ts';

const one = (path: string) => {
  const { records, errors } = parseCve5(fixture(path), path);
  assert.deepEqual(errors, []);
  return records[0]!;
};

describe('CVE JSON 5', () => {
  it('reads the CNA description, CVSS and CWE', () => {
    const c = one('cve5/CVE-2024-3094.json');
    assert.equal(c.id, 'CVE-2024-3094');
    assert.match(c.description ?? '', /^Malicious code was discovered in the upstream tarballs of xz/);
    assert.deepEqual(c.cvss, {
      score: 10,
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
      version: '3.1',
    });
    assert.equal(c.severity, 'critical');
    assert.deepEqual(c.cwes, ['CWE-506']);
    assert.equal(c.published, '2024-03-29T16:51:12.588Z');
  });

  it('falls back to the CISA-ADP score when the CNA gives none', () => {
    const c = one('cve5/CVE-2024-7264.json');
    assert.equal(c.cvss?.score, 6.3);
    assert.equal(c.severity, 'medium');
  });

  it('reads records without metrics and the schema example', () => {
    assert.equal(one('cve5/CVE-2026-23522.json').severity, 'low');
    assert.equal(one('cve5/CVE-2023-45803.json').cvss?.score, 4.2);
    const ex = one('cve5/cve-schema-full-record-basic-example.json');
    assert.equal(ex.id, 'CVE-1900-1234');
    assert.equal(ex.severity, 'unknown');
    assert.equal(ex.cvss, undefined);
  });

  it('marks rejected records', () => {
    const c = one('written/cve5-rejected.json');
    assert.equal(c.rejected, true);
    assert.match(c.description ?? '', /^DO NOT USE THIS CANDIDATE NUMBER/);
  });

  it('reads arrays of records, reporting a malformed one by pointer', () => {
    const good = JSON.parse(fixtureText('cve5/CVE-2024-3094.json')) as Record<string, unknown>;
    const bad = { ...good, cveMetadata: { cveId: 'CVE-24-1' } };
    const { records, errors } = parseCve5(JSON.stringify([bad, good]), 'cves.json');
    assert.deepEqual(errors, [
      { file: 'cves.json', location: '/0/cveMetadata/cveId', message: 'must be a CVE id, got "CVE-24-1"' },
    ]);
    assert.deepEqual(
      records.map((r) => r.id),
      ['CVE-2024-3094'],
    );
  });
});
