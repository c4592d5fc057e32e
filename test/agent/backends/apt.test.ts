import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AptBackend } from '../../../src/agent/backends/apt.ts';
import { aptRootAt } from '../../../src/agent/backends/apt-root.ts';
import { fixture, replayRunner } from './replay.ts';

const openssl3Changelog = fixture('apt/changelog.Debian.openssl-3.0.22-1~deb12u2.excerpt.txt');

describe('apt backend on recorded Debian 12 outputs', () => {
  const replies = [
    { match: ['apt-get', 'update'], result: { stdout: 'Reading package lists...\n' } },
    {
      match: ['apt-get', '-s', 'dist-upgrade'],
      result: { stdout: fixture('apt/apt-get-s-dist-upgrade.txt') },
    },
    { match: ['apt-cache', 'policy'], result: { stdout: fixture('apt/apt-cache-policy.txt') } },
    { match: ['dpkg-query', '-W'], result: { stdout: fixture('apt/dpkg-query-W-upgradable-packages.tsv') } },
    { match: ['apt-get', 'changelog', 'openssl=3.0.22-1~deb12u2'], result: { stdout: openssl3Changelog } },
    { match: ['apt-get', 'changelog'], result: { code: 100, stderr: 'E: Failed to fetch changelog\n' } },
  ];

  it('lists every upgrade with versions, origin and security class', async () => {
    const { runner, calls } = replayRunner(replies);
    const scan = await new AptBackend({ runner, rebootDir: '/nonexistent' }).scan();
    assert.equal(scan.backend, 'apt');
    assert.equal(scan.updates.length, 121);
    assert.equal(scan.inventory.length, 121);
    const byName = new Map(scan.updates.map((u) => [u.name, u]));
    const lzma = byName.get('liblzma5')!;
    assert.deepEqual(
      [lzma.id, lzma.installedVersion, lzma.version, lzma.arch, lzma.classification, lzma.source],
      [
        'liblzma5:amd64',
        '5.4.1-1',
        '5.4.1-1+deb12u2',
        'amd64',
        'security',
        'Debian-Security:12/oldstable-security',
      ],
    );
    assert.equal(byName.get('base-files')!.classification, 'other');
    // candidate from the point release that supersedes a security-archive version (seen in apt-cache policy)
    assert.equal(byName.get('openssh-client')!.classification, 'security');
    // libxml2's security version is older than the installed one: the point release is not a security update
    assert.equal(byName.get('libxml2')!.classification, 'other');
    assert.equal(scan.updates.filter((u) => u.classification === 'security').length, 74 + 1);
    // scanning runs apt non-interactively and never asks for changelogs unless told to
    const env = calls.find((c) => c.cmd === 'apt-get')!.opts?.env;
    assert.equal(env?.DEBIAN_FRONTEND, 'noninteractive');
    assert.equal(env?.APT_CONFIG, undefined);
    assert.ok(!calls.some((c) => c.args.includes('changelog')));
    assert.deepEqual(scan.warnings, []);
  });

  it('takes severity and CVE ids from the changelog when asked to', async () => {
    const { runner } = replayRunner(replies);
    const scan = await new AptBackend({ runner, changelogs: true, rebootDir: '/nonexistent' }).scan({
      refresh: false,
    });
    const openssl = scan.updates.find((u) => u.name === 'openssl')!;
    assert.equal(openssl.severity, 'important');
    assert.equal(openssl.vendorSeverity, 'urgency=high');
    assert.ok(openssl.cves.includes('CVE-2026-84782'));
    assert.ok(openssl.cves.includes('CVE-2026-42767')); // from 3.0.22-1~deb12u1, also newer than installed
    // the other security updates had no changelog: each is a warning, not a failure
    assert.equal(
      scan.warnings.length,
      scan.updates.filter((u) => u.classification === 'security').length - 1,
    );
  });

  it('keeps going when a mirror fails, and says so', async () => {
    const { runner } = replayRunner([
      {
        match: ['apt-get', 'update'],
        result: { code: 100, stderr: 'E: Failed to fetch http://x/InRelease\n' },
      },
      ...replies.slice(1),
    ]);
    const scan = await new AptBackend({ runner, rebootDir: '/nonexistent' }).scan();
    assert.equal(scan.updates.length, 121);
    assert.match(scan.warnings[0]!, /apt-get update exited with 100: E: Failed to fetch/);
  });

  it('fails the scan when the simulation fails', async () => {
    const { runner } = replayRunner([
      { match: ['apt-get', '-s'], result: { code: 100, stderr: 'E: Could not open lock file\n' } },
    ]);
    await assert.rejects(
      new AptBackend({ runner }).scan({ refresh: false }),
      /exited with code 100: E: Could not/,
    );
  });

  it('reads Ubuntu updates as non-security and skips new dependencies', async () => {
    const { runner } = replayRunner([
      { match: ['apt-get', '-s'], result: { stdout: fixture('apt/ubuntu-22.apt-get-full-upgrade.stdout') } },
      { match: ['apt-cache', 'policy'], result: { stdout: '' } },
      { match: ['dpkg-query'], result: { stdout: '' } },
    ]);
    const scan = await new AptBackend({ runner, rebootDir: '/nonexistent' }).scan({ refresh: false });
    assert.equal(scan.updates.length, 41); // 42 Inst lines, one brings a new package
    assert.ok(scan.updates.every((u) => u.classification === 'other'));
    const fromUbuntu = scan.updates.filter((u) => u.source.startsWith('Ubuntu:22.04/jammy'));
    assert.equal(fromUbuntu.length, 40); // and one from Google's artifact-registry repository
  });
});

describe('apt backend installs', () => {
  it('installs the exact version with --only-upgrade and reports per package', async () => {
    const { runner, calls } = replayRunner([
      { match: ['apt-get', 'install', 'openssl:amd64=3.0.22-1~deb12u2'], result: { code: 0 } },
      {
        match: ['apt-get', 'install', 'libxml2=2.9.14+dfsg-1.3~deb12u6'],
        result: { code: 100, stderr: "E: Version '2.9.14+dfsg-1.3~deb12u6' for 'libxml2' was not found\n" },
      },
      {
        match: ['dpkg-query', 'openssl:amd64'],
        result: { stdout: 'openssl\t3.0.22-1~deb12u2\tamd64\tii \topenssl\t3.0.22-1~deb12u2\n' },
      },
      {
        match: ['dpkg-query', 'libxml2'],
        result: { stdout: 'libxml2\t2.9.14+dfsg-1.3~deb12u5\tamd64\tii \tlibxml2\tx\n' },
      },
    ]);
    const results = await new AptBackend({ runner, rebootDir: '/nonexistent' }).install([
      { id: 'openssl:amd64', name: 'openssl', version: '3.0.22-1~deb12u2', arch: 'amd64' },
      { id: 'libxml2:amd64', name: 'libxml2', version: '2.9.14+dfsg-1.3~deb12u6' },
      { id: 'x', name: '-o APT::Get::Assume-Yes=1', version: '1' },
    ]);
    assert.deepEqual(
      results.map((r) => [r.id, r.status, r.exitCode, r.newVersion]),
      [
        ['openssl:amd64', 'succeeded', 0, '3.0.22-1~deb12u2'],
        ['libxml2:amd64', 'failed', 100, '2.9.14+dfsg-1.3~deb12u5'],
        ['x', 'failed', null, null],
      ],
    );
    assert.match(results[1]!.message, /Version '2.9.14\+dfsg-1.3~deb12u6' for 'libxml2' was not found/);
    assert.match(results[2]!.message, /is not a Debian package name/);
    const install = calls.find((c) => c.args.includes('install'))!;
    assert.deepEqual(install.args.slice(0, 4), ['install', '-y', '-q', '--only-upgrade']);
    assert.equal(install.args.at(-1), 'openssl:amd64=3.0.22-1~deb12u2');
    assert.equal(install.opts?.env?.DEBIAN_FRONTEND, 'noninteractive');
    assert.equal(calls.filter((c) => c.args.includes('install')).length, 2); // the bad name never ran
  });

  it('fails when apt exits 0 but left another version (package not installed)', async () => {
    const { runner } = replayRunner([
      {
        match: ['apt-get', 'install'],
        result: { stdout: 'Skipping plnew, it is not installed and only upgrades are requested.\n' },
      },
      {
        match: ['dpkg-query'],
        result: { code: 1, stderr: 'dpkg-query: no packages found matching plnew\n' },
      },
    ]);
    const [r] = await new AptBackend({ runner, rebootDir: '/nonexistent' }).install([
      { id: 'plnew:all', name: 'plnew', version: '1.0' },
    ]);
    assert.equal(r!.status, 'failed');
    assert.match(r!.message, /not installed/);
  });
});

describe('apt reboot-required', () => {
  it('reads the flag and the package list under the configured root', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pl-apt-reboot-'));
    try {
      const backend = new AptBackend({ root: aptRootAt(root) });
      assert.deepEqual(await backend.rebootRequired(), { required: false, packages: [] });
      await mkdir(join(root, 'var/run'), { recursive: true });
      await writeFile(join(root, 'var/run/reboot-required'), '*** System restart required ***\n');
      assert.deepEqual(await backend.rebootRequired(), { required: true, packages: [] });
      await writeFile(
        join(root, 'var/run/reboot-required.pkgs'),
        fixture('apt/reboot-required.pkgs.tildebin-fixture.txt'),
      );
      assert.deepEqual((await backend.rebootRequired()).packages, [
        'linux-image-5.15.0-91-generic',
        'linux-headers-5.15.0-91-generic',
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
