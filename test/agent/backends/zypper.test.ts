import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ZypperBackend,
  parseZypperPatches,
  parseZypperSearch,
  parseZypperUpdates,
  zypperCategory,
} from '../../../src/agent/backends/zypper.ts';
import { fixture, replayRunner } from './replay.ts';

const countMatches = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe('zypper XML', () => {
  it('reads list-updates of SLES 12 SP1 (no edition-old) and SLES 15 SP5 (with edition-old)', () => {
    const old = fixture('zypper/sles-12-sp1.zypper-xmlout-list-updates.xml');
    const u12 = parseZypperUpdates(old);
    assert.equal(u12.length, countMatches(old, /<update /g));
    assert.deepEqual(u12[0], {
      name: 'SUSEConnect',
      edition: '0.2.33-7.1',
      arch: 'x86_64',
      repo: 'SLE12-SP1-x86_64-Update',
      summary: 'Utility to register a system with the SUSE Customer Center',
    });
    const u15 = parseZypperUpdates(fixture('zypper/sles-15-sp5.zypper-xmlout-list-updates.own.xml'));
    assert.deepEqual(
      u15.map((u) => [u.name, u.editionOld, u.edition]),
      [
        ['curl', '8.0.1-150400.5.29.1', '8.0.1-150400.5.32.1'],
        ['glibc', '2.31-150300.52.2', '2.31-150300.63.1'],
        ['kernel-default', '5.14.21-150500.55.22.1', '5.14.21-150500.55.36.1'],
        ['libzypp', '17.31.20-150400.3.40.1', '17.31.22-150400.3.43.1'],
      ],
    );
  });

  it('reads list-patches with category, severity, reboot, interactive and the issue list', () => {
    const patches = parseZypperPatches(fixture('zypper/sles-15-sp5.zypper-xmlout-list-patches.own.xml'));
    assert.deepEqual(
      patches.map((p) => [
        p.name.slice(-9),
        p.category,
        p.severity,
        p.restart,
        p.interactive,
        p.pkgmanager,
        p.blocked,
      ]),
      [
        ['2023-3823', 'security', 'important', false, false, false, false],
        ['2023-3831', 'security', 'important', true, true, false, false],
        ['2023-3814', 'recommended', 'moderate', false, false, false, false],
        ['2023-3840', 'recommended', 'important', false, false, true, false],
        ['2023-3900', 'optional', 'low', false, false, false, true],
      ],
    );
    assert.deepEqual(patches[0]!.cves, ['CVE-2023-38545', 'CVE-2023-38546']);
    assert.deepEqual(patches[0]!.bugs, ['1215888']);
    assert.equal(patches[2]!.cves.length, 0);
  });

  it('reads search -t patch statuses (SLES 12 SP2)', () => {
    assert.deepEqual(
      parseZypperSearch(fixture('zypper/sles-12-sp2.zypper-xmlout-search-t-patch.xml')).map((s) => [
        s.name.slice(-7),
        s.status,
      ]),
      [
        ['2017-97', 'not-installed'],
        ['2017-98', 'installed'],
        ['2017-99', 'not-installed'],
      ],
    );
  });

  it('rejects output that is not a zypper stream', () => {
    assert.throws(() => parseZypperUpdates('<html></html>'), /no <stream> element/);
  });

  const cats: [string, string][] = [
    ['security', 'security'],
    ['recommended', 'bugfix'],
    ['feature', 'feature'],
    ['optional', 'feature'],
    ['document', 'other'],
  ];
  for (const [c, want] of cats) it(`category ${c} → ${want}`, () => assert.equal(zypperCategory(c), want));
});

describe('zypper backend', () => {
  const scanReplies = [
    { match: ['zypper', 'refresh'], result: {} },
    {
      match: ['zypper', 'list-updates'],
      result: { stdout: fixture('zypper/sles-15-sp5.zypper-xmlout-list-updates.own.xml') },
    },
    {
      match: ['zypper', 'list-patches'],
      result: { stdout: fixture('zypper/sles-15-sp5.zypper-xmlout-list-patches.own.xml') },
    },
    { match: ['rpm', '-qa'], result: { stdout: fixture('zypper/sles-12-1.rpm-query-all.stdout') } },
  ];

  it('scans needed patches and package updates', async () => {
    const { runner, calls } = replayRunner(scanReplies);
    const scan = await new ZypperBackend({ runner }).scan();
    const patches = scan.updates.filter((u) => u.kind === 'patch');
    const packages = scan.updates.filter((u) => u.kind === 'package');
    assert.equal(patches.length, 5);
    assert.equal(packages.length, 4);
    const xen = patches.find((p) => p.title === 'Security update for xen')!;
    assert.deepEqual(
      [
        xen.classification,
        xen.severity,
        xen.reboot,
        xen.interactive,
        xen.cves.join(),
        xen.advisoryIds.join(),
      ],
      [
        'security',
        'important',
        'required',
        true,
        'CVE-2023-34323',
        'SUSE-SLE-Module-Basesystem-15-SP5-2023-3831',
      ],
    );
    const glibcPatch = patches.find((p) => p.title === 'Recommended update for glibc')!;
    assert.deepEqual([glibcPatch.classification, glibcPatch.reboot], ['bugfix', 'never']);
    const kernel = packages.find((p) => p.name === 'kernel-default')!;
    assert.deepEqual(
      [kernel.installedVersion, kernel.version, kernel.reboot],
      ['5.14.21-150500.55.22.1', '5.14.21-150500.55.36.1', 'required'],
    );
    assert.ok(scan.warnings.some((w) => /appears to be outdated/.test(w)));
    assert.ok(scan.warnings.some((w) => /2023-3900 is blocked/.test(w)));
    assert.ok(calls.every((c) => c.cmd !== 'zypper' || c.args[0] === '--non-interactive'));
  });

  it('fills the installed version from rpm when zypper does not print edition-old', async () => {
    const { runner } = replayRunner([
      {
        match: ['zypper', 'list-updates'],
        result: { stdout: fixture('zypper/sles-12-sp1.zypper-xmlout-list-updates.xml') },
      },
      {
        match: ['zypper', 'list-patches'],
        result: {
          stdout:
            '<?xml version=\'1.0\'?>\n<stream><update-status version="0.6"><update-list></update-list></update-status></stream>',
        },
      },
      {
        match: ['rpm', '-qa'],
        result: {
          stdout:
            '{"architecture":"x86_64","package":"bind-libs","source_name":"bind-9.9.6P1-28.1.src.rpm","version":"9.9.6P1-28.1"}\n',
        },
      },
    ]);
    const scan = await new ZypperBackend({ runner }).scan({ refresh: false });
    assert.deepEqual(
      scan.updates.map((u) => [u.name, u.installedVersion]),
      [
        ['SUSEConnect', null],
        ['bind-libs', '9.9.6P1-28.1'],
        ['bind-utils', null],
      ],
    );
  });

  it('fails the scan on a zypper error exit', async () => {
    const { runner } = replayRunner([
      {
        match: ['zypper', 'list-updates'],
        result: {
          code: 7,
          stderr: 'System management is locked by the application with pid 1234 (zypper).\n',
        },
      },
    ]);
    await assert.rejects(
      new ZypperBackend({ runner }).scan({ refresh: false }),
      /code 7: System management is locked/,
    );
  });

  it('installs a patch (102 = installed, reboot needed) and a package, and reports failures by exit code', async () => {
    const patch = 'SUSE-SLE-SERVER-12-SP2-2017-98';
    const { runner, calls } = replayRunner([
      { match: ['zypper', 'install', '-t', 'patch', patch], result: { code: 102 } },
      {
        match: ['zypper', 'search', patch],
        result: { stdout: fixture('zypper/sles-12-sp2.zypper-xmlout-search-t-patch.xml') },
      },
      { match: ['zypper', 'install', 'curl.x86_64=8.0.1-150400.5.32.1'], result: { code: 0 } },
      { match: ['rpm', '-q', 'curl.x86_64'], result: { stdout: '8.0.1-150400.5.32.1\n' } },
      {
        match: ['zypper', 'install', 'nosuch.x86_64=1-1'],
        result: { code: 104, stderr: "No provider of 'nosuch.x86_64=1-1' found.\n" },
      },
      {
        match: ['zypper', 'install', 'glibc.x86_64=2.31-150300.63.1'],
        result: { code: 107, stderr: 'warning: %post(glibc) scriptlet failed, exit status 1\n' },
      },
    ]);
    const results = await new ZypperBackend({ runner }).install([
      { id: patch, name: patch, kind: 'patch' },
      { id: 'curl.x86_64', name: 'curl', version: '8.0.1-150400.5.32.1', arch: 'x86_64', kind: 'package' },
      { id: 'nosuch.x86_64', name: 'nosuch', version: '1-1', arch: 'x86_64', kind: 'package' },
      { id: 'glibc.x86_64', name: 'glibc', version: '2.31-150300.63.1', arch: 'x86_64', kind: 'package' },
    ]);
    assert.deepEqual(
      results.map((r) => [r.id, r.status, r.exitCode, r.rebootRequired]),
      [
        [patch, 'succeeded', 102, true],
        ['curl.x86_64', 'succeeded', 0, false],
        ['nosuch.x86_64', 'failed', 104, false],
        ['glibc.x86_64', 'failed', 107, false],
      ],
    );
    assert.match(results[2]!.message, /nosuch.x86_64=1-1 not found: No provider/);
    assert.match(results[3]!.message, /a package script failed/);
    const curl = calls.find((c) => c.args.includes('curl.x86_64=8.0.1-150400.5.32.1'))!;
    assert.deepEqual(curl.args, [
      '--non-interactive',
      'install',
      '--auto-agree-with-licenses',
      '--oldpackage',
      'curl.x86_64=8.0.1-150400.5.32.1',
    ]);
  });

  it('a patch zypper says it installed but search does not show as installed is a failure', async () => {
    const patch = 'SUSE-SLE-SERVER-12-SP2-2017-99';
    const { runner } = replayRunner([
      { match: ['zypper', 'install'], result: { code: 0 } },
      {
        match: ['zypper', 'search'],
        result: { stdout: fixture('zypper/sles-12-sp2.zypper-xmlout-search-t-patch.xml') },
      },
    ]);
    const [r] = await new ZypperBackend({ runner }).install([{ id: patch, name: patch, kind: 'patch' }]);
    assert.equal(r!.status, 'failed');
  });

  it('needs-rebooting: 102 = reboot, 0 = none, unknown command falls back to /run/reboot-needed', async () => {
    const yes = replayRunner([
      {
        match: ['zypper', 'needs-rebooting'],
        result: { code: 102, stdout: fixture('zypper/sles-12-sp2.zypper-needs-rebooting.own.stdout') },
      },
    ]);
    assert.equal((await new ZypperBackend({ runner: yes.runner }).rebootRequired()).required, true);
    const no = replayRunner([{ match: ['zypper', 'needs-rebooting'], result: { code: 0 } }]);
    assert.equal((await new ZypperBackend({ runner: no.runner }).rebootRequired()).required, false);
    const dir = await mkdtemp(join(tmpdir(), 'pl-zypper-'));
    try {
      const old = replayRunner([
        {
          match: ['zypper', 'needs-rebooting'],
          result: { code: 2, stderr: "Unknown command 'needs-rebooting'\n" },
        },
      ]);
      const flag = join(dir, 'reboot-needed');
      const backend = new ZypperBackend({ runner: old.runner, rebootNeededFile: flag });
      assert.equal((await backend.rebootRequired()).required, false);
      await writeFile(flag, '');
      assert.equal((await backend.rebootRequired()).required, true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
