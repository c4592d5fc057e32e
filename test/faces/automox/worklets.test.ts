// Issue 19's acceptance for worklets and required software, end to end with a REAL agent process on
// Linux (src/agent/main.ts, apt backend on an isolated empty root, a private state folder) and shell
// scripts writing into a private folder of the test: policies made through the Automox dialect, run by
// `remediateAll` and the `PolicyRemediate` queue command, refused while the organization's script switch
// is off, and their runs (exit codes, output) kept as the services record them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createAptRoot } from '../../../src/agent/backends/apt-root.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { freshStore } from '../../support/store.ts';
import { aptSkip, missingTools } from '../../agent/apt-support.ts';
import { automox, keyOf, type Automox } from './support.ts';

const skip =
  process.platform !== 'linux'
    ? 'SKIPPED: the real agent script test runs on Linux'
    : aptSkip(await missingTools());

const agentRun = async (args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/agent/main.ts', ...args], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

let work: string;
let app: FastifyInstance;
let cleanup: () => Promise<void>;
let admin: Client;
let ax: Automox;
let orgId: number;
let deviceId: number;
let groupId: number;
let config: string;
let scripts: string;

async function round() {
  const r = await agentRun(['run', '--once', '--config', config]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
}
const runsOf = async (policyId: number) => {
  const r = await admin.get(`/api/v1/script-runs?policyId=${policyId}&limit=100`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (
    r.body.items as { phase: string; status: string; exitCode: number | null; stdout: string }[]
  ).reverse();
};
const schedule = {
  schedule_days: 254,
  schedule_weeks_of_month: 62,
  schedule_months: 8190,
  schedule_time: '03:00',
};

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'pl-automox-e2e-'));
  scripts = join(work, 'scripts');
  await mkdir(scripts);
  await createAptRoot(join(work, 'root'), []);
  const s = await freshStore('pglite');
  cleanup = s.cleanup;
  app = await startApp(s.store);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const org = (await admin.post('/api/v1/organizations', { name: 'Worklet Works' })).body;
  orgId = org.id;
  groupId = org.rootGroupId;
  const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, {})).body.token;
  config = join(work, 'agent.json');
  const e = await agentRun([
    'enroll',
    '--server',
    server,
    '--token',
    token,
    '--name',
    'linux-1',
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
  ax = automox(app, await keyOf(app, s.store, 'admin', ADMIN_PASSWORD));
});

after(async () => {
  await app?.close();
  await cleanup?.();
  if (work) await rm(work, { recursive: true, force: true });
});

test(
  'a worklet is refused while the switch is off, then its failing evaluation runs its remediation',
  { skip },
  async () => {
    const flag = join(scripts, 'firewall-on');
    const p = await ax.post(`/api/policies?o=${orgId}`, {
      name: 'Firewall on',
      policy_type_name: 'custom',
      organization_id: orgId,
      configuration: {
        auto_patch: true,
        notify_user: false,
        os_family: 'Linux',
        evaluation_code: `test -f ${flag}`,
        remediation_code: `echo enabling; touch ${flag}`,
      },
      ...schedule,
      server_groups: [groupId],
    });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.body.policy_type_name, 'custom');
    assert.deepEqual(
      [
        p.body.configuration.os_family,
        p.body.configuration.evaluation_code,
        p.body.configuration.remediation_code,
      ],
      ['Linux', `test -f ${flag}`, `echo enabling; touch ${flag}`],
    );
    // the same policy natively: a worklet
    const native = await admin.get(`/api/v1/policies/${p.body.id}`);
    assert.equal(native.body.kind, 'worklet');

    const refused = await ax.post(`/api/policies/${p.body.id}/action?o=${orgId}`, { action: 'remediateAll' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.errors.length, 1);
    assert.match(refused.body.errors[0], /scripts are turned off for organization/);
    await round();
    assert.equal(existsSync(flag), false);

    const on = await admin.call('PUT', `/api/v1/organizations/${orgId}/script-settings`, {
      scriptsEnabled: true,
    });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    // PolicyTest evaluates the worklet on the server without remediating
    const tested = await ax.post(`/api/servers/${deviceId}/queues?o=${orgId}`, {
      command_type_name: 'PolicyTest',
      args: String(p.body.id),
    });
    assert.equal(tested.status, 201, tested.text);
    assert.equal(tested.body.script_run_ids.length, 1);
    await round();
    assert.equal(existsSync(flag), false, 'a test does not remediate');
    assert.deepEqual(
      (await runsOf(p.body.id)).map((r) => [r.phase, r.status, r.exitCode]),
      [['evaluation', 'failed', 1]],
    );
    const afterTest = (await ax.get(`/api/policystats?o=${orgId}`)).body.find(
      (x: { policy_id: number }) => x.policy_id === p.body.id,
    );
    assert.deepEqual([afterTest.num_compliant, afterTest.num_non_compliant], [0, 1]);
    const run = await ax.post(`/api/policies/${p.body.id}/action?o=${orgId}`, { action: 'remediateAll' });
    assert.equal(run.status, 204, run.text);
    await round();
    assert.equal(existsSync(flag), true, 'the remediation ran');
    const runs = (await runsOf(p.body.id)).slice(1);
    assert.deepEqual(
      runs.map((r) => [r.phase, r.status, r.exitCode]),
      [
        ['evaluation', 'failed', 1],
        ['remediation', 'succeeded', 0],
      ],
    );
    assert.match(runs[1]!.stdout, /enabling/);
    // policystats from the runs: the device is compliant now
    const stats = await ax.get(`/api/policystats?o=${orgId}`);
    const st = stats.body.find((x: { policy_id: number }) => x.policy_id === p.body.id);
    assert.deepEqual([st.policy_type_name, st.num_compliant, st.num_non_compliant], ['custom', 1, 0]);

    // PolicyRemediate through the queue: the evaluation passes now, nothing more runs
    const q = await ax.post(`/api/servers/${deviceId}/queues?o=${orgId}`, {
      command_type_name: 'PolicyRemediate',
      args: String(p.body.id),
    });
    assert.equal(q.status, 201, q.text);
    await round();
    const again = await runsOf(p.body.id);
    assert.deepEqual(
      again.slice(3).map((r) => [r.phase, r.status, r.exitCode]),
      [['evaluation', 'succeeded', 0]],
    );
  },
);

test('a required-software policy installs a package where it is missing', { skip }, async () => {
  const marker = join(scripts, 'installed-widget');
  const p = await ax.post(`/api/policies?o=${orgId}`, {
    name: 'Widget everywhere',
    policy_type_name: 'required_software',
    organization_id: orgId,
    configuration: {
      auto_patch: true,
      notify_user: false,
      os_family: 'Linux',
      package_name: 'patchline-widget',
      package_version: '1.0',
      installation_code: `touch ${marker}; exit 0`,
    },
    ...schedule,
    server_groups: [groupId],
  });
  assert.equal(p.status, 201, p.text);
  assert.deepEqual(
    [p.body.policy_type_name, p.body.configuration.package_name, p.body.configuration.package_version],
    ['required_software', 'patchline-widget', '1.0'],
  );
  const bad = await ax.put(`/api/policies/${p.body.id}?o=${orgId}`, {
    ...p.body,
    configuration: { ...p.body.configuration, package_name: undefined },
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.errors, ['configuration.package_name is required']);
  const run = await ax.post(`/api/policies/${p.body.id}/action?o=${orgId}`, { action: 'remediateAll' });
  assert.equal(run.status, 204, run.text);
  await round();
  assert.equal(existsSync(marker), true, 'the installation ran');
  const runs = await runsOf(p.body.id);
  assert.deepEqual(
    runs.map((r) => [r.phase, r.status]),
    [
      ['evaluation', 'failed'],
      ['install', 'succeeded'],
    ],
  );
});
