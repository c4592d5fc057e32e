import type { Page } from 'playwright-core';

// When a console page shows its first data, measured in the browser: the timing test prints these figures
// and bench/console-timing.ts holds them to the budget. One round of pages, written once for both.

/** waits (every frame) until `ready` holds in the page; returns performance.now() at that frame */
export async function readyAt(page: Page, ready: string, timeout: number): Promise<number> {
  const h = await page.waitForFunction(`(() => { ${ready} })() ? performance.now() : false`, undefined, {
    polling: 'raf',
    timeout,
  });
  return (await h.jsonValue()) as number;
}

export const DASHBOARD_FIRST = `const s = document.querySelector('[data-testid="stat-devices"]'); return !!s && /\\d/.test(s.textContent);`;
export const DASHBOARD_CHARTS = `return !!document.querySelector('[data-testid="chart-fully-patched"]') && !!document.querySelector('[data-testid="chart-severity"]');`;
export const DEVICES_FIRST = `return document.querySelectorAll('[data-testid="devices-table"] tbody tr').length > 0;`;
export const DEVICE_FIRST = `return document.querySelectorAll('[data-testid="updates-table"] tbody tr').length > 0 || !!document.querySelector('[data-testid="empty"]');`;

/**
 * One round: the dashboard (and its charts) loaded, a click to Devices, the devices page and a device's
 * page loaded, a click back to the dashboard; `note` gets each figure in ms. `onDashboard` runs once the
 * loaded dashboard shows its first data.
 */
export async function firstDataRound(
  page: Page,
  opts: {
    url: string;
    deviceId: number;
    timeout: number;
    note: (what: string, ms: number) => void;
    onDashboard?: () => Promise<void>;
  },
): Promise<void> {
  const { url, deviceId, timeout, note } = opts;
  const at = (ready: string) => readyAt(page, ready, timeout);
  // a full load of each page (the browser caches the console's files after the first)
  await page.goto(`${url}/`);
  note('dashboard (load)', await at(DASHBOARD_FIRST));
  note('dashboard charts (load)', await at(DASHBOARD_CHARTS));
  await opts.onDashboard?.();

  // in the console: from the click on Devices to the first rows
  const clicked = (await page.evaluate('performance.now()')) as number;
  await page.getByRole('link', { name: 'Devices', exact: true }).click();
  note('devices (from the click)', (await at(DEVICES_FIRST)) - clicked);

  await page.goto(`${url}/devices`);
  note('devices (load)', await at(DEVICES_FIRST));

  await page.goto(`${url}/devices/${deviceId}`);
  note('device page (load)', await at(DEVICE_FIRST));

  const back = (await page.evaluate('performance.now()')) as number;
  await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
  note('dashboard (from the click)', (await at(DASHBOARD_FIRST)) - back);
}
