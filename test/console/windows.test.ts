import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { ADMIN_PASSWORD, type Client } from '../support/api.ts';
import type { World } from '../support/world.ts';
import { type ConsoleRig, openPage, signInPage, SKIP_WITHOUT_CHROMIUM, startConsoleRig } from './helpers.ts';

// The maintenance window editor and the calendar of the coming weeks, in Debian's chromium:
// a weekly window made in the browser, listed, and its occurrences on the days the API computes.
const shots = process.env.PATCHLINE_SCREENSHOTS;

describe('console maintenance windows in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let rig: ConsoleRig;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let world: World;

  before(async () => {
    rig = await startConsoleRig();
    ({ url, admin, world, browser } = rig);
    const tz = await admin.patch(`/api/v1/organizations/${world.orgA.id}`, { timeZone: 'America/New_York' });
    assert.equal(tz.status, 200);
  });
  after(async () => {
    await rig?.close();
  });

  it('an administrator creates a weekly window, sees it listed and its occurrences in the calendar', async () => {
    const page = await openPage(browser, { timezoneId: 'Asia/Tokyo' });
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Maintenance windows' }).click();
    await page.getByText('No maintenance windows yet').waitFor();

    await page.getByRole('button', { name: 'New window' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Organization/).click();
    await page.getByRole('option', { name: world.orgA.name, exact: true }).click();
    await dialog.getByLabel(/^Name/).fill('Thursday nights');
    // Tuesday is ticked to begin with: make it Thursday only, 02:00 to 04:00
    await dialog.getByRole('checkbox', { name: 'Tuesday' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'Thursday' }).check();
    await dialog.getByLabel(/^From/).click();
    await page.getByRole('option', { name: '02:00', exact: true }).click();
    await dialog.getByLabel('Until (hour)').fill('4');
    if (shots) await page.screenshot({ path: `${shots}/window-editor.png` });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    // listed, with its schedule in words
    const row = page.getByTestId('windows-table').locator('tr', { hasText: 'Thursday nights' });
    await row.waitFor();
    assert.match(await row.innerText(), /Thursday 02:00–04:00/);

    // the calendar shows exactly the occurrences the API computes, on their day in the organization's zone
    const list = (await admin.get('/api/v1/maintenance-windows')).body.items as {
      id: number;
      name: string;
    }[];
    const win = list.find((w) => w.name === 'Thursday nights');
    assert.ok(win, 'the editor created the window');
    const occ = (await admin.get(`/api/v1/maintenance-windows/${win.id}/occurrences?days=35`)).body as {
      zone: string;
      occurrences: { start: string; end: string }[];
    };
    assert.equal(occ.zone, 'America/New_York');
    const calendar = page.getByTestId('window-calendar');
    const items = calendar.locator('td [data-window="Thursday nights"]');
    await items.first().waitFor();
    const shown = await items.evaluateAll((els) =>
      els.map((e) => ({
        start: e.getAttribute('data-start'),
        date: e.closest('td')?.getAttribute('data-date'),
        text: e.textContent,
      })),
    );
    const cells = await calendar
      .locator('td[data-date]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-date')!));
    assert.equal(cells.length, 28, 'four weeks of days');
    const inGrid = occ.occurrences.filter((o) => {
      const day = new Date(o.start).toLocaleDateString('en-CA', { timeZone: occ.zone });
      return day >= cells[0]! && day <= cells.at(-1)!;
    });
    assert.ok(inGrid.length >= 3, `at least three Thursdays ahead: ${JSON.stringify(inGrid)}`);
    assert.deepEqual(
      shown.map((s) => s.start),
      inGrid.map((o) => o.start),
    );
    for (const s of shown) {
      const local = new Date(s.start!);
      assert.equal(s.date, local.toLocaleDateString('en-CA', { timeZone: 'America/New_York' }));
      assert.equal(
        local.toLocaleDateString('en-GB', { timeZone: 'America/New_York', weekday: 'long' }),
        'Thursday',
      );
      assert.match(s.text!, /^02:00–04:00 Thursday nights/);
    }
    // and the window's own list of its occurrences in the coming four weeks
    const listed = page.getByTestId('window-occurrences').locator('li');
    await listed.first().waitFor();
    const fourWeeks = (await admin.get(`/api/v1/maintenance-windows/${win.id}/occurrences?days=28`)).body
      .occurrences as { start: string }[];
    assert.deepEqual(
      await listed.evaluateAll((els) => els.map((e) => e.getAttribute('data-at'))),
      fourWeeks.slice(0, 10).map((o) => o.start),
    );
    if (shots) await page.screenshot({ path: `${shots}/window-calendar.png`, fullPage: true });

    // on a phone the calendar becomes a list of the coming days
    await page.setViewportSize({ width: 390, height: 844 });
    const agenda = page.getByTestId('window-agenda');
    await agenda.locator('[data-window="Thursday nights"]').first().waitFor();
    assert.ok(await agenda.isVisible());
    assert.equal(await calendar.locator('table').isVisible(), false, 'no seven-column grid on a phone');
    await page.context().close();
  });
});
