import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAlertCommands } from '../../src/cli/alert-commands.ts';
import { systemContext } from '../../src/services/context.ts';
import { createOrganization } from '../../src/services/organizations.ts';
import { openStore } from '../../src/store/db.ts';
import { runCommand } from '../support/cli.ts';
import { pgliteTemplate } from '../support/store.ts';

// `patchline alert …` on the embedded store in a fresh folder, each command in this process (opening and
// closing the store as the CLI does; see test/support/cli.ts).

test('alert subscription add, list, resume, remove; alert list and deliveries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchline-cli-alerts-'));
  const dataDir = join(dir, 'data');
  const run = (...args: string[]) => runCommand(registerAlertCommands, [...args, '--data-dir', dataDir]);
  try {
    // a migrated store from the template (initdb and every migration take seconds, and are not under test)
    const store = await openStore({ dataDir, loadDataDir: await pgliteTemplate() });
    const orgId = String(
      await createOrganization(systemContext(store, 'test'), { name: 'Acme Alerts' })
        .then((o) => o.id)
        .finally(() => store.close()),
    );
    const add = await run(
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
    const bad = await run(
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
    const list = await run('alert', 'subscription', 'list', '--json');
    assert.equal(list.status, 0, list.err);
    const subs = JSON.parse(list.out) as { id: number; name: string; kinds: string[]; secret?: string }[];
    assert.equal(subs.length, 1);
    assert.equal(subs[0]!.name, 'ops hook');
    assert.deepEqual(subs[0]!.kinds, ['install.failed', 'rollout.gate_failed']);
    assert.equal(subs[0]!.secret, undefined, 'the secret is never listed');
    const resume = await run('alert', 'subscription', 'resume', String(subs[0]!.id));
    assert.equal(resume.status, 0, resume.err);
    assert.match(resume.out, /0 deliveries queued again/);
    assert.match((await run('alert', 'list')).out, /no alerts/);
    assert.match((await run('alert', 'deliveries')).out, /no deliveries/);
    const close = await run('alert', 'close', '99');
    assert.equal(close.status, 1);
    assert.match(close.err, /alert 99 not found/);
    assert.equal((await run('alert', 'subscription', 'remove', String(subs[0]!.id))).status, 0);
    assert.match((await run('alert', 'subscription', 'list')).out, /no subscriptions/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
