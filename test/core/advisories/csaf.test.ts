import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsaf, parseNevra } from '../../../src/core/advisories/csaf.ts';
import { parseOsv } from '../../../src/core/advisories/osv.ts';
import { fixture } from './fixtures.ts';

const one = (path: string) => {
  const { records, errors } = parseCsaf(fixture(path), path);
  assert.deepEqual(errors, []);
  assert.equal(records.length, 1);
  return records[0]!;
};

describe('CSAF: Red Hat advisories', () => {
  it('reads RHSA-2024:4546: packages per platform with epoch:version-release fixes', () => {
    const b = one('csaf/rhsa-2024_4546.json');
    assert.equal(b.source, 'csaf');
    assert.equal(b.id, 'RHSA-2024:4546');
    assert.equal(b.vendor, 'Red Hat');
    assert.equal(b.title, 'Red Hat Security Advisory: git-lfs security update');
    assert.equal(b.severity, 'high'); // aggregate "Important"
    assert.equal(b.published, '2024-07-15T16:12:25.000Z');
    assert.equal(b.modified, '2024-07-16T13:38:03.000Z');
    assert.deepEqual(b.cves, ['CVE-2023-45288']);
    assert.deepEqual(b.cvss, {
      score: 7.5,
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
      version: '3.1',
    });
    assert.match(b.summary ?? '', /^An update for git-lfs is now available/);
    assert.equal(b.packages.length, 9); // 3 packages × 3 platforms, architectures folded
    assert.deepEqual(b.packages[0], {
      ecosystem: 'Red Hat',
      product: 'Red Hat Enterprise Linux AppStream AUS (v.8.6)',
      name: 'git-lfs',
      status: 'fixed',
      fixedVersion: '0:2.13.3-3.el8_6.1',
      cves: ['CVE-2023-45288'],
      architectures: ['src', 'x86_64'],
      cpe: 'cpe:/a:redhat:rhel_aus:8.6::appstream',
      restartRequired: 'none',
    });
    assert.deepEqual(b.cveDetails[0]?.cwes, ['CWE-400']);
    assert.equal(b.cveDetails[0]?.severity, 'high'); // threat impact "Important"
    assert.ok(b.references.some((r) => r.url === 'https://access.redhat.com/errata/RHSA-2024:4546'));
  });

  it('agrees with the OSV conversion of the same advisory on packages and fixed versions', () => {
    const csaf = one('csaf/rhsa-2024_4546.json');
    const osv = parseOsv(fixture('osv/RHSA-2024_4546.osv.json'), 'x').records[0]!;
    const key = (p: { name: string; fixedVersion?: string }) => `${p.name}@${p.fixedVersion}`;
    assert.deepEqual(new Set(csaf.packages.map(key)), new Set(osv.packages.map(key)));
    assert.deepEqual(csaf.cves, osv.cves);
    assert.equal(csaf.severity, osv.severity);
  });

  it('reads the 2003 advisory with a non-zero epoch elsewhere and many architectures', () => {
    const b = one('csaf/rhsa-2003_315.json');
    assert.equal(b.severity, 'low');
    assert.deepEqual(
      b.packages.map((p) => `${p.product} ${p.name} ${p.fixedVersion}`),
      [
        'Red Hat Enterprise Linux AS version 3 quagga 0:0.96.2-8.3E',
        'Red Hat Enterprise Linux AS version 3 quagga-debuginfo 0:0.96.2-8.3E',
        'Red Hat Enterprise Linux ES version 3 quagga 0:0.96.2-8.3E',
        'Red Hat Enterprise Linux ES version 3 quagga-debuginfo 0:0.96.2-8.3E',
      ],
    );
    assert.equal(one('csaf/rhsa-2022_0011.json').packages[0]?.fixedVersion, '1:0.17-65.el7_6');
  });

  it('reads container images and not-affected products (OpenShift)', () => {
    const b = one('csaf/rhsa-2021_5186.json');
    assert.equal(b.severity, 'critical');
    const fixed = b.packages.find((p) => p.status === 'fixed');
    assert.equal(fixed?.name, 'openshift4/ose-metering-hive');
    assert.equal(fixed?.fixedVersion, 'v4.6.0-202112160147.p0.gf139e12.assembly.stream');
    assert.equal(b.packages.filter((p) => p.status === 'not_affected').length, 2);
  });

  it('reads an informational advisory without vulnerabilities', () => {
    const b = one('csaf/rhsa-2019_1862.json');
    assert.deepEqual(b.cves, []);
    assert.deepEqual(b.packages, []);
    assert.equal(b.severity, 'low');
  });
});

describe('CSAF: OASIS examples', () => {
  it('reads BSI-2022-0001: versions of a product, first fixed and affected', () => {
    const b = one('csaf/bsi-2022-0001.json');
    assert.equal(b.severity, 'medium'); // "Moderate"
    assert.equal(b.cvss?.score, 6.1);
    assert.deepEqual(
      b.packages.map((p) => [p.status, p.name, p.fixedVersion, p.versions]),
      [
        ['fixed', 'CVRF-CSAF-Converter', '1.0.0-rc2', undefined],
        [
          'affected',
          'CVRF-CSAF-Converter',
          undefined,
          ['1.0.0-alpha', '1.0.0-dev1', '1.0.0-dev2', '1.0.0-dev3', '1.0.0-rc1'],
        ],
      ],
    );
    assert.ok(b.references.some((r) => r.type === 'vendor_fix' && r.url.endsWith('/1.0.0-rc2')));
  });

  it('reads VEX documents: per-CVE statuses of one product', () => {
    const b = one('csaf/2022-evd-uc-03-ms-001.json');
    const byStatus = Object.fromEntries(b.packages.map((p) => [p.status, p.cves]));
    assert.ok(byStatus.under_investigation?.includes('CVE-2020-11896'));
    assert.ok(byStatus.not_affected?.includes('CVE-2020-11897'));
    assert.ok(byStatus.affected?.includes('CVE-2020-11898'));
    const vex = one('csaf/sec-vex-2022-0001.json');
    assert.deepEqual(vex.packages[0]?.versions, ['<=1.14.0']);
    assert.equal(vex.packages[0]?.status, 'not_affected');
    assert.equal(one('csaf/2022-evd-uc-01-a-001.json').packages[0]?.status, 'affected');
  });

  it('refuses a file that is not a CSAF document', () => {
    const { records, errors } = parseCsaf(fixture('csaf/example-01-rolie-feed-tlp-white.json'), 'feed.json');
    assert.deepEqual(records, []);
    assert.deepEqual(errors, [
      { file: 'feed.json', location: '/document', message: 'is required: this is not a CSAF document' },
    ]);
  });
});

describe('CSAF: written edge cases', () => {
  it('reads KB articles of Microsoft-style vendor fixes, through product groups too', () => {
    const b = one('written/msrc-style-csaf.json');
    assert.equal(b.id, 'msrc_CVE-2026-21239');
    assert.equal(b.vendor, 'Microsoft');
    assert.equal(b.severity, 'high');
    assert.equal(b.cvss?.score, 7.8);
    assert.deepEqual(
      b.packages.map((p) => [p.name, p.status, p.kbs, p.restartRequired]),
      [
        ['Windows 10 Version 1809 for 32-bit Systems', 'affected', ['KB5075904'], 'machine'],
        ['Windows Server 2022', 'affected', ['KB5075906', 'KB5075943'], 'machine'],
      ],
    );
    assert.deepEqual(b.cveDetails[0]?.cwes, ['CWE-122']);
  });

  it('reports a vulnerability naming an undefined product and keeps the rest of the document', () => {
    const file = 'csaf-bad-vulnerability.json';
    const { records, errors } = parseCsaf(fixture(`written/${file}`), file);
    assert.deepEqual(errors, [
      {
        file,
        location: '/vulnerabilities/0/product_status/known_affected/0',
        message: 'names product "EXA-999", which /product_tree does not define',
      },
    ]);
    assert.equal(records.length, 1);
    const b = records[0]!;
    assert.deepEqual(b.cves, ['CVE-2025-10002']);
    assert.equal(b.severity, 'critical'); // from the CVSS score: no aggregate severity
    assert.equal(b.published, '2025-05-01T08:00:00.000Z'); // offsets normalized to UTC
    assert.deepEqual(
      b.packages.map((p) => [p.ecosystem, p.name, p.status, p.fixedVersion ?? p.versions]),
      [
        ['Example Vendor', 'Example Appliance', 'fixed', '4.2.1'],
        ['Example Vendor', 'Example Appliance', 'affected', ['4.2.0']],
      ],
    );
  });

  it('same file twice gives the same records', () => {
    assert.deepEqual(
      parseCsaf(fixture('csaf/rhsa-2022_0011.json'), 'a'),
      parseCsaf(fixture('csaf/rhsa-2022_0011.json'), 'a'),
    );
  });
});

describe('parseNevra', () => {
  const table: [string, ReturnType<typeof parseNevra>][] = [
    [
      'git-lfs-0:2.13.3-3.el8_6.1.x86_64',
      { name: 'git-lfs', epoch: '0', version: '2.13.3', release: '3.el8_6.1', arch: 'x86_64' },
    ],
    [
      'telnet-1:0.17-65.el7_6.src',
      { name: 'telnet', epoch: '1', version: '0.17', release: '65.el7_6', arch: 'src' },
    ],
    [
      'quagga-debuginfo-0.96.2-8.3E.ia64',
      { name: 'quagga-debuginfo', epoch: '0', version: '0.96.2', release: '8.3E', arch: 'ia64' },
    ],
    ['Windows Server 2022', undefined],
    ['openshift4/ose-metering-hive:v4.6.0-202112160147.p0.gf139e12.assembly.stream', undefined],
  ];
  for (const [text, want] of table) it(text, () => assert.deepEqual(parseNevra(text), want));
});
