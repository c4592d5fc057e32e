import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerRolloutCommands } from '../../src/cli/rollout-commands.ts';
import { systemContext } from '../../src/services/context.ts';
import { createDevice } from '../../src/services/devices.ts';
import { createGroup } from '../../src/services/groups.ts';
import { createOrganization } from '../../src/services/organizations.ts';
import { ingestScan } from '../../src/services/scans.ts';
import { openStore } from '../../src/store/db.ts';
import { runCommand } from '../support/cli.ts';
import { pgliteTemplate } from '../support/store.ts';

// `patchline rollout …` and `patchline auto-approval …` on an embedded store in a fresh folder (seeded
// through the services first, then closed: each command opens it and takes the folder's lock, as the CLI
// does). The commands run in this process: spawning one CLI process per command was too slow here.

let dir: string;
let org: number;
let group: number;
let device: number;
let update: number;

/** one command, in this process (each opens and closes the store as the CLI does): what it printed */
async function cli(...args: string[]): Promise<string> {
  const r = await runCommand(registerRolloutCommands, [...args, '--data-dir', dir]);
  assert.equal(r.status, 0, r.err);
  return r.out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pl-rollout-cli-'));
  // a migrated store from the template (initdb and every migration take seconds, and are not under test)
  const store = await openStore({ dataDir: join(dir), loadDataDir: await pgliteTemplate() });
  try {
    const ctx = systemContext(store, 'cli-test');
    org = (await createOrganization(ctx, { name: 'CLI Rings' })).id;
    group = (await createGroup(ctx, { organizationId: org, name: 'canary' })).id;
    device = (
      await createDevice(ctx, { organizationId: org, groupId: group, name: 'cli-1', osFamily: 'linux' })
    ).id;
    await ingestScan(ctx, device, {
      full: true,
      updates: [
        { kind: 'deb', name: 'openssl', version: '3.0.22-1', detection: 'missing', isSecurity: true },
      ],
    });
    const row = await store.db
      .selectFrom('updates')
      .select('id')
      .where('name', '=', 'openssl')
      .executeTakeFirstOrThrow();
    update = row.id;
  } finally {
    await store.close();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('create a plan, approve into it, show the rings, pause; preview and add a rule', async () => {
  const planFile = join(dir, 'plan.json');
  writeFileSync(
    planFile,
    JSON.stringify({
      name: 'cli plan',
      rings: [
        { name: 'canary', groups: [group] },
        { name: 'rest', groups: [group] },
      ],
    }),
  );
  // five commands, each opening the store: kept few, every one slow on a loaded machine
  const plan = await cli('rollout', 'create', String(org), planFile);
  const planId = Number(/created rollout plan (\d+): cli plan/.exec(plan)?.[1]);
  assert.ok(planId, plan);
  const approved = JSON.parse(await cli('rollout', 'approve', String(planId), String(update), '--json')) as {
    rollouts: { id: number; state: string; rings: { gate: string; startedAt: string | null }[] }[];
  };
  assert.equal(approved.rollouts[0]!.state, 'running');
  assert.ok(approved.rollouts[0]!.rings[0]!.startedAt);
  const paused = await cli('rollout', 'pause', String(approved.rollouts[0]!.id), '--note', 'change freeze');
  assert.match(paused, /^rollout \d+: openssl \(update \d+\) paused - paused by cli/);
  assert.match(paused, /> 1\. canary: 1 devices, started .*gate pending/);
  assert.match(paused, / {2}2\. rest: 0 devices, starts after the previous ring/);

  const ruleFile = join(dir, 'rule.json');
  writeFileSync(
    ruleFile,
    JSON.stringify({ name: 'security', conditions: { classifications: ['security'] }, action: 'ignore' }),
  );
  // the device's openssl is approved by the rollout ring (pending): nothing missing is left to preview
  assert.match(await cli('auto-approval', 'preview', String(org), ruleFile), /the rule matches nothing now/);
  const first = await cli('auto-approval', 'add', String(org), ruleFile);
  assert.match(first, /added rule \d+ at position 1: security/);
  writeFileSync(
    ruleFile,
    JSON.stringify({ name: 'kev', conditions: { knownExploited: true }, action: 'approve' }),
  );
  const second = await cli('auto-approval', 'add', String(org), ruleFile);
  assert.match(second, /added rule \d+ at position 2: kev/);
  const [a, b] = [first, second].map((t) => /added rule (\d+)/.exec(t)![1]!);
  const reordered = await cli('auto-approval', 'reorder', String(org), b!, a!);
  assert.equal(reordered, `1. kev (rule ${b})\n2. security (rule ${a})`);
});
