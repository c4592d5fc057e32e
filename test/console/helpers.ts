import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD } from '../support/api.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(ROOT, 'web/dist');
export const CHROMIUM = process.env.PATCHLINE_CHROMIUM ?? '/usr/bin/chromium';
/** the flags measured in STACK.md: no background traffic to a closed network, no sandbox as root */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** builds the console when web/dist is missing or older than its sources (as `npm start` does) */
export function ensureConsoleBuilt(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), '--if-stale'], {
    stdio: 'inherit',
  });
  if (r.status !== 0 || !existsSync(join(DIST, 'index.html')))
    throw new Error('the web console could not be built (node scripts/build-web.mjs)');
}

/** the whole server (buildServer serves the console from web/dist), listening on a free loopback port */
export async function startConsoleServer(store: Store): Promise<{ app: FastifyInstance; url: string }> {
  await bootstrap(store, ADMIN_PASSWORD);
  const app = await buildServer({
    config: { logLevel: 'silent', bodyLimit: 1024 * 1024 },
    store,
    logger: false,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the server has no TCP address');
  return { app, url: `http://127.0.0.1:${address.port}` };
}

/** Debian's chromium is there, or the suite is skipped with a warning (and fails under CI=true) */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_WITHOUT_CHROMIUM =
  !HAVE_CHROMIUM && process.env.CI !== 'true' ? `${CHROMIUM} missing` : false;

/** signs in through the sign-in page and waits for the console */
export async function signInPage(
  page: import('playwright-core').Page,
  url: string,
  username: string,
  password: string,
) {
  await page.goto(`${url}/`);
  await page.getByLabel('User name').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
