// End to end with a REAL agent process on Linux (issue 16): a real server in-process on a loopback port
// with its task engine, the agent's own entry (src/agent/main.ts) enrolled with the apt backend on an
// isolated, empty apt root. A Kaseya client asks for a latest audit (PUT /assetmgmt/audit/latest/{id}
// /runnow); one `patchline-agent run --once` scans and sends the audit of THIS machine (its
// /etc/os-release, dpkg database, df, /etc/passwd and /etc/group, read by agent/audit.ts); the audit
// routes then show what the machine itself says, compared with the same files and commands read here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createAptRoot } from '../../src/agent/backends/apt-root.ts';
import { spawnRunner } from '../../src/agent/backends/runner.ts';
import { parseDpkgApps, parseGroups, parseOsRelease, parsePasswd } from '../../src/core/audit/linux-parse.ts';
import { startEngine, type Engine } from '../../src/engine/engine.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import { kaseyaSignIn, kget } from '../faces/kaseya/support.ts';
import { aptSkip, missingTools } from './apt-support.ts';

const skip =
  process.platform !== 'linux'
    ? 'SKIPPED: the real agent audit test runs on Linux'
    : aptSkip(await missingTools());

const agentRun = async (args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/agent/main.ts', ...args], {
      encoding: 'utf8',
      timeout: 180_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

let work: string;
let app: FastifyInstance;
let engine: Engine;
let cleanup: () => Promise<void>;
let config: string;
let deviceId: number;
let auth: string;

const K = '/api/v1.0';
const get = async (url: string) => {
  const r = await kget(app, `${K}${url}`, auth);
  assert.equal(r.status, 200, `${url}: ${r.text}`);
  return r.body;
};

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'pl-audit-e2e-'));
  await createAptRoot(join(work, 'root'), []);
  const s = await freshStore('pglite');
  cleanup = s.cleanup;
  app = await startApp(s.store);
  await app.listen({ port: 0, host: '127.0.0.1' });
  engine = startEngine({ store: s.store, owner: 'audit-e2e', pollMs: 50 });
  const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const orgId = (await admin.post('/api/v1/organizations', { name: 'Audit Shop' })).body.id;
  const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, {})).body.token;
  config = join(work, 'agent.json');
  const e = await agentRun([
    'enroll',
    '--server',
    server,
    '--token',
    token,
    '--name',
    'linux-audit',
    '--backend',
    'apt',
    '--apt-root',
    join(work, 'root'),
    '--state-dir',
    join(work, 'state'),
    '--config',
    config,
  ]);
  assert.equal(e.code, 0, e.stderr);
  deviceId = JSON.parse(await readFile(config, 'utf8')).deviceId;
  auth = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
});

after(async () => {
  await engine?.stop();
  await app?.close();
  await cleanup?.();
  if (work) await rm(work, { recursive: true, force: true });
});

test(
  'a latest audit asked through the Kaseya face arrives from the real agent and reads back',
  { skip },
  async () => {
    const r = await app.inject({
      method: 'PUT',
      url: `${K}/assetmgmt/audit/latest/${deviceId}/runnow`,
      headers: { authorization: auth },
    });
    assert.equal(r.statusCode, 200, r.body);
    // the engine turns the run-now instance into the agent's scan job
    const deadline = Date.now() + 60_000;
    let summary: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (;;) {
      const run = await agentRun(['run', '--once', '--config', config]);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      summary = (await get(`/assetmgmt/audit/${deviceId}/summary`)).Result;
      if (summary.LastAudit) break;
      assert.ok(Date.now() < deadline, 'no audit arrived');
      await new Promise((res) => setTimeout(res, 200));
    }

    // what this machine says about itself, read here the same way
    const os = parseOsRelease(await readFile('/etc/os-release', 'utf8'));
    assert.equal(summary.Attributes.OsName, os.osName);
    assert.equal(summary.Attributes.OsVersion, os.osVersion ?? null);
    const cpus = (await readFile('/proc/cpuinfo', 'utf8')).match(/^processor\s*:/gm)?.length ?? 0;
    assert.equal(summary.CPURAM.CpuCount, cpus);
    assert.ok(summary.CPURAM.RamMBytes > 0);

    const dpkg = await spawnRunner('dpkg-query', [
      '-W',
      '-f=${binary:Package}\\t${Version}\\t${Maintainer}\\t${Installed-Size}\\t${db:Status-Abbrev}\\t${binary:Summary}\\n',
    ]);
    const installed = parseDpkgApps(dpkg.stdout);
    const apps = await get(`/assetmgmt/audit/${deviceId}/software/installedapplications?$top=1`);
    assert.equal(apps.TotalRecords, Math.min(installed.length, 5000));
    const bash = installed.find((a) => a.name === 'bash');
    if (bash) {
      const b = await get(
        `/assetmgmt/audit/${deviceId}/software/installedapplications?$filter=ApplicationName eq 'bash'`,
      );
      assert.deepEqual([b.Result[0].Version, b.Result[0].Attributes.Source], [bash.version, 'audit']);
    }

    const passwd = await readFile('/etc/passwd', 'utf8');
    const users = await get(`/assetmgmt/audit/${deviceId}/useraccounts?$top=1`);
    assert.equal(users.TotalRecords, parsePasswd(passwd).length);
    const root = await get(`/assetmgmt/audit/${deviceId}/useraccounts?$filter=LogonName eq 'root'`);
    assert.equal(root.Result.length, 1);
    const { groups } = parseGroups(await readFile('/etc/group', 'utf8'), passwd);
    assert.equal((await get(`/assetmgmt/audit/${deviceId}/groups?$top=1`)).TotalRecords, groups.length);

    const vols = await get(`/assetmgmt/audit/${deviceId}/hardware/diskvolumes?$filter=Drive eq '/'`);
    assert.equal(vols.Result.length, 1);
    assert.ok(vols.Result[0].TotalMBytes > 0);
    // the first audit is also the baseline
    const base = await get(`/assetmgmt/audit/${deviceId}/useraccounts?snapshot=baseline&$top=1`);
    assert.equal(base.TotalRecords, users.TotalRecords);
    // and the summaries list has this agent with the machine's OS
    const all = await get(`/assetmgmt/audit?$filter=AgentGuid eq ${deviceId}`);
    assert.equal(all.Result[0].OsInfo, os.osName);
  },
);
