import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { createAlertEngine } from '../../src/engine/alerts.ts';
import { systemContext } from '../../src/services/context.ts';
import { record } from '../../src/services/events.ts';
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

// The alerts page in Debian's chromium: a failed rollout gate shows as an open alert with its reason and
// is closed from the page; a webhook subscription is made through the form (its secret shown once); the
// delivery log lists what was sent.

describe('console alerts in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let world: World;

  before(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run must install chromium`);
    ensureConsoleBuilt();
    ({ store, cleanup } = await freshStore('pglite'));
    ({ app, url } = await startConsoleServer(store));
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, store);
    await record(systemContext(store, 'rollouts'), store.db, {
      kind: 'rollout.gate_failed',
      organizationId: world.orgA.id,
      subjectType: 'rollout_plan',
      subjectId: 3,
      data: { plan: 'three-rings', ring: 1, reason: '1 of 3 devices installed, 90% required' },
    });
    await createAlertEngine({ store }).tick();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await cleanup?.();
  });

  it('shows why a rollout stopped, closes the alert, and subscribes a webhook', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Alerts' }).click();
    const table = page.getByTestId('alerts-table');
    await table.waitFor();
    const row = table.locator('tr', { hasText: 'the gate after ring 1 failed' });
    await row.waitFor();
    assert.match(await row.innerText(), /Rollout gate failed/);
    assert.ok((await row.locator('[title*="90% required"]').count()) > 0, 'the reason is on the alert');
    await row.getByRole('button', { name: 'Close' }).click();
    await row.waitFor({ state: 'detached' });
    const gate = (await admin.get(`/api/v1/alerts?organizationId=${world.orgA.id}&kind=rollout.gate_failed`))
      .body.items[0];
    assert.equal(gate.state, 'closed');
    assert.equal(gate.closedBy, 'admin');

    await page.getByRole('tab', { name: 'Subscriptions' }).click();
    await page.getByRole('button', { name: 'New subscription' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Organization/).click();
    await page.getByRole('option', { name: 'Alpha' }).click();
    await dialog.getByLabel(/^Name/).fill('ops webhook');
    await dialog.getByLabel(/^URL/).fill('https://hooks.alpha.test/patchline');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const secret = page.getByTestId('webhook-secret');
    await secret.waitFor();
    assert.match(await secret.innerText(), /^whsec_/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('subscriptions-table').locator('tr', { hasText: 'ops webhook' }).waitFor();
    const subs = (await admin.get(`/api/v1/alert-subscriptions?organizationId=${world.orgA.id}`)).body.items;
    assert.equal(subs.length, 1);
    assert.deepEqual(subs[0].kinds, ['install.failed', 'rollout.gate_failed']);
    assert.equal(subs[0].url, 'https://hooks.alpha.test/patchline');

    await page.getByRole('tab', { name: 'Delivery log' }).click();
    await page.getByText('Nothing was sent yet.').waitFor();
    await context.close();
  });
});
