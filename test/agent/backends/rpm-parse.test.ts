import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classificationOf,
  compareRpmVersions,
  parseAdvisoryListJson,
  parseAdvisoryListText,
  parseCheckUpdate,
  parseNeedsRestarting,
  parseNevra,
  parseRpmQuery,
  parseUpdateinfoList,
} from '../../../src/agent/backends/rpm-parse.ts';
import { fixture } from './replay.ts';

/** Entries before "Obsoleting Packages", counted by a plain regex over lines starting with name.arch. */
function expectedEntries(text: string): number {
  const main = text.split(/^Obsoleting Packages/m)[0]!;
  return main.split('\n').filter((l) => /^[A-Za-z0-9_+-]\S*\.[a-z0-9_]+(\s|$)/.test(l)).length;
}

describe('check-update', () => {
  for (const file of [
    'dnf/oracle-linux-8.yum-check-update.stdout',
    'dnf/rocky8-8.yum-check-update.stdout',
    'yum/centos-7-1.yum-check-update.stdout',
    'yum/rhel-7-1.yum-check-update.stdout',
    'dnf/fedora-41.dnf5-check-update.own.stdout',
  ]) {
    it(`parses ${file}`, () => {
      const text = fixture(file);
      const list = parseCheckUpdate(text);
      assert.equal(list.length, expectedEntries(text));
      for (const e of list) {
        assert.match(e.version, /^(\d+:)?[\w.+~^]+-[\w.+~^]+$/, `${e.name} ${e.version}`);
        assert.ok(e.repo !== '' && !e.repo.startsWith('@'), `${e.name} repo ${e.repo}`);
      }
    });
  }
  it('joins yum lines wrapped after a long name, keeps epochs, ignores obsoletes', () => {
    const list = parseCheckUpdate(fixture('yum/centos-7-1.yum-check-update.stdout'));
    const oslogin = list.find((e) => e.name === 'google-compute-engine-oslogin')!;
    assert.deepEqual(oslogin, {
      name: 'google-compute-engine-oslogin',
      arch: 'x86_64',
      version: '1:20240415.00-g1.el7',
      repo: 'google-compute-engine',
    });
    const rhel = parseCheckUpdate(fixture('yum/rhel-7-1.yum-check-update.stdout'));
    assert.ok(!rhel.some((e) => e.name === 'google-cloud-cli'), 'obsoleting section is not an update list');
    assert.equal(rhel.find((e) => e.name === 'redhat-support-lib-python')?.version, '0.14.0-1.el7_9');
  });
});

describe('NEVRA', () => {
  const table: [string, string, string | null, string, string, string][] = [
    ['glibc-2.28-26.fc29.x86_64', 'glibc', null, '2.28', '26.fc29', 'x86_64'],
    [
      'iwl1000-firmware-1:39.31.5.1-115.fc32.noarch',
      'iwl1000-firmware',
      '1',
      '39.31.5.1',
      '115.fc32',
      'noarch',
    ],
    ['1:NetworkManager-1.22.8-5.el8_2.x86_64', 'NetworkManager', '1', '1.22.8', '5.el8_2', 'x86_64'],
    ['libreport-2.15.2-6.el9.src.rpm', 'libreport', null, '2.15.2', '6.el9', 'src'],
  ];
  for (const [text, name, epoch, version, release, arch] of table) {
    it(text, () => assert.deepEqual(parseNevra(text), { name, epoch, version, release, arch }));
  }
});

describe('updateinfo lists', () => {
  it('reads dnf 4 `updateinfo list` on Fedora 32 with one Moderate/Sec. row and an epoch', () => {
    const text = fixture('dnf/fedora-32.yum-updateinfo-list-C.stdout');
    const rows = parseUpdateinfoList(text);
    assert.equal(rows.length, text.split('\n').filter((l) => /^FEDORA-/.test(l)).length);
    const sec = rows.filter((r) => r.classification === 'security');
    assert.deepEqual(
      sec.map((r) => [r.id, r.severity, r.nevra.name]),
      [['FEDORA-2020-352b61ce72', 'moderate', 'iwl2000-firmware']],
    );
    assert.equal(rows.find((r) => r.nevra.name === 'iwl1000-firmware')?.nevra.epoch, '1');
    assert.ok(rows.filter((r) => r.classification === 'bugfix').length > 5);
  });
  it('reads the installed marker of --all', () => {
    const [r] = parseUpdateinfoList('i FEDORA-2018-318f184113 Moderate/Sec. CQRlib-1.1.2-16.fc29.x86_64\n');
    assert.equal(r!.installed, true);
    assert.equal(r!.severity, 'moderate');
  });
  it('reads dnf 5 JSON and text with CVE ids', () => {
    const json = parseAdvisoryListJson(fixture('dnf/fedora-41.dnf5-advisory-list-updates.own.json'));
    assert.deepEqual(
      json.map((a) => [a.id, a.classification, a.severity ?? null, a.nevra.name]),
      [
        ['FEDORA-2025-0a1b2c3d4e', 'security', 'important', 'curl'],
        ['FEDORA-2025-0a1b2c3d4e', 'security', 'important', 'libcurl'],
        ['FEDORA-2025-5f6e7d8c9b', 'bugfix', 'none', 'vim-enhanced'],
      ],
    );
    const cves = parseAdvisoryListText(
      fixture('dnf/fedora-41.dnf5-advisory-list-updates-with-cve.own.stdout'),
    );
    assert.deepEqual(
      cves.map((c) => [c.id, c.nevra.name]),
      [
        ['CVE-2024-11053', 'curl'],
        ['CVE-2024-11053', 'libcurl'],
      ],
    );
  });
  const types: [string, string][] = [
    ['security', 'security'],
    ['Important/Sec.', 'security'],
    ['bugfix', 'bugfix'],
    ['enhancement', 'enhancement'],
    ['newpackage', 'feature'],
    ['custom_type', 'other'],
  ];
  for (const [t, c] of types) it(`type ${t} → ${c}`, () => assert.equal(classificationOf(t), c));
});

describe('needs-restarting', () => {
  const table: [string, number, boolean, string[]][] = [
    ['dnf/azurelinux-3.tdnf-needs-restarting-r.reboot-required.stdout', 1, true, ['kernel']],
    ['dnf/azurelinux.dnf5-needs-restarting.reboot-required.stdout', 1, true, ['glibc']],
    [
      'yum/rhel-7.needs-restarting-r.reboot-required.stdout',
      1,
      true,
      ['kernel', 'glibc', 'dbus', 'linux-firmware', 'openssl-libs', 'systemd', 'gnutls'],
    ],
    ['dnf/dnf4.needs-restarting-r.no-reboot.own.stdout', 0, false, []],
  ];
  for (const [file, code, required, packages] of table) {
    it(`${file} (exit ${code})`, () => {
      assert.deepEqual(parseNeedsRestarting(fixture(file), code), { required, packages });
    });
  }
});

describe('rpm inventory', () => {
  it('reads the JSON-lines query of RHEL 9 and SLES 12, with epochs and source rpm names', () => {
    for (const file of ['dnf/rhel-9-1.rpm-query-all.stdout', 'zypper/sles-12-1.rpm-query-all.stdout']) {
      const text = fixture(file);
      const inv = parseRpmQuery(text);
      const lines = text.split('\n').filter((l) => l.startsWith('{'));
      assert.equal(inv.length, lines.filter((l) => !l.includes('"gpg-pubkey"')).length, file);
    }
    const rhel = parseRpmQuery(fixture('dnf/rhel-9-1.rpm-query-all.stdout'));
    assert.deepEqual(
      rhel.find((p) => p.name === 'vim-filesystem'),
      { name: 'vim-filesystem', version: '2:8.2.2637-20.el9_1', arch: 'noarch', source: 'vim' },
    );
  });
});

describe('rpm version order', () => {
  const table: [string, string, number][] = [
    ['4.18.0-553.45.1.el8_10', '4.18.0-553.40.1.el8_10', 1],
    ['2.28-251.0.2.el8_10.13', '2.28-251.0.3.el8_10.16', -1],
    ['1:1.0-1', '2.0-1', 1],
    ['0:1.0-1', '1.0-1', 0],
    ['1.0~rc1-1', '1.0-1', -1],
    ['1.0^git1-1', '1.0-1', 1],
    ['1.0a-1', '1.0-1', 1],
    ['1.10-1', '1.9-1', 1],
    ['1.010-1', '1.10-1', 0],
    ['2.17-326.el7_9', '2.17-326.el7_9.3', -1],
  ];
  for (const [a, b, sign] of table) {
    it(`${a} ${sign < 0 ? '<' : sign > 0 ? '>' : '='} ${b}`, () =>
      assert.equal(Math.sign(compareRpmVersions(a, b)), sign));
  }
});
