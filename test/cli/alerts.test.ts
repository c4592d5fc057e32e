import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `patchline alert …` as a person runs it, on the embedded store in a fresh folder.
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

test('alert subscription add, list, resume, remove; alert list and deliveries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchline-cli-alerts-'));
  const env = { ...process.env, PATCHLINE_DATA_DIR: join(dir, 'data'), PATCHLINE_LOG_LEVEL: 'warn' };
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', env, timeout: 120_000 });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  try {
    const org = run('org', 'create', 'Acme Alerts');
    assert.equal(org.status, 0, org.err);
    const orgId = /id (\d+)/.exec(org.out)![1]!;
    const add = run(
      'alert',
      'subscription',
      'add',
      '--organization',
      orgId,
      '--name',
      'ops hook',
      '--kinds',
      'install.failed,rollout.gate_failed',
      '--channel',
      'webhook',
      '--url',
      'https://hooks.acme.test/patchline',
    );
    assert.equal(add.status, 0, add.err);
    assert.match(add.out, /subscription (\d+) created; signing secret \(shown once\): whsec_/);
    const bad = run(
      'alert',
      'subscription',
      'add',
      '--organization',
      orgId,
      '--name',
      'x',
      '--kinds',
      'nothing',
      '--channel',
      'email',
      '--to',
      'ops@acme.test',
    );
    assert.equal(bad.status, 1);
    assert.match(bad.err, /'nothing' is not an alert kind/);
    const list = run('alert', 'subscription', 'list', '--json');
    assert.equal(list.status, 0, list.err);
    const subs = JSON.parse(list.out) as { id: number; name: string; kinds: string[]; secret?: string }[];
    assert.equal(subs.length, 1);
    assert.equal(subs[0]!.name, 'ops hook');
    assert.deepEqual(subs[0]!.kinds, ['install.failed', 'rollout.gate_failed']);
    assert.equal(subs[0]!.secret, undefined, 'the secret is never listed');
    const resume = run('alert', 'subscription', 'resume', String(subs[0]!.id));
    assert.equal(resume.status, 0, resume.err);
    assert.match(resume.out, /0 deliveries queued again/);
    assert.match(run('alert', 'list').out, /no alerts/);
    assert.match(run('alert', 'deliveries').out, /no deliveries/);
    const close = run('alert', 'close', '99');
    assert.equal(close.status, 1);
    assert.match(close.err, /alert 99 not found/);
    assert.equal(run('alert', 'subscription', 'remove', String(subs[0]!.id)).status, 0);
    assert.match(run('alert', 'subscription', 'list').out, /no subscriptions/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
