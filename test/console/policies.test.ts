import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { ADMIN_PASSWORD, type Client } from '../support/api.ts';
import type { World } from '../support/world.ts';
import { type ConsoleRig, openPage, signInPage, SKIP_WITHOUT_CHROMIUM, startConsoleRig } from './helpers.ts';

// The policies page in Debian's chromium: a policy with a weekly schedule made through the form, and
// its next occurrences as the API computes them. PATCHLINE_SCREENSHOTS=<folder> keeps screenshots.
const shots = process.env.PATCHLINE_SCREENSHOTS;

describe('console policies in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let rig: ConsoleRig;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let world: World;

  before(async () => {
    rig = await startConsoleRig();
    ({ url, admin, world, browser } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it('an administrator creates a policy with a weekly schedule and sees its next occurrences', async () => {
    const page = await openPage(browser);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);

    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page.getByRole('link', { name: 'New policy' }).click();
    const form = page.locator('main form');
    await form.getByLabel(/^Organization/).click();
    await page.getByRole('option', { name: world.orgA.name, exact: true }).click();
    await form.getByLabel(/^Name/).fill('Patch Tuesday and Thursday');
    // weekly is the default repetition; the builder starts with Tuesday ticked
    await form.getByRole('checkbox', { name: 'Thursday' }).check();
    await form.getByLabel(/^Time \*?$/).fill('21:30');
    await form.getByLabel(/^Time zone/).fill('Europe/Berlin');
    await page.getByRole('option', { name: 'Europe/Berlin', exact: true }).click();
    await page
      .getByTestId('draft-words')
      .filter({ hasText: 'Every Tuesday and Thursday at 21:30' })
      .waitFor();
    // the live occurrences (POST /schedules/convert) before saving
    await page.getByTestId('live-occurrences').locator('li').first().waitFor();
    if (shots) await page.screenshot({ path: `${shots}/policy-form.png`, fullPage: true });
    await form.getByRole('button', { name: 'Create policy' }).click();

    // the policy page lists the occurrences the API computes for the saved policy
    await page.getByTestId('schedule-words').waitFor();
    const list = (await admin.get('/api/v1/policies')).body.items as {
      id: number;
      name: string;
      organizationId: number;
      schedule: { recurrence: unknown; start: string; zone: unknown };
    }[];
    const policy = list.find((p) => p.name === 'Patch Tuesday and Thursday');
    assert.ok(policy, 'the form created the policy');
    assert.equal(policy.organizationId, world.orgA.id);
    assert.deepEqual(policy.schedule.recurrence, { kind: 'weekly', every: 1, days: ['tue', 'thu'] });
    assert.deepEqual(policy.schedule.zone, { kind: 'named', name: 'Europe/Berlin' });
    assert.match(policy.schedule.start, /T21:30$/);
    const occ = (await admin.get(`/api/v1/policies/${policy.id}/occurrences?count=5`)).body
      .occurrences as string[];
    assert.equal(occ.length, 5);
    const items = page.getByTestId('occurrences').locator('li');
    await items.nth(4).waitFor();
    assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-at'))), occ);
    // each shown date is the occurrence in the policy's zone
    const shown = await items.allInnerTexts();
    for (const [i, at] of occ.entries()) {
      const day = new Date(at).toLocaleString('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short' });
      assert.match(day, /^(Tue|Thu)$/);
      assert.ok(shown[i]!.includes('21:30'), shown[i]);
    }
    if (shots) await page.screenshot({ path: `${shots}/policy-page.png`, fullPage: true });

    // disabling it from the page reaches the server
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByTestId('policy-enabled').filter({ hasText: 'disabled' }).waitFor();
    assert.equal((await admin.get(`/api/v1/policies/${policy.id}`)).body.enabled, false);

    // and the list shows it
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page
      .getByTestId('policies-table')
      .locator('tr[data-policy="Patch Tuesday and Thursday"]')
      .waitFor();
    await page.context().close();
  });

  it('a worklet and a required-software policy show in the list and on their page, without edit or preview', async () => {
    const w = await admin.post('/api/v1/policies', {
      organizationId: world.orgA.id,
      kind: 'worklet',
      name: 'Firewall worklet',
      worklet: { scripts: [{ osFamily: 'linux', remediation: { code: 'ufw --force enable' } }] },
    });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    const rs = await admin.post('/api/v1/policies', {
      organizationId: world.orgA.id,
      kind: 'required-software',
      name: 'Curl required',
      requiredSoftware: {
        osFamily: 'linux',
        packageName: 'curl',
        packageVersion: '8.5',
        installation: { code: 'apt-get install -y curl' },
      },
    });
    assert.equal(rs.status, 201, JSON.stringify(rs.body));
    const page = await openPage(browser);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    const table = page.getByTestId('policies-table');
    await table
      .locator('tr[data-policy="Firewall worklet"]')
      .filter({ hasText: 'Worklet (scripts for linux)' })
      .waitFor();
    await table
      .locator('tr[data-policy="Curl required"]')
      .filter({ hasText: 'Required software: curl 8.5' })
      .waitFor();
    await page.getByRole('link', { name: 'Firewall worklet' }).click();
    await page.getByText('Runs: Worklet (scripts for linux)').waitFor();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Edit' }).count(), 0);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('a policy with no target group targets the whole organization, in its time zone', async () => {
    // the organization has its own zone: the form starts with it, not the browser's
    const orgPatch = await admin.patch(`/api/v1/organizations/${world.orgA.id}`, {
      timeZone: 'America/Chicago',
    });
    assert.equal(orgPatch.status, 200, JSON.stringify(orgPatch.body));
    const org = (await admin.get(`/api/v1/organizations/${world.orgA.id}`)).body as { rootGroupId: number };
    const page = await openPage(browser);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page.getByRole('link', { name: 'New policy' }).click();
    const form = page.locator('main form');
    await form.getByLabel(/^Organization/).click();
    await page.getByRole('option', { name: world.orgA.name, exact: true }).click();
    await form.getByLabel(/^Name/).fill('Everything everywhere');
    await page.getByTestId('draft-words').filter({ hasText: 'America/Chicago' }).waitFor();
    await form.getByRole('button', { name: 'Create policy' }).click();
    await page.getByTestId('schedule-words').waitFor();
    const list = (await admin.get('/api/v1/policies?limit=500')).body.items as {
      id: number;
      name: string;
      targets: { groups: number[]; devices: number[] };
      schedule: { zone: unknown };
    }[];
    const policy = list.find((p) => p.name === 'Everything everywhere');
    assert.ok(policy, 'the form created the policy');
    assert.deepEqual(policy.targets.groups, [org.rootGroupId]);
    assert.deepEqual(policy.schedule.zone, { kind: 'named', name: 'America/Chicago' });
    await page.getByTestId('policy-targets').filter({ hasText: 'the whole organization' }).waitFor();
    // every device of the organization is targeted
    const preview = (await admin.get(`/api/v1/policies/${policy.id}/preview`)).body as {
      devices: { deviceId: number }[];
    };
    const ids = preview.devices.map((d) => d.deviceId).sort();
    assert.deepEqual(ids, [world.deviceA.id, world.deviceA2.id].sort());
    await page.context().close();
  });

  it('a policy may target a rollout plan instead of groups', async () => {
    const plan = await admin.post('/api/v1/rollout-plans', {
      organizationId: world.orgA.id,
      name: 'Web first',
      rings: [
        { name: 'web-1', devices: [world.deviceA.id] },
        { name: 'the rest', devices: [world.deviceA2.id] },
      ],
    });
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    const page = await openPage(browser);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page.getByRole('link', { name: 'New policy' }).click();
    const form = page.locator('main form');
    await form.getByLabel(/^Organization/).click();
    await page.getByRole('option', { name: world.orgA.name, exact: true }).click();
    await form.getByLabel(/^Name/).fill('Through the rings');
    await form.getByLabel(/^Rollout plan/).click();
    await page.getByRole('option', { name: 'Web first', exact: true }).click();
    await form.getByRole('button', { name: 'Create policy' }).click();
    await page
      .getByTestId('policy-targets')
      .filter({ hasText: `rollout plan ${plan.body.id}` })
      .waitFor();
    const list = (await admin.get('/api/v1/policies?limit=500')).body.items as {
      name: string;
      targets: { groups: number[]; devices: number[]; rolloutPlan: number | null };
    }[];
    const policy = list.find((p) => p.name === 'Through the rings');
    assert.deepEqual(policy?.targets, {
      groups: [],
      devices: [],
      deviceFilter: null,
      rolloutPlan: plan.body.id,
    });
    await page.context().close();
  });
});
