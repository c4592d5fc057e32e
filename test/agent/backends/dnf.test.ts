import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnfBackend } from '../../../src/agent/backends/dnf.ts';
import { fixture, replayRunner } from './replay.ts';

describe('dnf backend (dnf 4, Oracle Linux 8)', () => {
  const replies = [
    { match: ['dnf', 'makecache'], result: {} },
    {
      match: ['dnf', 'check-update'],
      result: { code: 100, stdout: fixture('dnf/oracle-linux-8.yum-check-update.stdout') },
    },
    { match: ['rpm', '-qa'], result: { stdout: fixture('dnf/ol8.rpm-query.own.stdout') } },
    {
      match: ['dnf', 'updateinfo', '--with-cve'],
      result: { stdout: fixture('dnf/ol8.updateinfo-list-updates-with-cve.own.stdout') },
    },
    {
      match: ['dnf', 'updateinfo'],
      result: { stdout: fixture('dnf/ol8.updateinfo-list-updates.own.stdout') },
    },
  ];

  it('exit 100 lists updates, classified and rated by their advisories', async () => {
    const { runner, calls } = replayRunner(replies);
    const scan = await new DnfBackend({ runner }).scan();
    assert.equal(scan.backend, 'dnf');
    assert.equal(scan.updates.length, 73);
    const by = new Map(scan.updates.map((u) => [u.id, u]));
    const glibc = by.get('glibc.x86_64')!;
    assert.deepEqual(
      [
        glibc.installedVersion,
        glibc.version,
        glibc.source,
        glibc.classification,
        glibc.severity,
        glibc.vendorSeverity,
      ],
      [
        '2.28-251.0.2.el8_10.13',
        '2.28-251.0.3.el8_10.16',
        'ol8_baseos_latest',
        'security',
        'important',
        'Important',
      ],
    );
    assert.deepEqual(glibc.advisoryIds, ['ELSA-2025-4051']);
    assert.deepEqual(glibc.cves, ['CVE-2025-0395']);
    const kernelCore = by.get('kernel-core.x86_64')!;
    assert.deepEqual([...kernelCore.advisoryIds].sort(), ['ELSA-2025-3770', 'ELSA-2025-4049']);
    assert.equal(kernelCore.severity, 'important'); // the highest of Important and Low
    assert.deepEqual([...kernelCore.cves].sort(), ['CVE-2024-50302', 'CVE-2024-53104']);
    assert.equal(kernelCore.reboot, 'required');
    assert.equal(kernelCore.installedVersion, '4.18.0-553.45.1.el8_10'); // the newer of two installed kernels
    // a bugfix and a security advisory for the same package: security wins, severity from the security one
    const systemd = by.get('systemd.x86_64')!;
    assert.deepEqual([systemd.classification, systemd.severity], ['security', 'moderate']);
    assert.equal(by.get('tzdata.noarch')!.classification, 'bugfix');
    assert.equal(by.get('sos.noarch')!.classification, 'enhancement');
    assert.equal(by.get('cpp.x86_64')!.classification, 'other');
    assert.equal(by.get('cpp.x86_64')!.installedVersion, null); // not in this inventory excerpt
    assert.equal(by.get('google-guest-agent.x86_64')!.version, '1:20250327.01-g1.el8');
    assert.equal(scan.inventory.length, 7); // gpg-pubkey is not a package
    assert.deepEqual(
      calls.map((c) => [c.cmd, ...c.args].slice(0, 3).join(' ')),
      ['dnf -q makecache', 'dnf -q check-update', 'rpm -qa --qf', 'dnf -q updateinfo', 'dnf -q updateinfo'],
    );
  });

  it('exit 0 means no updates and asks no advisory questions', async () => {
    const { runner, calls } = replayRunner([
      {
        match: ['dnf', 'check-update'],
        result: { code: 0, stdout: 'Last metadata expiration check: 0:01:00 ago.\n' },
      },
      { match: ['rpm', '-qa'], result: { stdout: fixture('dnf/ol8.rpm-query.own.stdout') } },
    ]);
    const scan = await new DnfBackend({ runner }).scan({ refresh: false });
    assert.deepEqual(scan.updates, []);
    assert.equal(calls.length, 2);
  });

  it('exit 1 is an error', async () => {
    const { runner } = replayRunner([
      {
        match: ['dnf', 'check-update'],
        result: { code: 1, stderr: "Error: Failed to download metadata for repo 'ol8_baseos_latest'\n" },
      },
    ]);
    await assert.rejects(
      new DnfBackend({ runner }).scan({ refresh: false }),
      /code 1: Error: Failed to download/,
    );
  });

  it('installs NAME-EVR.ARCH one at a time, checks rpm, and asks needs-restarting (exit 1 = reboot)', async () => {
    const { runner, calls } = replayRunner([
      { match: ['dnf', 'upgrade', 'glibc-2.28-251.0.3.el8_10.16.x86_64'], result: { code: 0 } },
      { match: ['rpm', '-q', 'glibc.x86_64'], result: { stdout: '2.28-251.0.3.el8_10.16\n' } },
      {
        match: ['dnf', 'upgrade', 'google-guest-agent-1:20250327.01-g1.el8.x86_64'],
        result: { code: 1, stderr: 'Error: Transaction test error:\n  file /usr/bin/x conflicts\n' },
      },
      { match: ['rpm', '-q', 'google-guest-agent.x86_64'], result: { stdout: '1:20240528.00-g1.el8\n' } },
      {
        match: ['dnf', 'needs-restarting', '-r'],
        result: { code: 1, stdout: fixture('dnf/azurelinux.dnf5-needs-restarting.reboot-required.stdout') },
      },
    ]);
    const results = await new DnfBackend({ runner }).install([
      { id: 'glibc.x86_64', name: 'glibc', version: '2.28-251.0.3.el8_10.16', arch: 'x86_64' },
      {
        id: 'google-guest-agent.x86_64',
        name: 'google-guest-agent',
        version: '1:20250327.01-g1.el8',
        arch: 'x86_64',
      },
      { id: 'bad', name: 'glibc; rm -rf /', version: '1' },
    ]);
    assert.deepEqual(
      results.map((r) => [r.id, r.status, r.exitCode, r.newVersion, r.rebootRequired]),
      [
        ['glibc.x86_64', 'succeeded', 0, '2.28-251.0.3.el8_10.16', true],
        ['google-guest-agent.x86_64', 'failed', 1, '1:20240528.00-g1.el8', false],
        ['bad', 'failed', null, null, false],
      ],
    );
    assert.match(results[1]!.message, /^Error: Transaction test error/);
    assert.equal(calls.filter((c) => c.args.includes('upgrade')).length, 2);
    assert.deepEqual(calls[0]!.args, ['-y', '-q', 'upgrade', 'glibc-2.28-251.0.3.el8_10.16.x86_64']);
  });

  it('needs-restarting exit 0 = no reboot; other codes are errors', async () => {
    const ok = replayRunner([
      {
        match: ['dnf', 'needs-restarting'],
        result: { code: 0, stdout: fixture('dnf/dnf4.needs-restarting-r.no-reboot.own.stdout') },
      },
    ]);
    assert.deepEqual(await new DnfBackend({ runner: ok.runner }).rebootRequired(), {
      required: false,
      packages: [],
    });
    const bad = replayRunner([
      {
        match: ['dnf', 'needs-restarting'],
        result: { code: 2, stderr: 'No such command: needs-restarting.\n' },
      },
    ]);
    await assert.rejects(new DnfBackend({ runner: bad.runner }).rebootRequired(), /No such command/);
  });
});

describe('yum backend (CentOS 7)', () => {
  it('parses check-update exit 100 despite dead mirrors on stderr, and uses yum-utils needs-restarting', async () => {
    const { runner, calls } = replayRunner([
      {
        match: ['yum', 'check-update'],
        result: {
          code: 100,
          stdout: fixture('yum/centos-7-1.yum-check-update.stdout'),
          stderr: fixture('yum/centos-7-1.yum-check-update.stderr'),
        },
      },
      { match: ['rpm', '-qa'], result: { stdout: fixture('yum/centos-7-1.rpm-query-all.stdout') } },
      { match: ['yum', 'updateinfo', 'cves'], result: { stdout: '' } },
      { match: ['yum', 'updateinfo'], result: { code: 1, stderr: 'updateinfo: no such command\n' } },
      {
        match: ['needs-restarting', '-r'],
        result: { code: 1, stdout: fixture('yum/rhel-7.needs-restarting-r.reboot-required.stdout') },
      },
    ]);
    const backend = new DnfBackend({ runner, flavour: 'yum' });
    const scan = await backend.scan({ refresh: false });
    assert.equal(scan.backend, 'yum');
    assert.equal(scan.updates.length, 41);
    assert.match(scan.warnings[0]!, /no advisory information: updateinfo: no such command/);
    const glibc = scan.updates.find((u) => u.name === 'glibc-common')!;
    assert.equal(glibc.version, '2.17-326.el7_9.3');
    assert.equal(glibc.installedVersion, '2.17-326.el7_9');
    assert.equal(
      scan.updates.find((u) => u.name === 'dhclient')!.installedVersion,
      '12:4.2.5-83.el7.centos.1',
    );
    assert.deepEqual(calls.find((c) => c.args.includes('cves'))!.args, [
      '-q',
      'updateinfo',
      'list',
      'updates',
      'cves',
    ]);
    const reboot = await backend.rebootRequired();
    assert.equal(reboot.required, true);
    assert.equal(reboot.packages[0], 'kernel');
  });
});

describe('dnf 5 backend (Fedora 41)', () => {
  it('reads the JSON advisory list and the CVE listing', async () => {
    const { runner } = replayRunner([
      {
        match: ['dnf', 'check-update'],
        result: { code: 100, stdout: fixture('dnf/fedora-41.dnf5-check-update.own.stdout') },
      },
      { match: ['rpm', '-qa'], result: { stdout: fixture('dnf/fedora-41.rpm-query.own.stdout') } },
      {
        match: ['dnf', 'advisory', '--with-cve'],
        result: { stdout: fixture('dnf/fedora-41.dnf5-advisory-list-updates-with-cve.own.stdout') },
      },
      {
        match: ['dnf', 'advisory', '--json'],
        result: { stdout: fixture('dnf/fedora-41.dnf5-advisory-list-updates.own.json') },
      },
    ]);
    const scan = await new DnfBackend({ runner, flavour: 'dnf5' }).scan({ refresh: false });
    assert.deepEqual(
      scan.updates.map((u) => [
        u.name,
        u.installedVersion,
        u.version,
        u.classification,
        u.severity ?? null,
        u.cves.join(),
      ]),
      [
        ['curl', '8.9.1-2.fc41', '8.9.1-3.fc41', 'security', 'important', 'CVE-2024-11053'],
        ['libcurl', '8.9.1-2.fc41', '8.9.1-3.fc41', 'security', 'important', 'CVE-2024-11053'],
        ['vim-enhanced', '2:9.1.919-1.fc41', '2:9.1.1000-1.fc41', 'bugfix', 'none', ''],
      ],
    );
  });
});
