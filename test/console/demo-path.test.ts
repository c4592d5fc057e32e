import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { createEngine } from '../../src/engine/engine.ts';
import { buildDemo } from '../../src/services/demo.ts';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  ensureConsoleBuilt,
  HAVE_CHROMIUM,
  signInPage,
  SKIP_WITHOUT_CHROMIUM,
  startConsoleServer,
} from './helpers.ts';

// The README's demo path in Debian's chromium, as a new user walks it: the demo data (a small one), sign
// in, choose an organization (every tile counts that organization only), create a policy with no target
// group (it targets the whole organization, in its time zone), open a maintenance window that includes
// now (it is listed, open now), install now on a device and find the instance in the tasks history.
describe('the README demo path in chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let admin: Client;
  let engine: ReturnType<typeof createEngine>;

  before(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run must install chromium`);
    ensureConsoleBuilt();
    ({ store, cleanup } = await freshStore('pglite'));
    ({ app, url } = await startConsoleServer(store));
    engine = createEngine({ store, owner: 'demo-path' });
    await buildDemo(store, {
      devices: 24,
      operatorPassword: 'olivia-password',
      runEngine: () => engine.tick(),
    });
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await engine?.stop();
    await browser?.close();
    await app?.close();
    await cleanup?.();
  });

  it('demo, sign in, one organization, a policy, a window open now, install now, the tasks history', async () => {
    const orgs = (await admin.get('/api/v1/organizations?limit=50&sort=name')).body.items as {
      id: number;
      name: string;
      rootGroupId: number;
      timeZone: string | null;
    }[];
    assert.ok(orgs.length > 1, 'the demo makes several organizations');
    const org = orgs.find((o) => o.timeZone) ?? orgs[0]!;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await signInPage(page, url, 'admin', ADMIN_PASSWORD);

    // the organization switcher: every tile counts that organization only
    await page.getByTestId('org-switcher').click();
    await page.getByRole('option', { name: org.name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Dashboard: ${org.name}` }).waitFor();
    const status = (await admin.get(`/api/v1/status?organizationId=${org.id}`)).body;
    const all = (await admin.get('/api/v1/status')).body;
    assert.ok(all.devices > status.devices, 'the organization has fewer devices than the fleet');
    const compliance = (await admin.get(`/api/v1/compliance?organizationId=${org.id}`)).body;
    const tiles: [string, number][] = [
      ['stat-organizations', 1],
      ['stat-devices', status.devices],
      ['stat-missing-updates', status.missingUpdates],
      ['stat-failed-installs', compliance.updates.totals.failed],
      ['stat-waiting-for-a-reboot', compliance.devices.needingReboot],
      ['stat-not-seen-recently', compliance.devices.notSeenRecently],
    ];
    for (const [id, expected] of tiles)
      await page
        .getByTestId(id)
        .filter({ hasText: new RegExp(`^${expected}$`) })
        .waitFor();
    // the latest activity is in time order, the newest first
    const times = await page
      .locator('time[data-event-at]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-event-at')!));
    assert.ok(times.length > 1, 'the dashboard shows the latest activity');
    assert.deepEqual(times, [...times].sort().reverse());

    // a policy with no target group: the whole organization, in its time zone
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page.getByRole('link', { name: 'New policy' }).click();
    const form = page.locator('main form');
    await form.getByLabel(/^Name/).fill('Everything, Tuesdays');
    await page.getByTestId('draft-words').waitFor();
    await form.getByRole('button', { name: 'Create policy' }).click();
    await page.getByTestId('schedule-words').waitFor();
    const policies = (await admin.get(`/api/v1/policies?organizationId=${org.id}&limit=500`)).body.items as {
      name: string;
      targets: { groups: number[] };
      schedule: { zone: unknown };
    }[];
    const policy = policies.find((p) => p.name === 'Everything, Tuesdays');
    assert.ok(policy, 'the form created the policy in the chosen organization');
    assert.deepEqual(policy.targets.groups, [org.rootGroupId]);
    assert.deepEqual(
      policy.schedule.zone,
      org.timeZone ? { kind: 'named', name: org.timeZone } : { kind: 'server' },
    );
    await page.getByTestId('policy-targets').filter({ hasText: 'the whole organization' }).waitFor();

    // a maintenance window from this hour to two hours on, today: listed, open now
    const zone = org.timeZone ?? 'UTC';
    const now = new Date();
    const hour = Number(now.toLocaleString('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }));
    const weekday = now.toLocaleDateString('en-GB', { timeZone: zone, weekday: 'long' });
    await page.getByRole('link', { name: 'Maintenance windows' }).click();
    await page.getByRole('button', { name: 'New window' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Name/).fill('Right now');
    if (weekday !== 'Tuesday') {
      await dialog.getByRole('checkbox', { name: weekday }).check();
      await dialog.getByRole('checkbox', { name: 'Tuesday' }).uncheck();
    }
    await dialog.getByLabel(/^From/).click();
    await page.getByRole('option', { name: `${String(hour).padStart(2, '0')}:00`, exact: true }).click();
    await dialog.getByLabel('Until (hour)').fill(String((hour + 2) % 24));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByTestId('windows-table').locator('tr', { hasText: 'Right now' });
    await row.getByRole('button', { name: 'Occurrences' }).click();
    const first = page.getByTestId('window-occurrences').locator('li').first();
    await first.getByTestId('open-now').waitFor();
    const at = new Date((await first.getAttribute('data-at'))!);
    assert.ok(at <= new Date(), 'the first occurrence listed is the one open now');
    await page
      .getByTestId('window-calendar')
      .locator(`td [data-window="Right now"][data-start="${at.toISOString()}"]`)
      .waitFor();

    // install now on a device of the organization, then the instance in the tasks history
    const devices = (await admin.get(`/api/v1/devices?organizationId=${org.id}&limit=100`)).body.items as {
      id: number;
      name: string;
    }[];
    let target: { id: number; name: string; update: string } | undefined;
    for (const d of devices) {
      const ups = (await admin.get(`/api/v1/devices/${d.id}/updates?status=missing&limit=1`)).body.items;
      if (ups.length) {
        target = { ...d, update: ups[0].name };
        break;
      }
    }
    assert.ok(target, 'a device of the organization misses an update');
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('link', { name: target.name, exact: true }).click();
    await page.getByTestId('updates-table').waitFor();
    await page
      .getByRole('checkbox', { name: `Select ${target.update}` })
      .first()
      .check();
    await page.getByRole('button', { name: /^Install now \(1\)/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Install now' }).click();
    const result = page.getByTestId('device-action-result');
    await result.filter({ hasText: 'Install requested' }).waitFor();
    const instanceId = Number(await result.getAttribute('data-instance'));
    await engine.tick();
    await page.getByRole('link', { name: 'Tasks', exact: true }).click();
    const finished = page.getByTestId('finished-table').locator(`tr[data-instance="${instanceId}"]`);
    const running = page.getByTestId('instances-table').locator(`tr[data-instance="${instanceId}"]`);
    await finished.or(running).first().waitFor();
    await page
      .getByRole('link', { name: `#${instanceId}` })
      .first()
      .click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`Task instance #${instanceId}`) }).waitFor();
    await page.getByTestId('instance-devices').getByRole('link', { name: target.name }).waitFor();
    await context.close();
  });
});
