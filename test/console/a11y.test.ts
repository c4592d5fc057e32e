import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import { buildWorld, type World } from '../support/world.ts';
import {
  axeViolations,
  CHROMIUM,
  CHROMIUM_ARGS,
  ensureConsoleBuilt,
  HAVE_CHROMIUM,
  SKIP_WITHOUT_CHROMIUM,
  startConsoleServer,
} from './helpers.ts';

// Accessibility in Debian's chromium: axe-core (WCAG 2.1 A and AA) on every console page and on its
// dialogs, at desktop and phone sizes; a title per page; focus on the page heading after navigation and
// back where it was after a dialog; the route announced by its page name; the keyboard alone from
// sign-in to approving an update.
/** GravityZone's scheduler: every day of the week, 01:00-05:00 */
const nightly = {
  format: 'gravityzone-scheduler',
  value: {
    recurrence: 3,
    startDate: 1767225600,
    between: { startHour: 1, startMinute: 0, endHour: 5, endMinute: 0 },
    weeklyRecurrence: { every: 1, days: [0, 1, 2, 3, 4, 5, 6] },
  },
};

describe('console accessibility in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let world: World;
  let policyId: number;
  let instanceId: number;

  before(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run must install chromium`);
    ensureConsoleBuilt();
    ({ store, cleanup } = await freshStore('pglite'));
    ({ app, url } = await startConsoleServer(store));
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, store);
    const p = await admin.post('/api/v1/policies', {
      organizationId: world.orgA.id,
      name: 'Weekly',
      rule: { kind: 'all' },
      targets: { groups: [world.groupA.id] },
      schedule: {
        recurrence: { kind: 'weekly', every: 1, days: ['tue'] },
        start: '2026-01-06T22:00',
        zone: { kind: 'named', name: 'Europe/Berlin' },
      },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    policyId = p.body.id;
    const w = await admin.post('/api/v1/maintenance-windows', {
      organizationId: world.orgA.id,
      name: 'Nights',
      settings: {
        scan: { enabled: true, scheduleFormat: 'current', sameScheduleForAll: true, schedule: nightly },
        install: {
          enabled: true,
          security: { enabled: true },
          nonSecurity: { enabled: false },
          manuallyApproved: { enabled: false },
          rebootPostponement: { mode: 'user-may-postpone' },
        },
      },
    });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    const t = await admin.post('/api/v1/tasks', {
      organizationId: world.orgA.id,
      kind: 'scan',
      name: 'scan',
    });
    instanceId = (await admin.post(`/api/v1/tasks/${t.body.id}/run`)).body.id;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await cleanup?.();
  });

  const report = (where: string, v: Awaited<ReturnType<typeof axeViolations>>) =>
    `${where}: ${v.length} violation(s)\n${v.map((x) => `  ${x.id} (${x.impact}): ${x.help}\n    ${x.targets.join('\n    ')}`).join('\n')}`;

  async function signInWith(page: Page) {
    await page.goto(`${url}/`);
    await page.getByLabel('User name').fill('admin');
    await page.locator('input[name="password"]').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  /** every page of the console, by the heading it shows */
  const pages = () => [
    { path: '/', heading: 'Dashboard', wait: 'stat-devices' },
    { path: '/devices', heading: 'Devices' },
    { path: `/devices/${world.deviceA.id}`, heading: world.deviceA.name, wait: 'updates-table' },
    { path: '/policies', heading: 'Policies' },
    { path: '/policies/new', heading: 'New policy' },
    { path: `/policies/${policyId}`, heading: 'Weekly' },
    { path: '/maintenance-windows', heading: 'Maintenance windows' },
    { path: '/tasks', heading: 'Tasks' },
    { path: '/alerts', heading: 'Alerts' },
    { path: `/tasks/instances/${instanceId}`, heading: `Task instance #${instanceId}` },
    { path: '/catalog', heading: 'Catalog' },
    { path: '/enrollment', heading: 'Enroll devices' },
    { path: '/admin/organizations', heading: 'Organizations' },
    { path: '/admin/groups', heading: 'Groups' },
    { path: '/admin/users', heading: 'Users' },
    { path: '/admin/roles', heading: 'Roles' },
    { path: '/admin/scopes', heading: 'Scopes' },
    { path: '/admin/api-keys', heading: 'API keys' },
    { path: '/admin/events', heading: 'Event log' },
    { path: '/nowhere', heading: 'Page not found' },
  ];

  for (const size of [
    { name: 'desktop', width: 1280, height: 900 },
    { name: 'phone', width: 390, height: 844 },
  ].filter((s) => !process.env.PATCHLINE_A11Y_SIZE || s.name === process.env.PATCHLINE_A11Y_SIZE))
    it(`every page passes axe-core WCAG 2.1 AA and has its own title (${size.name})`, async () => {
      const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${url}/`);
      await page.getByLabel('User name').waitFor();
      const failures: string[] = [];
      const signInFound = await axeViolations(page);
      if (signInFound.length) failures.push(report('sign-in', signInFound));
      assert.equal(await page.title(), 'Sign in · Patchline');
      await signInWith(page);
      for (const p of pages()) {
        await page.goto(`${url}${p.path}`);
        const h1 = page.getByRole('heading', { level: 1 });
        await h1.filter({ hasText: p.heading }).first().waitFor();
        if (p.wait) await page.getByTestId(p.wait).first().waitFor();
        await page.waitForFunction(
          () =>
            !(
              globalThis as unknown as { document: { body: { innerText: string } } }
            ).document.body.innerText.includes('Loading '),
          null,
          {
            timeout: 15_000,
          },
        );
        const found = await axeViolations(page);
        if (found.length) failures.push(report(p.path, found));
        const title = await page.title();
        assert.ok(
          title.endsWith(' · Patchline') && title.includes(p.heading.split(':')[0]!),
          `${p.path}: ${title}`,
        );
      }
      // the dialogs: a new user, a role, a new install token
      for (const [path, button] of [
        ['/admin/users', 'New user'],
        ['/admin/roles', 'View Operator'],
        ['/enrollment', 'New install token'],
      ] as const) {
        await page.goto(`${url}${path}`);
        await page.getByRole('button', { name: button }).click();
        await page.getByRole('dialog').waitFor();
        const found = await axeViolations(page);
        if (found.length) failures.push(report(`${path} dialog`, found));
        await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
        await page.getByRole('dialog').waitFor({ state: 'detached' });
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      await context.close();
    });

  /** the text of the focused element and what it is */
  const focused = (page: Page) =>
    page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: Record<string, unknown> | null } })
        .document.activeElement as unknown as {
        tagName: string;
        textContent: string | null;
        getAttribute: (n: string) => string | null;
      } | null;
      return el
        ? { tag: el.tagName, text: (el.textContent ?? '').trim(), label: el.getAttribute('aria-label') ?? '' }
        : null;
    });

  /** presses Tab until the focused element matches, at most `max` times */
  async function tabTo(
    page: Page,
    match: (f: { tag: string; text: string; label: string }) => boolean,
    max = 80,
    key = 'Tab',
  ) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press(key);
      const f = await focused(page);
      if (f && match(f)) return;
    }
    throw new Error(`${key} never reached the element; last: ${JSON.stringify(await focused(page))}`);
  }

  it('the keyboard alone: sign in, open a device, approve an update; focus and announcements follow', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${url}/`);
    await page.getByLabel('User name').waitFor();
    // the user name field has the focus when the page opens
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as {
            document: { activeElement: { getAttribute: (n: string) => string } | null };
          }
        ).document.activeElement?.getAttribute('autocomplete') === 'username',
    );
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    // the show-password toggle is the next stop, and it works from the keyboard
    await page.keyboard.press('Tab');
    assert.equal((await focused(page))?.label, 'Show or hide the password');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('input[name="password"]').getAttribute('type'), 'text');
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Sign in', 5);
    await page.keyboard.press('Enter');
    // signed in: the focus is on the page heading, the page is named and announced
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await page.waitForFunction(
      () =>
        ((globalThis as unknown as { document: { activeElement: { tagName: string } | null } }).document
          .activeElement?.tagName ?? '') === 'H1',
    );
    assert.equal(await page.title(), 'Dashboard · Patchline');
    assert.equal(await page.getByTestId('route-announcer').innerText(), 'Dashboard');

    await tabTo(page, (f) => f.tag === 'A' && f.text === 'Devices');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    await page.waitForFunction(() =>
      (
        (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document
          .activeElement?.textContent ?? ''
      ).startsWith('Devices'),
    );
    assert.equal(await page.getByTestId('route-announcer').innerText(), 'Devices');
    await tabTo(page, (f) => f.tag === 'A' && f.text === world.deviceA.name, 120);
    await page.keyboard.press('Enter');
    await page.getByTestId('updates-table').waitFor();
    assert.equal((await focused(page))?.tag, 'H1');
    assert.equal(await page.title(), `${world.deviceA.name} · Patchline`);
    await tabTo(page, (f) => f.tag === 'INPUT' && f.label === 'Select tzdata', 120);
    await page.keyboard.press('Space');
    // the actions sit above the list: back with Shift+Tab
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text.startsWith('Approve'), 40, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByText('Approve: done').waitFor();
    const tz = (await admin.get(`/api/v1/devices/${world.deviceA.id}/updates?limit=50`)).body.items.find(
      (u: { name: string }) => u.name === 'tzdata',
    );
    assert.equal(tz.approval?.action, 'approve');
    // after the action the focus is not lost to the page body
    assert.notEqual((await focused(page))?.tag, 'BODY');

    // a dialog gives the focus back to the button that opened it
    await page.goto(`${url}/admin/users`);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'New user');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.waitForFunction(
      () =>
        ((globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document
          .activeElement?.textContent ?? '') === 'New user',
    );
    await context.close();
  });

  it('the menu button says whether the navigation is open (phone)', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signInWith(page);
    const menu = page.getByRole('button', { name: 'Navigation' });
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    await page.getByRole('link', { name: 'Tasks', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Tasks' }).waitFor();
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    await context.close();
  });
});
