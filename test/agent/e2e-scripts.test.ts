// End to end with a REAL agent process on Linux: a real server (in-process, on a loopback port), the
// agent's own entry (src/agent/main.ts) enrolled with the apt backend on an isolated, empty apt root and a
// private state folder, and shell scripts in a private folder of the test. Each round is one
// `patchline-agent run --once`: check in, run the jobs, deliver the results. Worklets, required software,
// a time limit, an output cap and the organization's switch, followed through the native API (runs and
// the event log) and on disk (what the scripts did).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '../support/api.ts';
import { realAgentSkip, startRealAgentWorld, type RealAgentWorld } from '../support/real-agent.ts';

const skip = await realAgentSkip();

let world: RealAgentWorld | undefined;
let admin: Client;
let orgId: number;
let deviceId: number;
let scripts: string;

/** one round of the real agent: check in, run the jobs, deliver */
const round = () => world!.round();

const runs = async (q: string) => {
  const r = await admin.get(`/api/v1/script-runs?${q}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items as Record<string, unknown>[];
};
const events = async (kind: string) =>
  (await admin.get(`/api/v1/events?organizationId=${orgId}&kind=${kind}&limit=500`)).body.items as {
    kind: string;
    subjectId: string;
    data: Record<string, unknown>;
  }[];

before(async () => {
  if (skip) return;
  world = await startRealAgentWorld('pl-scripts-e2e-', 'Script Shop');
  ({ admin, orgId, deviceId, scripts } = world);
});

after(async () => {
  await world?.close();
});

test(
  'while the switch is off, run now is refused (409) and logged; nothing reaches the agent',
  { skip },
  async () => {
    const p = await admin.post('/api/v1/policies', {
      organizationId: orgId,
      kind: 'worklet',
      name: 'refused worklet',
      targets: { devices: [deviceId] },
      worklet: {
        scripts: [
          { osFamily: 'linux', evaluation: null, remediation: { code: `touch ${scripts}/refused-ran` } },
        ],
      },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal(
      (await admin.get(`/api/v1/organizations/${orgId}/script-settings`)).body.scriptsEnabled,
      false,
    );
    const r = await admin.post(`/api/v1/policies/${p.body.id}/run`, {});
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /scripts are turned off for organization/);
    const refused = await events('script.refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.data.policyId, p.body.id);
    await round();
    assert.equal(existsSync(join(scripts, 'refused-ran')), false);
    assert.deepEqual(await runs(`policyId=${p.body.id}`), []);
    assert.equal((await admin.del(`/api/v1/policies/${p.body.id}`)).status, 204);
  },
);

test(
  'a worklet whose evaluation fails runs its remediation on the real agent; both results are kept',
  { skip },
  async () => {
    const on = await admin.call('PUT', `/api/v1/organizations/${orgId}/script-settings`, {
      scriptsEnabled: true,
    });
    assert.deepEqual(on.body, { organizationId: orgId, scriptsEnabled: true });
    const marker = join(scripts, 'firewall-on');
    await writeFile(
      join(scripts, 'remediate.sh'),
      `echo "enabling in $(pwd)"\necho remediated > "${marker}"\necho "a warning" >&2\nexit 0\n`,
    );
    const p = await admin.post('/api/v1/policies', {
      organizationId: orgId,
      kind: 'worklet',
      name: 'Firewall on',
      targets: { devices: [deviceId] },
      worklet: {
        scripts: [
          {
            osFamily: 'linux',
            evaluation: {
              shell: 'sh',
              code: `if [ -f "${marker}" ]; then echo compliant; exit 0; fi\necho "not compliant"; exit 3`,
            },
            remediation: { shell: 'sh', code: `sh "${scripts}/remediate.sh"` },
          },
        ],
        limits: { timeLimitSeconds: 60, outputCapBytes: 4096 },
      },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal(p.body.kind, 'worklet');
    assert.equal(p.body.rule, null);
    const start = await admin.post(`/api/v1/policies/${p.body.id}/run`, {});
    assert.equal(start.status, 202, JSON.stringify(start.body));
    assert.equal(start.body.runs.length, 1);
    assert.equal(start.body.runs[0].status, 'queued');
    assert.equal(start.body.runs[0].phase, 'evaluation');

    const out = await round();
    assert.match(out, /ran 1 job\(s\)/);
    assert.equal(await readFile(marker, 'utf8'), 'remediated\n');
    const [rem, ev] = await runs(`policyId=${p.body.id}`); // newest first
    assert.deepEqual(
      [ev!.phase, ev!.status, ev!.exitCode, ev!.stdout, ev!.truncated],
      ['evaluation', 'failed', 3, 'not compliant\n', false],
    );
    assert.equal(rem!.phase, 'remediation');
    assert.equal(rem!.status, 'succeeded');
    assert.equal(rem!.exitCode, 0);
    assert.match(rem!.stdout as string, /^enabling in .*job-\d+-/); // its private working folder
    assert.equal(rem!.stderr, 'a warning\n');
    assert.equal(rem!.jobId, ev!.jobId);
    assert.ok(rem!.startedAt && rem!.finishedAt);
    const one = await admin.get(`/api/v1/script-runs/${rem!.id}`);
    assert.equal(one.body.code, `sh "${scripts}/remediate.sh"`);
    // the event log has each run's start and finish
    const finished = await events('script.finished');
    assert.deepEqual(
      finished
        .filter((e) => e.data.policyId === p.body.id)
        .map((e) => [e.data.phase, e.data.status, e.data.exitCode])
        .sort(),
      [
        ['evaluation', 'failed', 3],
        ['remediation', 'succeeded', 0],
      ],
    );
    assert.ok((await events('script.started')).some((e) => e.subjectId === String(ev!.id)));
    assert.ok((await events('script.queued')).some((e) => e.subjectId === String(ev!.id)));

    // run again: the evaluation passes now, nothing more runs
    await admin.post(`/api/v1/policies/${p.body.id}/run`, { deviceId });
    await round();
    const again = await runs(`policyId=${p.body.id}`);
    assert.equal(again.length, 3);
    assert.deepEqual(
      [again[0]!.phase, again[0]!.status, again[0]!.stdout],
      ['evaluation', 'succeeded', 'compliant\n'],
    );
  },
);

test(
  'a script past its time limit is killed with its children and reported timed out',
  { skip },
  async () => {
    const pidFile = join(scripts, 'child.pid');
    const r = await admin.post('/api/v1/script-runs', {
      organizationId: orgId,
      deviceIds: [deviceId],
      script: { shell: 'sh', code: `sleep 300 &\necho $! > "${pidFile}"\necho started\nwait\necho never` },
      limits: { timeLimitSeconds: 1 },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.runs[0].id;
    await round();
    const run = (await admin.get(`/api/v1/script-runs/${id}`)).body;
    assert.deepEqual(
      [run.phase, run.status, run.exitCode, run.stdout],
      ['run', 'timed_out', null, 'started\n'],
    );
    assert.match(run.error, /time limit of 1 s/);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    // killed: gone, or a zombie waiting for a PID 1 that does not reap (containers)
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    assert.ok(stat === null || / Z /.test(stat), `the background child was killed with the group: ${stat}`);
  },
);

test('output beyond the cap is cut and flagged; the exit code is kept', { skip }, async () => {
  const r = await admin.post('/api/v1/script-runs', {
    organizationId: orgId,
    deviceIds: [deviceId],
    script: { shell: 'bash', code: `head -c 5000 /dev/zero | tr '\\0' x\necho short >&2\nexit 7` },
    limits: { outputCapBytes: 1024 },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await round();
  const run = (await admin.get(`/api/v1/script-runs/${r.body.runs[0].id}`)).body;
  assert.equal(run.status, 'failed');
  assert.equal(run.exitCode, 7);
  assert.equal(run.stdout, 'x'.repeat(1024));
  assert.equal(run.stderr, 'short\n');
  assert.equal(run.truncated, true);
});

test('a required-software policy installs the package where it is missing', { skip }, async () => {
  const installed = join(scripts, 'widget-installed');
  const p = await admin.post('/api/v1/policies', {
    organizationId: orgId,
    kind: 'required-software',
    name: 'Widget everywhere',
    targets: { devices: [deviceId] },
    requiredSoftware: {
      osFamily: 'linux',
      packageName: 'patchline-e2e-widget',
      packageVersion: '1.2',
      installation: { shell: 'sh', code: `echo "installing widget"\necho 1.2 > "${installed}"` },
    },
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  await admin.post(`/api/v1/policies/${p.body.id}/run`, {});
  await round();
  assert.equal(await readFile(installed, 'utf8'), '1.2\n');
  const [inst, ev] = await runs(`policyId=${p.body.id}`);
  assert.deepEqual([ev!.phase, ev!.status, ev!.exitCode], ['evaluation', 'failed', 1]);
  assert.match(ev!.stdout as string, /patchline-e2e-widget is not installed/);
  assert.deepEqual(
    [inst!.phase, inst!.status, inst!.stdout],
    ['install', 'succeeded', 'installing widget\n'],
  );
});

test(
  'turned off again: a job queued before is refused at hand-out, logged, and never runs',
  { skip },
  async () => {
    const r = await admin.post('/api/v1/script-runs', {
      organizationId: orgId,
      deviceIds: [deviceId],
      script: { shell: 'sh', code: `touch "${scripts}/late-ran"` },
    });
    assert.equal(r.status, 202);
    await admin.call('PUT', `/api/v1/organizations/${orgId}/script-settings`, { scriptsEnabled: false });
    await round();
    assert.equal(existsSync(join(scripts, 'late-ran')), false);
    const run = (await admin.get(`/api/v1/script-runs/${r.body.runs[0].id}`)).body;
    assert.equal(run.status, 'refused');
    assert.ok(
      (await events('script.refused')).some((e) => (e.data.runIds as number[] | undefined)?.includes(run.id)),
    );
    assert.ok((await events('scripts.disabled')).length === 1);
  },
);
