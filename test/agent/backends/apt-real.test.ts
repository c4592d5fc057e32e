// The real apt backend against an isolated dpkg/apt root: real packages, a real local repository, real
// apt-get and dpkg, and the host's own package database untouched.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AptBackend } from '../../../src/agent/backends/apt.ts';
import { createAptRoot, type AptRoot } from '../../../src/agent/backends/apt-root.ts';
import { parseDpkgQuery } from '../../../src/agent/backends/apt-parse.ts';
import { spawnRunner } from '../../../src/agent/backends/runner.ts';
import { aptSkip, buildPackage, FAILING_POSTINST, indexRepo, missingTools } from '../apt-support.ts';

const missing = await missingTools();
const skip = aptSkip(missing);

const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

describe('apt backend on an isolated root (real apt and dpkg)', { skip }, () => {
  let work: string;
  let root: AptRoot;
  let hostStatus: string;
  const env = () => ({ APT_CONFIG: root.aptConfigFile, DEBIAN_FRONTEND: 'noninteractive' });
  const query = async () => {
    const r = await spawnRunner('dpkg-query', [
      `--admindir=${root.admindir}`,
      '-W',
      '-f',
      '${Package}\\t${Version}\\tall\\t${db:Status-Abbrev}\\n',
    ]);
    return new Map(parseDpkgQuery(r.stdout).map((p) => [p.name, p]));
  };

  before(async () => {
    assert.deepEqual(missing, [], `CI=true and the real apt test cannot run: missing ${missing.join(', ')}`);
    hostStatus = await sha('/var/lib/dpkg/status');
    work = await mkdtemp(join(tmpdir(), 'pl-apt-real-'));
    const repo = join(work, 'repo');
    await mkdir(repo);
    await buildPackage(work, repo, 'plhello', '1.0');
    await buildPackage(work, repo, 'plhello', '1.1');
    await buildPackage(work, repo, 'plfail', '1.0');
    await buildPackage(work, repo, 'plfail', '1.1', FAILING_POSTINST);
    await indexRepo(repo);
    root = await createAptRoot(join(work, 'root'), [`deb [trusted=yes] file:${repo} ./`]);
    const up = await spawnRunner('apt-get', ['update', '-q'], { env: env() });
    assert.equal(up.code, 0, up.stderr);
    const inst = await spawnRunner('apt-get', ['install', '-y', '-q', 'plhello=1.0', 'plfail=1.0'], {
      env: env(),
    });
    assert.equal(inst.code, 0, inst.stderr);
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('scans: sees 1.1 of both packages as upgradable and 1.0 installed', async () => {
    const scan = await new AptBackend({ root }).scan();
    const byName = new Map(scan.updates.map((u) => [u.name, u]));
    assert.deepEqual(
      ['plfail', 'plhello'].map((n) => [
        byName.get(n)?.installedVersion,
        byName.get(n)?.version,
        byName.get(n)?.id,
      ]),
      [
        ['1.0', '1.1', 'plfail:all'],
        ['1.0', '1.1', 'plhello:all'],
      ],
    );
    assert.equal(byName.get('plhello')!.classification, 'other'); // a local repository is no security archive
    const inv = new Map(scan.inventory.map((p) => [p.name, p.version]));
    assert.equal(inv.get('plhello'), '1.0');
    assert.equal(inv.get('plfail'), '1.0');
    assert.equal(scan.inventory.length, 2);
  });

  it('installs the approved version, fails the broken one, and a retry succeeds after the fix', async () => {
    const backend = new AptBackend({ root });
    const first = await backend.install([
      { id: 'plhello:all', name: 'plhello', version: '1.1', arch: 'all' },
      { id: 'plfail:all', name: 'plfail', version: '1.1', arch: 'all' },
    ]);
    assert.deepEqual(
      first.map((r) => [r.name, r.status, r.exitCode, r.newVersion]),
      [
        ['plhello', 'succeeded', 0, '1.1'],
        ['plfail', 'failed', 100, '1.1'],
      ],
    );
    assert.match(first[1]!.message, /dpkg returned an error code \(1\)/);
    assert.match(first[1]!.message, /half-configured/);
    let db = await query();
    assert.equal(db.get('plhello')?.version, '1.1');
    assert.equal(db.get('plhello')?.status, undefined);
    assert.equal(db.get('plfail')?.status, 'half-configured');

    // the scan now shows nothing left to upgrade, but the inventory shows the broken package
    const mid = await backend.scan({ refresh: false });
    assert.deepEqual(mid.updates, []);
    assert.equal(mid.inventory.find((p) => p.name === 'plfail')?.status, 'half-configured');

    await writeFile(join(root.root, 'etc/plfail.ok'), 'fixed\n');
    const [retry] = await backend.install([
      { id: 'plfail:all', name: 'plfail', version: '1.1', arch: 'all' },
    ]);
    assert.equal(retry!.status, 'succeeded', retry!.message);
    db = await query();
    assert.equal(db.get('plfail')?.version, '1.1');
    assert.equal(db.get('plfail')?.status, undefined);
  });

  it('reports no reboot for packages that do not ask for one', async () => {
    assert.deepEqual(await new AptBackend({ root }).rebootRequired(), { required: false, packages: [] });
  });

  it('never touched the host package database', async () => {
    assert.equal(await sha('/var/lib/dpkg/status'), hostStatus);
    const host = await spawnRunner('dpkg-query', ['-W', 'plhello']);
    assert.notEqual(host.code, 0);
  });
});
