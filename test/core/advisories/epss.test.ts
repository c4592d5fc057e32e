import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'fflate';
import { parseEpss } from '../../../src/core/advisories/epss.ts';
import { fixture } from './fixtures.ts';

describe('EPSS CSV', () => {
  const file = 'epss_scores-2025-08-25.csv';
  it('reads scores with the date and model of the comment line, reporting bad lines', () => {
    const { records, errors } = parseEpss(fixture(`written/${file}`), file);
    assert.deepEqual(records[1], {
      cve: 'CVE-2024-3094',
      probability: 0.84325,
      percentile: 0.9927,
      date: '2025-08-25',
      modelVersion: 'v2025.03.14',
    });
    assert.deepEqual(
      records.map((r) => r.cve),
      ['CVE-1999-0001', 'CVE-2024-3094', 'CVE-2023-45803', 'CVE-2024-7264'],
    );
    assert.deepEqual(errors, [
      { file, location: 'line 5', message: 'epss must be a number from 0 to 1, got "1.7"' },
      { file, location: 'line 7', message: 'cve must be a CVE id, got "not-a-cve"' },
    ]);
  });

  it('reads the gzipped daily file as published', () => {
    const plain = parseEpss(fixture(`written/${file}`), file);
    assert.deepEqual(parseEpss(gzipSync(new Uint8Array(fixture(`written/${file}`))), file), plain);
  });

  it('reads a file without the comment line, and refuses one without the header', () => {
    const { records } = parseEpss('cve,epss,percentile\nCVE-2024-3094,0.5,0.9\n', 'x.csv');
    assert.deepEqual(records, [{ cve: 'CVE-2024-3094', probability: 0.5, percentile: 0.9 }]);
    assert.deepEqual(parseEpss('CVE-2024-3094,0.5,0.9\n', 'x.csv').errors, [
      {
        file: 'x.csv',
        location: 'line 1',
        message: 'header must name the columns cve, epss and percentile, got "CVE-2024-3094,0.5,0.9"',
      },
    ]);
  });
});
