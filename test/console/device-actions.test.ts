import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, type Client } from '../support/api.ts';
import { scopedUser, type World } from '../support/world.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { type ConsoleRig, openPage, signInPage, SKIP_WITHOUT_CHROMIUM, startConsoleRig } from './helpers.ts';

// Scan now and install now from the device page, in Debian's chromium: each creates a task instance for
// that device, which the page links to; a Viewer is not offered the buttons.
const shots = process.env.PATCHLINE_SCREENSHOTS;

interface Task {
  id: number;
  kind: string;
  parameters: { target: { kind: string; ids: number[] }; updateIds?: number[] };
}

describe('console device actions in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let store: Store;
  let rig: ConsoleRig;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let world: World;

  before(async () => {
    rig = await startConsoleRig();
    ({ store, url, admin, world, browser } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it('scan now and install now create task instances for the device', async () => {
    const page = await openPage(browser);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.goto(`${url}/devices/${world.deviceA.id}`);
    await page.getByTestId('updates-table').waitFor();

    await page.getByRole('button', { name: 'Scan now' }).click();
    const result = page.getByTestId('device-action-result');
    await result.filter({ hasText: 'Scan requested' }).waitFor();
    const scanId = Number(await result.getAttribute('data-instance'));
    const scan = await admin.get(`/api/v1/task-instances/${scanId}`);
    assert.equal(scan.status, 200);
    assert.equal(scan.body.kind, 'scan');
    assert.equal(scan.body.organizationId, world.orgA.id);
    const tasks = (await admin.get('/api/v1/tasks?kind=scan')).body.items as Task[];
    const scanTask = tasks.find((t) => t.id === scan.body.taskId);
    assert.deepEqual(scanTask?.parameters.target, { kind: 'devices', ids: [world.deviceA.id] });
    if (shots) await page.screenshot({ path: `${shots}/device-scan-now.png`, fullPage: true });

    // install now with one update selected: it is approved on the device first, then installed alone
    const row = page.getByTestId('updates-table').locator('tbody tr[data-update="tzdata"]');
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Install now (1)' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Installs the selected update;').waitFor();
    await dialog.getByRole('button', { name: 'Install now' }).click();
    await result.filter({ hasText: 'Install requested' }).waitFor();
    const installId = Number(await result.getAttribute('data-instance'));
    const install = await admin.get(`/api/v1/task-instances/${installId}`);
    assert.equal(install.body.kind, 'install');
    const installTask = ((await admin.get('/api/v1/tasks?kind=install')).body.items as Task[]).find(
      (t) => t.id === install.body.taskId,
    );
    assert.deepEqual(installTask?.parameters.target, { kind: 'devices', ids: [world.deviceA.id] });
    assert.deepEqual(installTask?.parameters.updateIds, [world.updates.tzdata]);
    const tz = (await admin.get(`/api/v1/devices/${world.deviceA.id}/updates?limit=50`)).body.items.find(
      (u: { name: string }) => u.name === 'tzdata',
    );
    assert.equal(tz.approval.action, 'approve');
    assert.equal(tz.approval.level, 'device');
    // the link goes to the instance's page
    await result.getByRole('link', { name: `#${installId}` }).click();
    await page.waitForURL(new RegExp(`/tasks/instances/${installId}$`));
    // once the engine has run them, both are in the Tasks page's history of finished instances, and the
    // instance's page names its device
    const engine = createEngine({ store, owner: 'console-test', pollMs: 10 });
    await engine.tick();
    await engine.stop();
    assert.equal((await admin.get(`/api/v1/task-instances/${installId}`)).body.status, 'Completed');
    await page.getByRole('link', { name: 'Tasks', exact: true }).click();
    const finished = page.getByTestId('finished-table');
    await finished.locator(`tr[data-instance="${installId}"]`).getByText('completed').waitFor();
    await finished.locator(`tr[data-instance="${scanId}"]`).waitFor();
    await finished.getByRole('link', { name: `#${installId}` }).click();
    await page.getByTestId('instance-devices').getByRole('link', { name: world.deviceA.name }).waitFor();
    await page.context().close();
  });

  it('a Viewer sees the device but no scan or install buttons', async () => {
    const viewer = await scopedUser(admin, 'vera', world.orgA.id, 'Viewer');
    const page = await openPage(browser);
    await signInPage(page, url, 'vera', viewer.password);
    await page.goto(`${url}/devices/${world.deviceA.id}`);
    await page.getByTestId('updates-table').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Scan now' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Install now/ }).count(), 0);
    await page.context().close();
  });
});
