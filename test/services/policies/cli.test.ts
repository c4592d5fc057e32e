import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerPolicyCommands } from '../../../src/cli/policy-commands.ts';
import { openStore } from '../../../src/store/db.ts';
import { pgliteTemplate } from '../../support/store.ts';
import { bootstrap } from '../../../src/services/bootstrap.ts';
import { systemContext } from '../../../src/services/context.ts';
import { createOrganization } from '../../../src/services/organizations.ts';
import { createPolicy } from '../../../src/services/policies.ts';
import { createTask } from '../../../src/services/tasks.ts';

// The policy and task commands against an embedded store in a temporary data folder.

let dir: string;
let policyId: number;
let taskId: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchline-cli-'));
  // a migrated store from the template (initdb and every migration take seconds, and are not under test)
  const store = await openStore({ dataDir: dir, loadDataDir: await pgliteTemplate() });
  try {
    await bootstrap(store, 'admin-password-1');
    const ctx = systemContext(store, 'test');
    const org = await createOrganization(ctx, { name: 'Cli Org', timeZone: 'Europe/Berlin' });
    const p = await createPolicy(ctx, {
      organizationId: org.id,
      name: 'Nightly',
      rule: { kind: 'all' },
      schedule: {
        recurrence: { kind: 'days', every: 1 },
        start: '2026-01-01T02:00',
        zone: { kind: 'named', name: 'Europe/Berlin' },
      },
    });
    policyId = p.id;
    taskId = (await createTask(ctx, { organizationId: org.id, kind: 'scan' })).id;
  } finally {
    await store.close();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<string> {
  const program = new Command('patchline').exitOverride();
  registerPolicyCommands(program);
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  try {
    await program.parseAsync(['node', 'patchline', ...args, '--data-dir', dir]);
  } finally {
    console.log = log;
  }
  return out.join('\n');
}

test('policy list, show and preview; task list, run, list --running and stop', async () => {
  assert.match(await run('policy', 'list'), new RegExp(`^${policyId}\\t.*enabled.*\\tNightly$`, 'm'));
  const shown = JSON.parse(await run('policy', 'show', String(policyId)));
  assert.equal(shown.name, 'Nightly');
  assert.match(shown.nextRunAt, /T0[01]:00:00\.000Z$/, '02:00 in Berlin');
  assert.equal(await run('policy', 'preview', String(policyId)), 'the policy targets no device');
  assert.match(await run('task', 'list'), new RegExp(`^${taskId}\\t.*\\tscan\\t`, 'm'));
  const started = JSON.parse(await run('task', 'run', String(taskId), '--json'));
  assert.equal(started.status, 'NotStarted');
  assert.match(
    await run('task', 'list', '--running'),
    new RegExp(`^${started.id}\\ttask ${taskId}\\tscan\\tNotStarted`, 'm'),
  );
  assert.equal(await run('task', 'stop', String(started.id)), `instance ${started.id} is now Failed`);
});
