import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { BUILTIN_ROLES } from '../../src/core/privileges.ts';
import { ADMIN_PASSWORD, type Client } from '../support/api.ts';
import { scopedUser, type World } from '../support/world.ts';
import { type ConsoleRig, openPage, signInPage, SKIP_WITHOUT_CHROMIUM, startConsoleRig } from './helpers.ts';

// The roles page in Debian's chromium: the built-in roles and their privileges, a new role made,
// changed and deleted through the form, a built-in role that cannot change, and no page for non-admins.
const shots = process.env.PATCHLINE_SCREENSHOTS;

interface Role {
  id: number;
  name: string;
  description: string;
  privileges: string[];
}

describe('console roles in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let rig: ConsoleRig;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let world: World;
  const roles = async () => (await admin.get('/api/v1/roles?limit=100')).body.items as Role[];

  before(async () => {
    rig = await startConsoleRig();
    ({ url, admin, world, browser } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it('an administrator reads the privileges of each role, then creates, changes and deletes a role', async () => {
    const page = await openPage(browser);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Roles' }).click();
    const table = page.getByTestId('roles-table');
    await table.waitFor();
    for (const r of BUILTIN_ROLES) {
      const shown = await table
        .locator(`tr[data-role="${r.name}"]`)
        .getByTestId('role-privileges')
        .locator('.mantine-Badge-root')
        .allInnerTexts();
      assert.deepEqual(shown.sort(), [...r.privileges].sort(), r.name);
    }

    // a new role through the form, by keyboard where a keyboard user would type
    await page.getByRole('button', { name: 'New role' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Name/).fill('Patch auditor');
    await dialog.getByLabel('Description').fill('Reads and approves');
    await dialog.getByRole('checkbox', { name: 'approve' }).check();
    if (shots) await page.screenshot({ path: `${shots}/role-editor.png` });
    await dialog.getByLabel('Description').press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await table.locator('tr[data-role="Patch auditor"]').waitFor();
    let made = (await roles()).find((r) => r.name === 'Patch auditor');
    assert.ok(made, 'the form created the role');
    assert.deepEqual(made.privileges.sort(), ['approve', 'read']);
    assert.equal(made.description, 'Reads and approves');

    // changed: it may import the catalog too
    await page.getByRole('button', { name: 'Edit Patch auditor' }).click();
    await dialog.getByRole('checkbox', { name: 'import_catalog' }).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await table.locator('tr[data-role="Patch auditor"]').getByText('import_catalog').waitFor();
    made = (await roles()).find((r) => r.name === 'Patch auditor')!;
    assert.deepEqual(made.privileges.sort(), ['approve', 'import_catalog', 'read']);

    // a built-in role shows its privileges but does not let them change
    await page.getByRole('button', { name: 'View Operator' }).click();
    assert.equal(await dialog.getByRole('checkbox', { name: 'administer' }).isDisabled(), true);
    assert.equal(await dialog.getByLabel(/^Name/).isDisabled(), true);
    assert.equal(await dialog.getByRole('button', { name: 'Delete role' }).count(), 0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // deleted
    await page.getByRole('button', { name: 'Edit Patch auditor' }).click();
    await dialog.getByRole('button', { name: 'Delete role' }).click();
    await table.locator('tr[data-role="Patch auditor"]').waitFor({ state: 'detached' });
    assert.equal(
      (await roles()).some((r) => r.name === 'Patch auditor'),
      false,
    );
    await page.context().close();
  });

  it('a role still given to a user cannot be deleted: the server says why', async () => {
    const r = await admin.post('/api/v1/roles', { name: 'Night shift', privileges: ['read', 'approve'] });
    assert.equal(r.status, 201);
    await scopedUser(admin, 'nina', world.orgA.id, 'Night shift');
    const page = await openPage(browser);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.goto(`${url}/admin/roles`);
    await page.getByRole('button', { name: 'Edit Night shift' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete role' }).click();
    const alert = page.getByRole('dialog').getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /still given to users/);
    assert.ok((await roles()).some((x) => x.name === 'Night shift'));
    await page.context().close();
  });

  it('an administrator makes a scope over one organization and one group of another', async () => {
    const page = await openPage(browser);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Scopes' }).click();
    await page.getByTestId('scopes-table').locator('tr[data-scope="All organizations"]').waitFor();
    await page.getByRole('button', { name: 'New scope' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Name/).fill('Alpha and Bravo servers');
    await dialog.getByLabel('Whole organizations').click();
    await page.getByRole('option', { name: world.orgA.name, exact: true }).click();
    await page.keyboard.press('Escape'); // a multi-select stays open for more
    await dialog.getByLabel('Groups (with everything below them)').click();
    await page.getByRole('option', { name: `${world.orgB.name} / Servers`, exact: true }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByTestId('scopes-table').locator('tr[data-scope="Alpha and Bravo servers"]');
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${world.orgA.name}, ${world.orgB.name} / Servers`));
    const scopes = (await admin.get('/api/v1/scopes?limit=100')).body.items as {
      name: string;
      allOrganizations: boolean;
      entries: { organizationId: number; groupId: number | null }[];
    }[];
    const made = scopes.find((x) => x.name === 'Alpha and Bravo servers');
    assert.ok(made);
    assert.equal(made.allOrganizations, false);
    assert.deepEqual(made.entries, [
      { organizationId: world.orgA.id, groupId: null },
      { organizationId: world.orgB.id, groupId: world.groupB.id },
    ]);
    await page.context().close();
  });

  it('an operator has no roles page', async () => {
    const op = await scopedUser(admin, 'oscar', world.orgA.id, 'Operator');
    const page = await openPage(browser);
    await signInPage(page, url, 'oscar', op.password);
    assert.equal(await page.getByRole('link', { name: 'Roles' }).count(), 0);
    await page.goto(`${url}/admin/roles`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /not allowed/i);
    await page.context().close();
  });
});
