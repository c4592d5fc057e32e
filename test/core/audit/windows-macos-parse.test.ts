// The Windows and macOS audit parsers over the outputs the simulated machines answer with
// (src/core/simulation/audit-samples.ts: composed in the tools' formats, not captured on those systems),
// plus the forms ConvertTo-Json takes that the samples do not show.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMacosAudit } from '../../../src/core/audit/macos-parse.ts';
import { decodeProductState, parseWindowsAudit } from '../../../src/core/audit/windows-parse.ts';
import { simulatedAudit } from '../../../src/core/simulation/audit.ts';
import { MACOS_AUDIT_SAMPLE, WINDOWS_AUDIT_SAMPLE } from '../../../src/core/simulation/audit-samples.ts';
import { Value } from 'typebox/value';
import { AuditReport } from '../../../src/wire/audit.ts';

const AT = '2026-12-07T12:00:00.000Z';

test('Windows: summary from the CIM classes', () => {
  const r = parseWindowsAudit(WINDOWS_AUDIT_SAMPLE, 'latest', AT);
  assert.deepEqual(r.summary, {
    hostname: 'WIN-SIM',
    osName: 'Microsoft Windows 11 Pro',
    osVersion: '10.0.22631',
    manufacturer: 'Dell Inc.',
    model: 'OptiPlex 7090',
    serialNumber: '7XK2QH3',
    chassisType: 'Desktop',
    chassisManufacturer: 'Dell Inc.',
    chassisSerialNumber: '7XK2QH3',
    boardManufacturer: 'Dell Inc.',
    boardProduct: '0NFKRN',
    boardVersion: 'A00',
    boardSerialNumber: '/7XK2QH3/CNCMK0013B00C3/',
    biosVendor: 'Dell Inc.',
    biosVersion: '1.21.0',
    biosReleaseDate: '2024-03-12',
    cpuManufacturer: 'GenuineIntel',
    cpuDescription: '11th Gen Intel(R) Core(TM) i7-11700 @ 2.50GHz',
    cpuCount: 16,
    cpuSpeedMhz: 2496,
    ramMBytes: 16226,
    lastBootAt: '2026-12-01T07:12:44.0000000Z',
  });
});

test('Windows: every list, one-item collections written as bare objects included', () => {
  const r = parseWindowsAudit(WINDOWS_AUDIT_SAMPLE, 'baseline', AT);
  assert.equal(r.kind, 'baseline');
  assert.deepEqual(r.applications[0], {
    name: 'Google Chrome',
    version: '131.0.6778.86',
    publisher: 'Google LLC',
    directory: 'C:\\Program Files\\Google\\Chrome\\Application',
    sizeKBytes: 565432,
    installedAt: '2024-11-18',
  });
  assert.equal(r.programs.length, 4);
  assert.equal(r.programs[2]!.uninstallString, 'MsiExec.exe /X{A181A302-3F6D-4BAD-97A8-A426A6499D78}');
  assert.deepEqual(r.volumes, [
    { drive: 'C:', type: 'Fixed', format: 'NTFS', label: 'Windows', totalMBytes: 487109, freeMBytes: 303708 },
    { drive: 'D:', type: 'CD-ROM' },
  ]);
  assert.deepEqual(
    r.devices.map((d) => [d.kind, d.typeName]),
    [
      ['pci', 'Net'],
      ['pci', 'Display'],
      ['pci', 'SCSIAdapter'],
      ['disk', 'Disk Drive'],
    ],
  );
  assert.equal(r.devices[3]!.note, 'SCSI, 512 GB');
  assert.deepEqual(r.printers[1], {
    name: 'HP LaserJet M507 (Floor 2)',
    port: '192.0.2.40',
    model: 'HP Universal Printing PCL 6',
  });
  assert.deepEqual(r.securityProducts, [
    { type: 'AntiVirus', name: 'Windows Defender', active: true, upToDate: true },
  ]);
  assert.equal(r.startupApps.length, 2);
  assert.deepEqual(
    r.users.map((u) => [u.logonName, u.disabled]),
    [
      ['Administrator', true],
      ['alice', false],
      ['Guest', true],
    ],
  );
  assert.equal(r.groups.length, 3);
  assert.deepEqual(r.members[1], { group: 'Administrators', member: 'alice' });
  assert.deepEqual(r.licenses, [
    {
      product: 'Windows(R), Professional edition',
      publisher: 'Microsoft Corporation',
      productKey: '*****-*****-*****-*****-3V66T',
      licenseCode: 'OEM:DM, Licensed',
      version: 'Windows(R) Operating System, OEM_DM channel',
    },
  ]);
});

test('Windows Security Center productState', () => {
  assert.deepEqual(decodeProductState(397568), { active: true, upToDate: true }); // 0x061100
  assert.deepEqual(decodeProductState(393472), { active: false, upToDate: true }); // 0x060100
  assert.deepEqual(decodeProductState(397584), { active: true, upToDate: false }); // 0x061110
});

test('macOS: system_profiler data types', () => {
  const r = parseMacosAudit(MACOS_AUDIT_SAMPLE, 'latest', AT);
  assert.deepEqual(r.summary, {
    hostname: 'mac-sim',
    osName: 'macOS',
    osVersion: '14.4.1',
    manufacturer: 'Apple Inc.',
    model: 'MacBook Air',
    systemVersion: 'MacBookAir10,1',
    serialNumber: 'C02FJ0ABQ6L4',
    biosVendor: 'Apple Inc.',
    biosVersion: '10151.101.3',
    cpuManufacturer: 'Apple',
    cpuDescription: 'Apple M1',
    cpuCount: 8,
    ramMBytes: 16384,
  });
  assert.deepEqual(
    r.applications.map((a) => [a.name, a.version, a.publisher ?? null]),
    [
      ['Safari', '17.4.1', 'Apple Inc.'],
      ['Google Chrome', '131.0.6778.86', null],
      ['Microsoft Word', '16.91', null],
    ],
  );
  assert.deepEqual(r.volumes, [
    {
      drive: '/System/Volumes/Data',
      type: 'Fixed',
      format: 'APFS',
      label: 'Macintosh HD - Data',
      totalMBytes: 471482,
      freeMBytes: 296822,
    },
  ]);
  assert.deepEqual(r.devices, [
    {
      kind: 'disk',
      typeName: 'Disk Drive',
      vendor: 'APPLE',
      product: 'APPLE SSD AP0512Q',
      note: '500,28 GB, serial 0ba0146ac1a2b413',
    },
  ]);
  assert.equal(r.printers[0]!.port, 'ipp://192.0.2.40/ipp/print');
  assert.deepEqual(r.securityProducts, [
    { type: 'Firewall', name: 'macOS Application Firewall', manufacturer: 'Apple Inc.', active: true },
  ]);
  assert.deepEqual([r.programs, r.users, r.groups, r.licenses], [[], [], [], []]);
});

test('simulated machines of every family report audits the wire schema accepts', () => {
  for (const family of ['windows', 'macos', 'debian', 'rhel'] as const) {
    const r = simulatedAudit({
      family,
      name: `sim-${family}`,
      seed: 7,
      inventory: [{ name: 'openssl', version: '3.0.1', arch: 'amd64' }],
      kind: 'latest',
      now: Date.parse(AT),
    });
    assert.ok(
      Value.Check(AuditReport, r),
      `${family}: ${JSON.stringify([...Value.Errors(AuditReport, r)][0])}`,
    );
    assert.equal(r.summary.hostname, `sim-${family}`);
    assert.equal(r.summary.serialNumber, 'SIM0000007');
    assert.ok(r.applications.length > 0 && r.volumes.length > 0, family);
  }
});
