import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zipSync, strToU8 } from 'fflate';
import { iterateOsv, parseOsv } from '../../../src/core/advisories/osv.ts';
import { fixture, fixtureText } from './fixtures.ts';

const one = (path: string) => {
  const { records, errors } = parseOsv(fixture(path), path);
  assert.deepEqual(errors, []);
  assert.equal(records.length, 1);
  return records[0]!;
};

describe('OSV: real records', () => {
  it('reads a Debian DSA with its fixed version', () => {
    const b = one('osv/DSA-3029-1.json');
    assert.equal(b.source, 'osv');
    assert.equal(b.id, 'DSA-3029-1');
    assert.equal(b.vendor, 'Debian');
    assert.equal(b.title, 'nginx - security update');
    assert.deepEqual(b.cves, ['CVE-2014-3616']);
    assert.equal(b.published, '2014-09-20T00:00:00.000Z');
    assert.equal(b.modified, '2014-09-20T08:18:07.000Z');
    assert.equal(b.severity, 'unknown');
    assert.deepEqual(b.packages, [
      {
        ecosystem: 'Debian:7',
        name: 'nginx',
        status: 'fixed',
        fixedVersion: '1.2.1-2.2+wheezy3',
        ranges: [{ type: 'ECOSYSTEM', introduced: '0', fixed: '1.2.1-2.2+wheezy3' }],
      },
    ]);
    assert.deepEqual(b.references, [
      { url: 'https://www.debian.org/security/2014/dsa-3029', type: 'ADVISORY' },
    ]);
    assert.match(b.summary ?? '', /^Antoine Delignat-Lavaud/);
  });

  it('reads a USN: Ubuntu releases, Pro products, binaries, per-CVE severities', () => {
    const b = one('osv/USN-7060-1.json');
    assert.equal(b.id, 'USN-7060-1');
    assert.equal(b.vendor, 'Ubuntu');
    assert.deepEqual(b.cves, [
      'CVE-2019-0161',
      'CVE-2021-28210',
      'CVE-2021-28211',
      'CVE-2021-38575',
      'CVE-2021-38578',
      'CVE-2022-1292',
    ]);
    assert.ok(b.aliases.includes('UBUNTU-CVE-2019-0161'));
    assert.deepEqual(
      b.packages.map((p) => [p.ecosystem, p.product, p.name, p.fixedVersion]),
      [
        ['Ubuntu:16.04', 'Ubuntu Pro 16.04 LTS', 'edk2', '0~20160408.ffea0a2c-2ubuntu0.2+esm3'],
        ['Ubuntu:18.04', 'Ubuntu Pro 18.04 LTS', 'edk2', '0~20180205.c0d9813c-2ubuntu0.3+esm2'],
        ['Ubuntu:20.04', 'Ubuntu 20.04 LTS', 'edk2', '0~20191122.bd85bf54-2ubuntu3.6'],
        ['Ubuntu:22.04', 'Ubuntu 22.04 LTS', 'edk2', b.packages[3]?.fixedVersion],
      ],
    );
    assert.deepEqual(b.packages[0]?.binaries, ['ovmf', 'qemu-efi']);
    const cve = b.cveDetails.find((c) => c.id === 'CVE-2019-0161');
    assert.deepEqual(cve, {
      id: 'CVE-2019-0161',
      severity: 'medium',
      cvss: { score: 5.5, vector: 'CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H', version: '3.0' },
    });
    assert.equal(b.severity, 'medium'); // the worst Ubuntu priority of its CVEs
  });

  it('reads an Ubuntu per-CVE record as the description of its CVE', () => {
    const b = one('osv/UBUNTU-CVE-2025-38094.json');
    assert.deepEqual(b.cves, ['CVE-2025-38094']);
    assert.equal(b.severity, 'medium');
    assert.equal(b.packages[0]?.status, 'affected'); // no fix event
    assert.equal(b.packages[0]?.fixedVersion, undefined);
    assert.match(b.cveDetails[0]?.description ?? '', /^In the Linux kernel/);
  });

  it('reads Alpine ranges and scores the CVSS vector', () => {
    const b = one('osv/CVE-2018-5407.json');
    assert.equal(b.packages.length, 6); // the seventh entry is a GIT range of node, with no package
    assert.ok(b.packages.every((p) => p.ecosystem.startsWith('Alpine:v3.') && p.name === 'openssl'));
    assert.equal(b.packages[0]?.fixedVersion, '1.0.2q-r0');
    assert.deepEqual(b.cvss, {
      score: 4.7,
      vector: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N',
      version: '3.1',
    });
    assert.equal(b.severity, 'medium');
  });

  it('takes Red Hat severity from its classification link, keeps related ids as aliases', () => {
    const b = one('osv/RHSA-2024_4546.osv.json');
    assert.equal(b.id, 'RHSA-2024:4546');
    assert.equal(b.severity, 'high'); // "#important"
    assert.deepEqual(b.cves, ['CVE-2023-45288']);
    assert.deepEqual(b.aliases, ['GO-2024-2687']);
    assert.deepEqual(
      { ...b.packages[0], ranges: undefined },
      {
        ecosystem: 'Red Hat',
        product: 'rhel_aus:8.6::appstream',
        name: 'git-lfs',
        status: 'fixed',
        fixedVersion: '0:2.13.3-3.el8_6.1',
        ranges: undefined,
        purl: 'pkg:rpm/redhat/git-lfs',
      },
    );
    assert.equal(one('osv/RHSA-2022_0216.json').severity, 'low'); // vendor rating wins over CVSS 8.1
  });

  it('reads GHSA, Go, PyPI, malicious-package and SUSE records', () => {
    const ghsa = one('osv/GHSA-9v2f-6vcg-3hgv.json');
    assert.equal(ghsa.severity, 'critical');
    assert.equal(ghsa.cvss?.score, 9.8);
    const go = one('osv/GO-2024-2963.json');
    assert.deepEqual(go.packages[0]?.ranges, [
      { type: 'SEMVER', introduced: '0', fixed: '1.21.12' },
      { type: 'SEMVER', introduced: '1.22.0-0', fixed: '1.22.5' },
    ]);
    assert.equal(go.packages[0]?.fixedVersion, '1.22.5');
    const pysec = one('osv/PYSEC-2023-74.json');
    assert.equal(pysec.packages[0]?.fixedVersion, '2.31.0'); // the GIT commit is not a version
    assert.deepEqual(pysec.aliases, ['GHSA-j8r2-6x86-q33q']);
    assert.deepEqual(one('osv/MAL-2024-10238.json').cves, []);
    assert.equal(one('osv/SUSE-FU-2022_0444-1.json').cves.length, 51);
  });
});

describe('OSV: files with several records', () => {
  it('reports a malformed record in an array with its JSON pointer and imports the rest', () => {
    const file = 'osv-array-with-bad-record.json';
    const { records, errors } = parseOsv(fixtureText(`written/${file}`), file);
    assert.deepEqual(
      records.map((r) => r.id),
      ['DSA-5678-1', 'USN-6801-1'],
    );
    assert.deepEqual(errors, [{ file, location: '/1/affected/0/package/name', message: 'is required' }]);
    assert.deepEqual(records[1]?.cves, ['CVE-2024-11111']);
    assert.equal(records[1]?.packages[0]?.ecosystem, 'Ubuntu:22.04');
  });

  it('reads JSON lines, reporting the broken lines by number', () => {
    const file = 'osv-lines.jsonl';
    const { records, errors } = parseOsv(fixture(`written/${file}`), file);
    assert.deepEqual(
      records.map((r) => r.id),
      ['ALPINE-CVE-2024-22222', 'ALPINE-CVE-2024-22225'],
    );
    assert.equal(errors.length, 2);
    assert.equal(errors[0]?.location, 'line 2');
    assert.match(errors[0]?.message ?? '', /^not valid JSON/);
    assert.deepEqual(errors[1], {
      file,
      location: 'line 3 /modified',
      message: 'must be an ISO 8601 date-time, got "not a date"',
    });
    assert.equal(records[1]?.severity, 'critical');
    assert.equal(records[1]?.vendor, 'Alpine');
  });

  it('yields the same records for the same file twice', () => {
    const a = parseOsv(fixture('osv/USN-7060-1.json'), 'x');
    const b = parseOsv(fixture('osv/USN-7060-1.json'), 'x');
    assert.deepEqual(a, b);
  });

  it('reports a file that is not JSON at all', () => {
    const { records, errors } = parseOsv('<html>', 'page.html');
    assert.deepEqual(records, []);
    assert.equal(errors[0]?.location, '');
    assert.match(errors[0]?.message ?? '', /^not valid JSON/);
  });
});

describe('OSV: zip dumps', () => {
  const names = ['DSA-3029-1.json', 'USN-7060-1.json', 'CVE-2018-5407.json', 'GO-2024-2963.json'];
  const members: Record<string, Uint8Array> = {};
  for (const n of names) members[n] = new Uint8Array(fixture(`osv/${n}`));
  members['BROKEN-1.json'] = strToU8('{"id": "BROKEN-1", "modified": ');
  members['NOPKG-1.json'] = strToU8(
    JSON.stringify({
      id: 'NOPKG-1',
      modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { name: 'x' } }],
    }),
  );
  members['README.txt'] = strToU8('not a record');

  for (const level of [0, 6] as const) {
    it(`reads every member of a zip (${level === 0 ? 'stored' : 'deflated'}), with errors naming the member`, () => {
      const zip = zipSync(members, { level });
      const { records, errors } = parseOsv(zip, 'all.zip');
      assert.deepEqual(
        records.map((r) => r.id),
        ['DSA-3029-1', 'USN-7060-1', 'CVE-2018-5407', 'GO-2024-2963'],
      );
      assert.equal(errors.length, 2);
      assert.equal(errors[0]?.entry, 'BROKEN-1.json');
      assert.equal(errors[0]?.file, 'all.zip');
      assert.match(errors[0]?.message ?? '', /^not valid JSON/);
      assert.deepEqual(errors[1], {
        file: 'all.zip',
        entry: 'NOPKG-1.json',
        location: '/affected/0/package/ecosystem',
        message: 'is required',
      });
      // the same as reading the members one by one
      assert.deepEqual(records[1], parseOsv(members['USN-7060-1.json']!, 'x').records[0]);
    });
  }

  it('is lazy: the first record comes before later members are inflated', () => {
    const zip = zipSync(members);
    const it = iterateOsv(zip, 'all.zip');
    const first = it.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.ok && first.value.record.id, 'DSA-3029-1');
    it.return(undefined);
  });

  it('reads a dump of 2,000 records', () => {
    const many: Record<string, Uint8Array> = {};
    const base = JSON.parse(fixtureText('osv/DSA-3029-1.json')) as Record<string, unknown>;
    for (let i = 0; i < 2000; i++)
      many[`DSA-${i}-1.json`] = strToU8(JSON.stringify({ ...base, id: `DSA-${i}-1` }));
    const { records, errors } = parseOsv(zipSync(many), 'big.zip');
    assert.equal(errors.length, 0);
    assert.equal(records.length, 2000);
    assert.equal(records[1999]?.id, 'DSA-1999-1');
  });

  it('reports an archive whose directory is damaged', () => {
    const zip = zipSync(members).slice(0, 200);
    const { records, errors } = parseOsv(zip, 'cut.zip');
    assert.deepEqual(records, []);
    assert.deepEqual(errors, [
      { file: 'cut.zip', location: '', message: 'not a zip archive: no end of central directory record' },
    ]);
  });
});
