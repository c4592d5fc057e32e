import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { ADMIN_PASSWORD, client } from '../support/api.ts';
import type { World } from '../support/world.ts';
import { type ConsoleRig, openPage, signInPage, SKIP_WITHOUT_CHROMIUM, startConsoleRig } from './helpers.ts';

// The enrollment page in Debian's chromium: an install token made in the console, shown once with the
// one-line install command for each operating system; the token enrolls an agent; revoked from the list,
// it enrolls nothing more.
describe('console enrollment in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let rig: ConsoleRig;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let world: World;

  before(async () => {
    rig = await startConsoleRig();
    ({ app, url, world, browser } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it('creates an install token with its install commands, lists it and revokes it', async () => {
    const page = await openPage(browser);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Enroll devices' }).click();
    await page.getByRole('heading', { name: 'Enroll devices' }).waitFor();
    await page.locator('main').getByLabel('Organization').click();
    await page.getByRole('option', { name: world.orgA.name, exact: true }).click();
    await page.getByRole('button', { name: 'New install token' }).click();
    const dialog = page.getByRole('dialog', { name: 'New install token' });
    await dialog.getByLabel('Name').fill('office laptops');
    await dialog.getByRole('button', { name: 'Create' }).click();

    const shown = page.getByRole('dialog', { name: 'Install the agent' });
    const token = (await shown.getByTestId('new-install-token').innerText()).trim();
    assert.match(token, /^plt_/);
    const commands: Record<string, string> = {};
    for (const [tab, key] of [
      ['Debian / Ubuntu', 'debian'],
      ['RHEL / Rocky / Alma', 'rhel'],
      ['SUSE', 'suse'],
      ['Windows', 'windows'],
      ['macOS', 'macos'],
    ] as const) {
      await shown.getByRole('tab', { name: tab }).click();
      const code = shown.getByTestId(`install-command-${key}`);
      commands[key] = await code.innerText();
      assert.ok(commands[key].includes(token), `${key}: ${commands[key]}`);
      assert.ok(commands[key].includes(url), `${key} names the server`);
      await shown.getByRole('button', { name: `Copy the ${tab} command` }).waitFor();
    }
    assert.match(commands.debian!, /apt-get install -y nodejs && .*--backend apt .*systemctl enable --now/);
    assert.match(commands.rhel!, /dnf install -y nodejs && .*--backend dnf/);
    assert.match(commands.suse!, /zypper .*install nodejs20 && .*--backend zypper/);
    assert.match(commands.windows!, /winget install .*--backend windows .*schtasks \/Create/);
    assert.match(commands.macos!, /brew install node && .*--backend macos/);
    await shown.getByRole('button', { name: 'Done' }).click();

    // the token enrolls an agent
    const e = await client(app).post('/agent/v1/enroll', { token, name: 'laptop-1', osFamily: 'linux' });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    const row = page.getByTestId('install-tokens-table').locator('tr[data-token="office laptops"]');
    await row.getByText('active').waitFor();
    assert.ok(!(await page.locator('main').innerText()).includes(token), 'the list never shows the token');
    await row.getByRole('button', { name: 'Revoke office laptops' }).click();
    await row.getByText('revoked').waitFor();
    const again = await client(app).post('/agent/v1/enroll', { token, name: 'laptop-2', osFamily: 'linux' });
    assert.equal(again.status, 401);
    await page.context().close();
  });
});
