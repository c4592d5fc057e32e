import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDebianTracker } from '../../../src/core/advisories/debian-tracker.ts';
import { fixture } from './fixtures.ts';

describe('Debian security tracker JSON', () => {
  it('reads the real subset: one bulletin per CVE, one entry per release', () => {
    const { records, errors } = parseDebianTracker(
      fixture('debian-tracker/debian_security_tracker_subset.json'),
      't.json',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(
      records.map((r) => r.id),
      ['DEBIAN-CVE-2014-1424', 'DEBIAN-CVE-2016-1585', 'DEBIAN-CVE-2017-6507'],
    );
    const b = records[1]!;
    assert.equal(b.source, 'debian-tracker');
    assert.deepEqual(b.cves, ['CVE-2016-1585']);
    assert.equal(b.severity, 'low'); // urgency "unimportant"
    assert.equal(
      b.summary,
      'In all versions of AppArmor mount rules are accidentally widened when compiled.',
    );
    assert.deepEqual(
      b.packages.map((p) => [p.ecosystem, p.status, p.fixedVersion]),
      [
        ['Debian:12', 'affected', undefined],
        ['Debian:11', 'affected', undefined],
        ['Debian:10', 'affected', undefined],
        ['Debian:sid', 'fixed', '3.0.12-1'],
        ['Debian:13', 'fixed', '3.0.12-1'],
      ],
    );
    // fixed_version "0": the release never had the vulnerable code
    assert.ok(records[0]!.packages.every((p) => p.status === 'not_affected' && p.fixedVersion === undefined));
  });

  it('reports a malformed entry with its pointer, merges packages per CVE, skips TEMP ids', () => {
    const file = 'debian-tracker-with-bad-entry.json';
    const { records, errors } = parseDebianTracker(fixture(`written/${file}`), file);
    assert.deepEqual(errors, [
      { file, location: '/exampled/CVE-2024-11112/releases/bookworm/status', message: 'is required' },
    ]);
    assert.equal(records.length, 1);
    const b = records[0]!;
    assert.equal(b.id, 'DEBIAN-CVE-2024-11111');
    assert.equal(b.title, 'CVE-2024-11111 in exampled, examplelib');
    assert.equal(b.severity, 'high');
    assert.deepEqual(
      b.packages.map((p) => [p.name, p.ecosystem, p.status, p.fixedVersion]),
      [
        ['exampled', 'Debian:12', 'fixed', '1:2.4.1-1+deb12u1'],
        ['exampled', 'Debian:11', 'affected', undefined],
        ['examplelib', 'Debian:12', 'under_investigation', undefined],
        ['examplelib', 'Debian:13', 'not_affected', undefined],
      ],
    );
  });

  it('reports a document that is not an object of packages', () => {
    assert.deepEqual(parseDebianTracker('[]', 'x.json').errors, [
      { file: 'x.json', location: '', message: 'must be an object of source packages, got an array' },
    ]);
  });

  it('same file twice gives the same records', () => {
    const f = fixture('debian-tracker/debian_security_tracker_subset.json');
    assert.deepEqual(parseDebianTracker(f, 'a'), parseDebianTracker(f, 'a'));
  });
});
