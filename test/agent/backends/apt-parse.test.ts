import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isSecurityOrigin,
  parseAptCachePolicy,
  parseAptListUpgradable,
  parseAptOrigin,
  parseAptSimulation,
  parseDebianChangelog,
  parseDpkgQuery,
  parseRebootRequiredPkgs,
  summariseChangelog,
  urgencyToSeverity,
} from '../../../src/agent/backends/apt-parse.ts';
import { compareDebianVersions } from '../../../src/core/advisories/versions.ts';
import { fixture } from './replay.ts';

/** Counts computed from the text with plain regexes, independent of the parser. */
function countLines(text: string, re: RegExp): number {
  return text.split('\n').filter((l) => re.test(l)).length;
}

describe('apt-get simulation output', () => {
  const recordings = [
    { file: 'apt/apt-get-s-dist-upgrade.txt', os: 'Debian 12', fromOrigin: 'Debian' },
    { file: 'apt/apt-get-s-dist-upgrade-security-only.txt', os: 'Debian 12', fromOrigin: 'Debian-Security' },
    {
      file: 'apt/apt-get-s-install-only-upgrade-openssl.txt',
      os: 'Debian 12',
      fromOrigin: 'Debian-Security',
    },
    { file: 'apt/debian-12-1.apt-get-full-upgrade.stdout', os: 'Debian 12 (GCE)', fromOrigin: 'Debian' },
    { file: 'apt/ubuntu-22.apt-get-full-upgrade.stdout', os: 'Ubuntu 22.04', fromOrigin: 'Ubuntu' },
    { file: 'apt/ubuntu-24.apt-get-full-upgrade.stdout', os: 'Ubuntu 24.04', fromOrigin: 'Ubuntu' },
  ];
  for (const r of recordings) {
    it(`parses every Inst line of ${r.os} (${r.file})`, () => {
      const text = fixture(r.file);
      const sim = parseAptSimulation(text);
      assert.equal(sim.installs.length, countLines(text, /^Inst /));
      assert.equal(
        sim.installs.filter((i) => i.currentVersion === null).length,
        countLines(text, /^Inst \S+ \(/),
      );
      assert.equal(sim.installs.filter((i) => i.security).length, countLines(text, /^Inst .*-security/));
      for (const i of sim.installs) {
        assert.match(i.arch, /^(amd64|all|arm64|i386)$/);
        assert.ok(i.origins.length >= 1, `${i.name} has an origin`);
        assert.ok(!i.version.includes(' '));
      }
      assert.ok(sim.installs.some((i) => i.origins.some((o) => o.label === r.fromOrigin)));
    });
  }

  it('reads versions, arch and origins of one line exactly', () => {
    const sim = parseAptSimulation(
      'Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])\n' +
        'Inst libpam-modules-bin [1.4.0-11ubuntu2.4] (1.4.0-11ubuntu2.5 Ubuntu:22.04/jammy-updates [amd64]) [libpam-modules:amd64 on libpam-modules-bin:amd64] [libpam-modules:amd64 ]\n' +
        'Inst google-cloud-cli-anthoscli (520.0.0-0 cloud-sdk-bullseye:cloud-sdk-bookworm [amd64])\n' +
        'Inst plhello [1.0] (1.1 localhost [all])\n' +
        'Inst libc6:i386 [2.36-9+deb12u4] (2.36-9+deb12u7 Debian-Security:12/stable-security [i386])\n' +
        'Remv oldthing [1.0]\n',
    );
    assert.deepEqual(
      sim.installs.map((i) => [i.name, i.currentVersion, i.version, i.arch, i.security, i.origins.length]),
      [
        ['libgcrypt20', '1.10.1-3', '1.10.1-3+deb12u1', 'amd64', true, 2],
        ['libpam-modules-bin', '1.4.0-11ubuntu2.4', '1.4.0-11ubuntu2.5', 'amd64', false, 1],
        ['google-cloud-cli-anthoscli', null, '520.0.0-0', 'amd64', false, 1],
        ['plhello', '1.0', '1.1', 'all', false, 1],
        ['libc6', '2.36-9+deb12u4', '2.36-9+deb12u7', 'i386', true, 1],
      ],
    );
    assert.equal(sim.installs[4]!.qualifier, 'i386');
    assert.deepEqual(sim.removals, ['oldthing']);
  });

  it('agrees with the security-only simulation about which updates come from the security archive', () => {
    const full = parseAptSimulation(fixture('apt/apt-get-s-dist-upgrade.txt'));
    const secOnly = new Set(
      parseAptSimulation(fixture('apt/apt-get-s-dist-upgrade-security-only.txt')).installs.map((i) => i.name),
    );
    for (const i of full.installs.filter((x) => x.security)) assert.ok(secOnly.has(i.name), i.name);
  });
});

describe('apt origins', () => {
  const table: [string, string, string, string, boolean][] = [
    ['Debian-Security:12/oldstable-security', 'Debian-Security', '12', 'oldstable-security', true],
    ['Debian:12.15/oldstable', 'Debian', '12.15', 'oldstable', false],
    ['Debian:12-updates/stable-updates', 'Debian', '12-updates', 'stable-updates', false],
    ['Ubuntu:22.04/jammy-security', 'Ubuntu', '22.04', 'jammy-security', true],
    ['Ubuntu:22.04/jammy-updates', 'Ubuntu', '22.04', 'jammy-updates', false],
    ['UbuntuESMApps:22.04/jammy-apps-security', 'UbuntuESMApps', '22.04', 'jammy-apps-security', true],
    ['cloud-sdk-bullseye:cloud-sdk-bookworm', 'cloud-sdk-bullseye', '', 'cloud-sdk-bookworm', false],
    ['Debian-Security:bookworm-security', 'Debian-Security', '', 'bookworm-security', true],
    ['localhost', '', '', 'localhost', false],
  ];
  for (const [text, label, release, archive, security] of table) {
    it(`${text} → ${security ? 'security' : 'not security'}`, () => {
      const o = parseAptOrigin(text);
      assert.deepEqual([o.label, o.release, o.archive], [label, release, archive]);
      assert.equal(isSecurityOrigin(o), security);
    });
  }
});

describe('apt list --upgradable', () => {
  it('parses all 121 lines and matches the simulation', () => {
    const list = parseAptListUpgradable(fixture('apt/apt-list-upgradable.txt'));
    const sim = parseAptSimulation(fixture('apt/apt-get-s-dist-upgrade.txt'));
    assert.equal(list.length, sim.installs.length);
    const simBy = new Map(sim.installs.map((i) => [i.name, i]));
    for (const u of list) {
      const s = simBy.get(u.name);
      assert.ok(s, `${u.name} in the simulation`);
      assert.equal(u.version, s.version);
      assert.equal(u.currentVersion, s.currentVersion);
      assert.equal(u.security, s.security, `${u.name} security flag`);
    }
  });
});

describe('dpkg-query inventory', () => {
  it('reads the tab-separated format the backend asks for, matching the simulation "from" versions', () => {
    const inv = parseDpkgQuery(fixture('apt/dpkg-query-W-upgradable-packages.tsv'));
    const sim = parseAptSimulation(fixture('apt/apt-get-s-dist-upgrade.txt'));
    assert.equal(inv.length, 121);
    const byName = new Map(inv.map((p) => [p.name, p]));
    for (const i of sim.installs) assert.equal(byName.get(i.name)?.version, i.currentVersion, i.name);
    const bash = byName.get('bash')!;
    assert.deepEqual([bash.version, bash.source], ['5.2.15-2+b8', 'bash']);
    assert.equal(byName.get('linux-libc-dev')?.arch, 'amd64'); // recorded as linux-libc-dev:amd64
  });
  for (const [file, lines] of [
    ['apt/debian-12-1.dpkg-query-show.stdout', 'Debian 12'],
    ['apt/ubuntu-24-1.dpkg-query-show.stdout', 'Ubuntu 24.04'],
  ] as const) {
    it(`reads JSON lines (${lines}) and drops config-files remnants`, () => {
      const text = fixture(file);
      const inv = parseDpkgQuery(text);
      assert.equal(inv.length, countLines(text, /"status":"installed"/));
      assert.ok(inv.every((p) => p.status === undefined));
    });
  }
  it('reports half-configured packages', () => {
    const inv = parseDpkgQuery('plfail\t1.1\tall\tiF \tplfail\t1.1\nold\t1\tall\trc \told\t1\n');
    assert.deepEqual(inv, [
      { name: 'plfail', version: '1.1', arch: 'all', source: 'plfail', status: 'half-configured' },
    ]);
  });
});

describe('apt-cache policy', () => {
  it('reads installed, candidate and the suite of each version', () => {
    const pol = parseAptCachePolicy(fixture('apt/apt-cache-policy.txt'));
    assert.deepEqual(
      pol.map((p) => p.name),
      ['openssl', 'libssl3', 'liblzma5', 'openssh-client', 'libxml2'],
    );
    const ssh = pol.find((p) => p.name === 'openssh-client')!;
    assert.equal(ssh.installed, '1:9.2p1-2+deb12u6');
    assert.equal(ssh.candidate, '1:9.2p1-2+deb12u10');
    assert.deepEqual(
      ssh.versions.map((v) => [v.version, v.installed, v.suites.join()]),
      [
        ['1:9.2p1-2+deb12u10', false, 'bookworm'],
        ['1:9.2p1-2+deb12u9', false, 'bookworm-security'],
        ['1:9.2p1-2+deb12u7', false, 'bookworm-updates'],
        ['1:9.2p1-2+deb12u6', true, 'now'],
      ],
    );
  });
});

describe('Debian changelogs', () => {
  it('splits entries, reads urgency and CVE ids', () => {
    const entries = parseDebianChangelog(
      fixture('apt/changelog.Debian.openssl-3.0.22-1~deb12u2.excerpt.txt'),
    );
    assert.equal(entries.length, 6);
    assert.deepEqual(entries[0]!.distributions, ['bookworm-security']);
    assert.equal(entries[0]!.urgency, 'high');
    assert.equal(entries[0]!.cves.length, 6);
    assert.ok(entries[0]!.cves.includes('CVE-2026-84782'));
    // what the 3.0.19-1~deb12u2 → 3.0.22-1~deb12u2 upgrade brings
    const s = summariseChangelog(entries, (v) => compareDebianVersions(v, '3.0.19-1~deb12u2') > 0)!;
    assert.equal(s.urgency, 'high');
    assert.equal(urgencyToSeverity(s.urgency), 'important');
    const expected = new Set(entries.slice(0, 4).flatMap((e) => e.cves));
    assert.deepEqual(new Set(s.cves), expected);
  });
  it('finds no CVE where the changelog names a GHSA', () => {
    const entries = parseDebianChangelog(
      fixture('apt/changelog.Debian.xz-utils-5.4.1-1+deb12u2.excerpt.txt'),
    );
    assert.equal(entries.length, 4);
    assert.equal(entries[0]!.version, '5.4.1-1+deb12u2');
    assert.match(entries[0]!.text, /GHSA-/);
  });
  it('reads libxml2 "Fix CVE-…" entries from both archives', () => {
    const entries = parseDebianChangelog(
      fixture('apt/changelog.Debian.libxml2-2.9.14+dfsg-1.3~deb12u6.excerpt.txt'),
    );
    assert.equal(entries.length, 6);
    assert.ok(entries.some((e) => e.distributions.includes('bookworm-security')));
    assert.ok(entries[0]!.cves.length > 0);
  });
});

describe('reboot-required.pkgs', () => {
  it('lists each package once', () => {
    assert.deepEqual(parseRebootRequiredPkgs(fixture('apt/reboot-required.pkgs.tildebin-fixture.txt')), [
      'linux-image-5.15.0-91-generic',
      'linux-headers-5.15.0-91-generic',
    ]);
    assert.deepEqual(parseRebootRequiredPkgs('libc6\ndbus\nlibc6\n\n'), ['libc6', 'dbus']);
  });
});

describe('Debian version order', () => {
  const table: [string, string, number][] = [
    ['1.0', '1.1', -1],
    ['1.1', '1.0', 1],
    ['1.0', '1.0', 0],
    ['1.0~rc1', '1.0', -1],
    ['1:1.0', '2.0', 1],
    ['5.2.15-2+b8', '5.2.15-2+b13', -1],
    ['3.0.19-1~deb12u2', '3.0.22-1~deb12u2', -1],
    ['1:9.2p1-2+deb12u9', '1:9.2p1-2+deb12u10', -1],
    ['2.9.14+dfsg-1.3~deb12u4', '2.9.14+dfsg-1.3~deb12u5', -1],
    ['1.0-1', '1.0', 1],
    ['1.0a', '1.0', 1],
    ['1.0', '1.0.0', -1],
    ['1.01', '1.1', 0],
  ];
  for (const [a, b, sign] of table) {
    it(`${a} ${sign < 0 ? '<' : sign > 0 ? '>' : '='} ${b}`, () => {
      assert.equal(Math.sign(compareDebianVersions(a, b)), sign);
    });
  }
});
