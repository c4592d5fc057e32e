import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import { buildWorld, scopedUser, type World } from '../support/world.ts';
import { CHROMIUM, CHROMIUM_ARGS, ensureConsoleBuilt, startConsoleServer } from './helpers.ts';

// The console in Debian's chromium against a real server on the embedded store.
// PATCHLINE_SCREENSHOTS=<folder> keeps a screenshot of each step.
const CI = process.env.CI === 'true';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !CI)
  console.warn(
    `\n!!! ${CHROMIUM} is missing: the console's browser tests are SKIPPED.\n` +
      '!!! Install it from Debian (apt-get install -y chromium) or set PATCHLINE_CHROMIUM.\n',
  );
const shots = process.env.PATCHLINE_SCREENSHOTS;
/** (in the page) r: the box of the navigation's Devices link; the navbar slides, so waits poll it */
const NAV_BOX =
  "const r = [...document.querySelectorAll('nav a')].find((e) => e.textContent === 'Devices')?.getBoundingClientRect()";
if (shots) mkdirSync(shots, { recursive: true });

describe('web console in chromium', { skip: !haveChromium && !CI ? `${CHROMIUM} missing` : false }, () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let world: World;
  let alice: { password: string };

  before(async () => {
    if (!haveChromium) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run must install chromium`);
    ensureConsoleBuilt();
    ({ store, cleanup } = await freshStore('pglite'));
    ({ app, url } = await startConsoleServer(store));
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, store);
    alice = await scopedUser(admin, 'alice', world.orgA.id);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await cleanup?.();
  });

  async function newPage(viewport = { width: 1280, height: 860 }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  }
  const shot = async (page: Page, name: string) => {
    if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };
  async function signInAs(page: Page, username: string, password: string) {
    await page.goto(`${url}/`);
    await page.getByLabel('User name').fill(username);
    await page.locator('input[name="password"]').fill(password);
    await shot(page, `sign-in-${username}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  it('a wrong password is refused with the server’s message', async () => {
    const page = await newPage();
    await page.goto(`${url}/`);
    await page.getByLabel('User name').fill('admin');
    await page.locator('input[name="password"]').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Sign-in failed/);
    await page.context().close();
  });

  it('an administrator signs in, finds a missing critical update, approves it and sees its status change', async () => {
    const page = await newPage();
    await signInAs(page, 'admin', ADMIN_PASSWORD);

    // the dashboard shows the counts of GET /status
    const status = (await admin.get('/api/v1/status')).body as { devices: number; missingUpdates: number };
    await page
      .getByTestId('stat-devices')
      .filter({ hasText: String(status.devices) })
      .waitFor();
    assert.equal(await page.getByTestId('stat-missing-updates').innerText(), String(status.missingUpdates));
    await shot(page, 'dashboard');

    // the devices list, searched down to one device
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByTestId('devices-table').waitFor();
    await page.getByLabel('Search').fill(world.deviceA.name);
    await page.waitForURL(/q=web-1/);
    await page
      .getByTestId('devices-table')
      .getByRole('link', { name: 'web-2' })
      .waitFor({ state: 'detached' });
    await shot(page, 'devices');
    await page.getByRole('link', { name: world.deviceA.name, exact: true }).click();

    // the device's open updates: find one that is critical and missing
    const table = page.getByTestId('updates-table');
    await table.waitFor();
    const critical = table.locator('tbody tr').filter({ hasText: 'critical' }).filter({ hasText: 'missing' });
    assert.equal(await critical.count(), 1, 'one missing critical update on web-1');
    const name = await critical.getAttribute('data-update');
    assert.equal(name, 'liblzma5');
    await shot(page, 'device-before');

    await critical.getByRole('checkbox').check();
    await page.getByRole('button', { name: /^Approve/ }).click();

    // the row's status follows the server's new status, and the approval names who set it
    const after = (await admin.get(`/api/v1/devices/${world.deviceA.id}/updates?sort=name`)).body.items.find(
      (u: { name: string }) => u.name === name,
    ) as { status: string; approval: { action: string; setBy: string } };
    assert.notEqual(after.status, 'missing', 'approving changed the status on the server');
    assert.equal(after.approval.action, 'approve');
    const row = table.locator(`tbody tr[data-update="${name}"]`);
    await row.locator(`[data-status="${after.status}"]`).waitFor();
    assert.match(
      await row.getByTestId('approval').innerText(),
      new RegExp(`approve at device level\\s+by ${after.approval.setBy}`),
    );
    // the history timeline shows the status change
    await page.getByTestId('history').getByText(`missing → ${after.status}`).first().waitFor();
    await shot(page, 'device-after');

    // administration: a new API key is shown once
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'New API key' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('ci key');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    const key = await page.getByTestId('new-api-key').innerText();
    const viaKey = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${key.trim()}` } });
    assert.equal(viaKey.status, 200, 'the key shown once works as a Bearer token');
    await shot(page, 'api-key');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('API-keys-table').getByText('ci key').waitFor();

    // the organization switcher narrows the devices list to one organization
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByLabel('Search').fill('');
    await page.getByTestId('devices-table').getByRole('link', { name: world.deviceB.name }).waitFor();
    await page.getByTestId('org-switcher').click();
    await page.getByRole('option', { name: world.orgA.name }).click();
    await page
      .getByTestId('devices-table')
      .getByRole('link', { name: world.deviceB.name })
      .waitFor({ state: 'detached' });
    await page.getByTestId('devices-table').getByRole('link', { name: world.deviceA2.name }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.context().close();
  });

  it('a user scoped to one organization sees nothing of another', async () => {
    const page = await newPage();
    await signInAs(page, 'alice', alice.password);
    await page.getByTestId('stat-organizations').filter({ hasText: '1' }).waitFor();
    assert.equal(await page.getByTestId('org-switcher').count(), 0, 'no switcher with one organization');

    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    const devices = page.getByTestId('devices-table');
    await devices.getByRole('link', { name: world.deviceA.name, exact: true }).waitFor();
    const names = await devices.locator('tbody tr a').allInnerTexts();
    assert.deepEqual(names.sort(), [world.deviceA.name, world.deviceA2.name].sort());
    assert.doesNotMatch(await devices.innerText(), new RegExp(world.orgB.name));

    await page.getByRole('link', { name: 'Organizations' }).click();
    await page
      .getByTestId('organizations-table')
      .getByRole('cell', { name: world.orgA.name, exact: true })
      .waitFor();
    assert.doesNotMatch(
      await page.getByTestId('organizations-table').innerText(),
      new RegExp(world.orgB.name),
    );
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'no user administration');

    // the other organization's device, asked for by address, is refused
    await page.goto(`${url}/devices/${world.deviceB.id}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /not found|not allowed/i);
    assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(world.deviceB.name));

    // and its events are absent from the event log
    await page.goto(`${url}/admin/events`);
    await page.locator('main table').waitFor();
    const log = await page.locator('main').innerText();
    assert.doesNotMatch(log, new RegExp(`device ${world.deviceB.id}\\b`));
    assert.doesNotMatch(log, new RegExp(world.orgB.name));
    await shot(page, 'scoped-events');
    await page.context().close();
  });

  it('on a phone the navigation sits behind a burger', async () => {
    const page = await newPage({ width: 390, height: 844 });
    await signInAs(page, 'admin', ADMIN_PASSWORD);
    const nav = page.getByRole('link', { name: 'Devices', exact: true });
    // the navbar slides out of the viewport rather than leaving the page
    const onScreen = async () => {
      const box = await nav.boundingBox();
      return !!box && box.x + box.width > 0 && box.x < 390;
    };
    assert.equal(await onScreen(), false, 'the navigation is hidden on a phone');
    await page.getByRole('button', { name: 'Navigation' }).click();
    await page.waitForFunction(`${NAV_BOX}; !!r && r.x >= 0 && r.right <= 390`);
    assert.equal(await onScreen(), true, 'the burger opens the navigation');
    await shot(page, 'phone-nav');
    await nav.click();
    await page.getByTestId('devices-table').waitFor();
    await page.waitForFunction(`${NAV_BOX}; !r || r.right <= 0`);
    assert.equal(await onScreen(), false, 'the navigation closes after choosing a page');
    await shot(page, 'phone-devices');
    await page.context().close();
  });
});
