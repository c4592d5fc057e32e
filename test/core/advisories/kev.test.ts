import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKev } from '../../../src/core/advisories/kev.ts';
import { csvRows } from '../../../src/core/advisories/csv.ts';
import { fixture, fixtureText } from './fixtures.ts';

describe('CISA KEV', () => {
  it('reads the JSON catalog', () => {
    const { records, errors } = parseKev(
      fixture('kev/known_exploited_vulnerabilities.excerpt.json'),
      'kev.json',
    );
    assert.deepEqual(errors, []);
    assert.equal(records.length, 14);
    const git = records[0]!;
    assert.equal(git.cve, 'CVE-2025-48384');
    assert.equal(git.vendor, 'Git');
    assert.equal(git.dateAdded, '2025-08-25');
    assert.equal(git.dueDate, '2025-09-15');
    assert.equal(git.ransomwareUse, 'unknown');
    assert.deepEqual(git.cwes, ['CWE-59', 'CWE-436']);
    assert.ok(records.some((r) => r.ransomwareUse === 'known'));
  });

  it('reads the CSV catalog to the same records as the JSON', () => {
    const json = parseKev(fixture('kev/known_exploited_vulnerabilities.excerpt.json'), 'kev.json');
    const csv = parseKev(fixture('kev/known_exploited_vulnerabilities.excerpt.csv'), 'kev.csv');
    assert.deepEqual(csv.errors, []);
    // the excerpts hold the same entries, not in the same order
    const byCve = (a: { cve: string }, b: { cve: string }) => a.cve.localeCompare(b.cve);
    assert.equal(csv.records.length, 14);
    assert.deepEqual([...csv.records].sort(byCve), [...json.records].sort(byCve));
  });

  it('reports a bad CSV row by line and column, and reads quoted fields across lines', () => {
    const file = 'kev-with-bad-row.csv';
    const { records, errors } = parseKev(fixture(`written/${file}`), file);
    assert.deepEqual(errors, [
      { file, location: 'line 4, column dateAdded', message: 'must be a date YYYY-MM-DD, got "2025-13-45"' },
    ]);
    assert.equal(records.length, 5);
    const quoted = records.find((r) => r.cve === 'CVE-2025-99998')!;
    assert.equal(quoted.product, 'Example "Quoted" Server');
    assert.equal(quoted.name, 'Example, Server with\nline break');
    assert.equal(quoted.ransomwareUse, 'known');
    assert.deepEqual(quoted.cwes, []);
    // rows after the multi-line one still line up
    assert.deepEqual(
      records.slice(-2).map((r) => r.cve),
      ['CVE-2024-8069', 'CVE-2025-43300'],
    );
  });

  it('reports a JSON entry with its pointer', () => {
    const doc = JSON.parse(fixtureText('kev/known_exploited_vulnerabilities.excerpt.json')) as {
      vulnerabilities: Record<string, unknown>[];
    };
    doc.vulnerabilities[2] = { ...doc.vulnerabilities[2], cveID: 'CVE-2024' };
    const { records, errors } = parseKev(JSON.stringify(doc), 'kev.json');
    assert.deepEqual(errors, [
      { file: 'kev.json', location: '/vulnerabilities/2/cveID', message: 'must be a CVE id, got "CVE-2024"' },
    ]);
    assert.equal(records.length, 13);
  });

  it('csvRows: quotes, doubled quotes, CRLF and line numbers', () => {
    const rows = [...csvRows('a,b\r\n"x,1","say ""hi"""\r\n"multi\nline",z\n\nlast,\n')];
    assert.deepEqual(rows, [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
      { line: 6, fields: ['last', ''] },
    ]);
  });
});
