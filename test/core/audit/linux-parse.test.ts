// The Linux audit parsers on outputs recorded on a Debian 12 machine (fixtures/linux/README.md names
// the commands); the DMI and CUPS parsers on inline texts in the documented formats (this machine has
// neither), marked below.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  parseCpuInfo,
  parseDf,
  parseDmi,
  parseDpkgApps,
  parseEnabledServices,
  parseGroups,
  parseLpstat,
  parseLsblkDisks,
  parseMemInfo,
  parseOsRelease,
  parsePasswd,
  parseRpmApps,
  parseSysPci,
  parseUptime,
} from '../../../src/core/audit/linux-parse.ts';
import { boundReport, emptyLists, linuxSecurityProducts } from '../../../src/core/audit/model.ts';

const fx = (name: string) => readFileSync(new URL(`./fixtures/linux/${name}`, import.meta.url), 'utf8');

test('os-release, cpuinfo, meminfo, uptime (recorded)', () => {
  assert.deepEqual(parseOsRelease(fx('os-release.txt')), {
    osName: 'Debian GNU/Linux 12 (bookworm)',
    osVersion: '12',
  });
  assert.deepEqual(parseCpuInfo(fx('proc-cpuinfo.txt')), {
    cpuManufacturer: 'AMD',
    cpuDescription: 'AMD EPYC',
    cpuFamily: '25',
    cpuCount: 2,
    cpuSpeedMhz: 2445,
  });
  assert.deepEqual(parseMemInfo(fx('proc-meminfo.txt')), { ramMBytes: 24105 });
  const now = Date.parse('2026-12-07T12:00:00Z');
  assert.deepEqual(parseUptime('312.82 365.95\n', now), { lastBootAt: '2026-12-07T11:54:47.180Z' });
  assert.deepEqual(parseUptime('', now), {});
});

test('installed packages from dpkg-query (recorded): name, version, maintainer, size, summary', () => {
  const apps = parseDpkgApps(fx('dpkg-query-apps.tsv'));
  assert.equal(apps.length, 80);
  assert.deepEqual(
    apps.find((a) => a.name === 'bash'),
    {
      name: 'bash',
      version: '5.2.15-2+b8',
      publisher: 'Matthias Klose',
      description: 'GNU Bourne Again SHell',
      sizeKBytes: 7164,
    },
  );
  // removed packages that keep their configuration (rc) are not installed
  assert.equal(parseDpkgApps('gone\t1.0\tX <x@y>\t10\trc \tgone\n').length, 0);
  assert.equal(parseDpkgApps('half\t1.0\tX <x@y>\t10\tiF \thalf\nlib:amd64\t2\tY\t1\tii \tl\n').length, 2);
});

test('rpm query lines (format of RPM_APPS_FORMAT): size in bytes, gpg-pubkey dropped', () => {
  const apps = parseRpmApps(
    'bash\t5.1.8-9.el9\tRed Hat, Inc.\t7738634\tThe GNU Bourne Again shell\ngpg-pubkey\tfd431d51-4ae0493b\t(none)\t0\tgpg(Red Hat)\n',
  );
  assert.deepEqual(apps, [
    {
      name: 'bash',
      version: '5.1.8-9.el9',
      publisher: 'Red Hat, Inc.',
      description: 'The GNU Bourne Again shell',
      sizeKBytes: 7557,
    },
  ]);
});

test('volumes from df (recorded): pseudo file systems left out, sizes in MB', () => {
  assert.deepEqual(parseDf(fx('df-PT-B1.txt')), [
    { drive: '/', type: 'Fixed', format: 'ext4', label: '/dev/vda', totalMBytes: 258020, freeMBytes: 80193 },
  ]);
});

test('disks from lsblk (recorded): the zram device is not a drive', () => {
  assert.deepEqual(parseLsblkDisks(fx('lsblk-J-b.json')), [
    {
      kind: 'disk',
      typeName: 'Disk Drive',
      vendor: '0x1af4',
      product: '/dev/vda',
      note: '275 GB, rotational',
    },
  ]);
});

test('PCI devices from sysfs (recorded): class and vendor names', () => {
  const pci = parseSysPci(fx('sys-bus-pci-devices.txt'));
  assert.equal(pci.length, 6);
  assert.deepEqual(pci[0], {
    kind: 'pci',
    typeName: 'Host Bridge',
    vendor: 'Intel Corporation',
    product: 'device 8086:0d57',
    note: 'slot 0000:00:00.0',
  });
  assert.deepEqual(
    pci.map((p) => p.typeName),
    [
      'Host Bridge',
      'Unassigned Class',
      'Mass Storage Controller',
      'Ethernet Controller',
      'Unassigned Class',
      'Unassigned Class',
    ],
  );
  assert.equal(pci[3]!.vendor, 'Red Hat, Inc. (virtio)');
});

test('accounts, groups and members from /etc/passwd and /etc/group (recorded)', () => {
  const passwd = fx('etc-passwd.txt');
  const users = parsePasswd(passwd);
  assert.equal(users.length, 31);
  assert.deepEqual(users[0], {
    logonName: 'root',
    fullName: 'root',
    description: 'uid 0, home /root, shell /bin/bash',
    disabled: false,
    lockedOut: false,
  });
  assert.equal(users.filter((u) => u.disabled).length, 27);
  assert.equal(users.find((u) => u.logonName === 'postgres')?.fullName, 'PostgreSQL administrator');
  const { groups, members } = parseGroups(fx('etc-group.txt'), passwd);
  assert.equal(groups.length, 59);
  assert.deepEqual(
    groups.find((g) => g.name === 'sudo'),
    { name: 'sudo', description: 'gid 27' },
  );
  // listed members, and each account in its primary group
  assert.ok(members.some((m) => m.group === 'ssl-cert' && m.member === 'postgres'));
  assert.ok(members.some((m) => m.group === 'postgres' && m.member === 'postgres'));
  assert.ok(members.some((m) => m.group === 'root' && m.member === 'root'));
});

test('startup services from systemctl (recorded); security products from packages and services', () => {
  const startup = parseEnabledServices(fx('systemctl-enabled-services.txt'));
  assert.equal(startup.length, 12);
  assert.deepEqual(startup[0], {
    name: 'avahi-daemon.service',
    command: 'systemctl start avahi-daemon.service',
    user: 'root',
  });
  const apps = [
    { name: 'ufw', version: '0.36.2-1', publisher: 'Jamie Strandboge' },
    { name: 'clamav', version: '1.0.7' },
    { name: 'bash' },
  ];
  assert.deepEqual(linuxSecurityProducts(apps, [...startup, { name: 'ufw.service' }]), [
    {
      type: 'Firewall',
      name: 'Uncomplicated Firewall',
      manufacturer: 'Jamie Strandboge',
      version: '0.36.2-1',
      active: true,
    },
    { type: 'AntiVirus', name: 'ClamAV (scanner)', version: '1.0.7' },
  ]);
});

test('DMI files and lpstat (inline texts in the kernel and CUPS formats, not recorded here)', () => {
  assert.deepEqual(
    parseDmi({
      sys_vendor: 'Dell Inc.\n',
      product_name: 'OptiPlex 7090\n',
      product_serial: '7XK2QH3\n',
      chassis_type: '3\n',
      board_vendor: 'Dell Inc.\n',
      bios_vendor: 'Dell Inc.\n',
      bios_version: '1.21.0\n',
      bios_date: '03/12/2024\n',
      chassis_asset_tag: 'Default string\n',
    }),
    {
      manufacturer: 'Dell Inc.',
      model: 'OptiPlex 7090',
      serialNumber: '7XK2QH3',
      boardManufacturer: 'Dell Inc.',
      biosVendor: 'Dell Inc.',
      biosVersion: '1.21.0',
      biosReleaseDate: '2024-03-12',
      chassisType: 'Desktop',
    },
  );
  assert.deepEqual(
    parseLpstat('device for HP_LaserJet: ipp://192.0.2.40/ipp/print\ndevice for PDF: cups-pdf:/\n'),
    [
      { name: 'HP_LaserJet', port: 'ipp://192.0.2.40/ipp/print' },
      { name: 'PDF', port: 'cups-pdf:/' },
    ],
  );
});

test('boundReport cuts lists and texts to the wire bounds and drops empty values', () => {
  const r = boundReport({
    kind: 'latest',
    collectedAt: '2026-12-07T12:00:00.000Z',
    summary: { hostname: 'h', osName: '', cpuSpeedMhz: Number.NaN },
    ...emptyLists(),
    applications: Array.from({ length: 6000 }, (_, i) => ({ name: `p${i}`, description: 'x'.repeat(5000) })),
  });
  assert.deepEqual(r.summary, { hostname: 'h' });
  assert.equal(r.applications.length, 5000);
  assert.equal(r.applications[0]!.description!.length, 1000);
});
