import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { createEngine } from '../../src/engine/engine.ts';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import { buildWorld, type World } from '../support/world.ts';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  ensureConsoleBuilt,
  HAVE_CHROMIUM,
  signInPage,
  SKIP_WITHOUT_CHROMIUM,
  startConsoleServer,
} from './helpers.ts';

// The ring view in Debian's chromium: a rollout whose first ring's gate failed shows that it stopped and
// why (the gate's reason, per ring); skipping the gate from the console starts the next ring. The gate is
// judged by the task engine on an injected clock, a day after the ring started, with nothing installed
// on the ring's devices. Then the auto-approval page previews a rule.

describe('console rollouts in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let world: World;
  let planId: number;

  before(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run must install chromium`);
    ensureConsoleBuilt();
    ({ store, cleanup } = await freshStore('pglite'));
    ({ app, url } = await startConsoleServer(store));
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, store);
    const plan = await admin.post('/api/v1/rollout-plans', {
      organizationId: world.orgA.id,
      name: 'Web rings',
      rings: [
        {
          name: 'web canary',
          devices: [world.deviceA.id, world.deviceA2.id],
          gate: { minPercent: 50, afterHours: 24 },
        },
        { name: 'everything else', groups: [world.groupA.id] },
      ],
    });
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    planId = plan.body.id;
    const approved = await admin.post(`/api/v1/rollout-plans/${planId}/approve`, {
      updateIds: [world.updates.openssl],
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const engine = createEngine({
      store,
      owner: 'console-rollouts',
      now: () => new Date(Date.now() + 25 * 3_600_000),
    });
    await engine.tick();
    await engine.stop();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await cleanup?.();
  });

  it('shows the failed gate and why; skipping it starts the next ring', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Rollouts' }).click();
    const plan = page.getByTestId(`plan-${planId}`);
    await plan.getByText('Web rings').waitFor();
    const rollout = plan.locator('[data-testid^="rollout-"]').first();
    assert.match(await rollout.getByTestId('rollout-state').innerText(), /halted/i);
    await rollout.getByText('Rollout stopped').waitFor();
    const why = await rollout.getByTestId('rollout-reason').innerText();
    assert.match(
      why,
      /gate failed: 0 of 2 devices \(0%\) installed and stayed healthy; 50% needed \(2 not installed/,
    );
    const ring1 = rollout.getByTestId('ring-0');
    assert.match(await ring1.getByTestId('ring-gate').innerText(), /failed/i);
    assert.match(await ring1.getByTestId('ring-reason').innerText(), /gate failed: 0 of 2 devices/);
    assert.match(await rollout.getByTestId('ring-1').getByTestId('ring-gate').innerText(), /pending/i);

    await rollout.getByRole('button', { name: 'Skip gate' }).click();
    await rollout.getByText('Rollout stopped').waitFor({ state: 'detached' });
    assert.match(await rollout.getByTestId('rollout-state').innerText(), /running/i);
    assert.match(await ring1.getByTestId('ring-gate').innerText(), /skipped/i);
    assert.match(await ring1.getByTestId('ring-reason').innerText(), /gate skipped by admin/);
    // ring 2 started: its device (outside the canary) has the update approved now
    const r = await admin.get(`/api/v1/rollout-plans/${planId}`);
    assert.ok(r.body.rollouts[0].rings[1].startedAt);
    const skipped = await admin.get(
      `/api/v1/events?organizationId=${world.orgA.id}&kind=rollout.gate_skipped`,
    );
    assert.equal(skipped.body.items.length, 1);
    await context.close();
  });

  it('previews an auto-approval rule before saving it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Auto-approval' }).click();
    await page.getByLabel('Organization').first().waitFor();
    await page
      .getByRole('textbox', { name: 'A rule' })
      .fill(
        JSON.stringify({ name: 'tzdata everywhere', conditions: { package: 'tzdata' }, action: 'approve' }),
      );
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('preview');
    await preview.waitFor();
    const text = await preview.innerText();
    assert.match(text, /Would approve now on 2 devices/);
    assert.match(text, new RegExp(`tzdata: devices ${world.deviceA.id}, ${world.deviceA2.id}`));

    // two saved rules (matching nothing now), put in the other order with the row's button
    const ids: number[] = [];
    for (const name of ['first rule', 'second rule']) {
      const r = await admin.post(`/api/v1/organizations/${world.orgA.id}/auto-approval-rules`, {
        name,
        conditions: { package: 'nothing-here-*' },
        action: 'ignore',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids.push(r.body.id);
    }
    await page.reload();
    await page.getByTestId(`rule-${ids[0]}`).waitFor();
    await page.getByRole('button', { name: 'Move first rule down' }).click();
    const firstRow = page.getByTestId('rules').locator('tbody tr').first();
    await firstRow.getByText('second rule').waitFor();
    assert.match(await firstRow.innerText(), /^1\s+second rule/);
    const order = await admin.get(`/api/v1/organizations/${world.orgA.id}/auto-approval-rules`);
    assert.deepEqual(
      order.body.items.map((r: { id: number }) => r.id),
      [ids[1], ids[0]],
    );
    await context.close();
  });
});
