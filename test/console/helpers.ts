import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildServer } from '../../src/server.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import { buildWorld, type World } from '../support/world.ts';

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

/** a lock directory (mkdir is atomic): two test files starting together do not build at once */
const BUILD_LOCK = join(ROOT, 'web/.build-lock');

/**
 * Builds the console when web/dist is missing or older than its sources (as `npm start` does), one test
 * file at a time: two builds at once empty each other's web/dist, and one of them then finds no page.
 */
export function ensureConsoleBuilt(): void {
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (const started = Date.now(); ;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
      // a lock left by a process killed mid-build is taken over after two minutes
      const held = statSync(BUILD_LOCK, { throwIfNoEntry: false });
      if (!held) continue; // released meanwhile: try again
      if (Date.now() - held.mtimeMs > 120_000 || Date.now() - started > 300_000)
        rmSync(BUILD_LOCK, { recursive: true, force: true });
      else Atomics.wait(wait, 0, 0, 200);
    }
  }
  try {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), '--if-stale'], {
      stdio: 'inherit',
    });
    if (r.status !== 0 || !existsSync(join(DIST, 'index.html')))
      throw new Error('the web console could not be built (node scripts/build-web.mjs)');
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
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

/** axe-core's own bundle, injected into a page to measure it */
export const AXE_SOURCE = join(ROOT, 'node_modules/axe-core/axe.min.js');
/** WCAG 2.1 levels A and AA, as axe-core tags them */
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * runs axe-core on the page once its transitions and finite animations have ended (a dialog measured
 * while it fades in has the colours of half its opacity, and fails contrast); the WCAG 2.1 A/AA
 * violations, each with its elements
 */
export async function axeViolations(page: import('playwright-core').Page): Promise<AxeFinding[]> {
  await page.waitForFunction(() => {
    // the page's DOM (this project's TypeScript has no DOM types in Node code)
    interface Animation {
      playState: string;
      effect: { getComputedTiming(): { iterations?: number } } | null;
    }
    const doc = (globalThis as unknown as { document: { getAnimations(): Animation[] } }).document;
    return doc
      .getAnimations()
      .every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity);
  });
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE_SOURCE });
  return page.evaluate(async (tags) => {
    interface Violation {
      id: string;
      impact?: string | null;
      help: string;
      nodes: { target: unknown; failureSummary?: string }[];
    }
    const g = globalThis as unknown as {
      document: unknown;
      axe: { run: (context: unknown, options: unknown) => Promise<{ violations: Violation[] }> };
    };
    const r = await g.axe.run(g.document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => `${String(n.target)}: ${n.failureSummary ?? ''}`),
    }));
  }, WCAG_21_AA);
}

/** what a console browser test starts with: a fresh embedded store, the whole server, admin, chromium */
export interface ConsoleRig {
  store: Store;
  app: FastifyInstance;
  url: string;
  /** the administrator, through the API */
  admin: Client;
  /** the small world of test/support/world.ts (two organizations, groups, devices), unless asked not to */
  world: World;
  browser: Browser;
  /** closes chromium, the server and the store */
  close(): Promise<void>;
}

/** The setup every console browser test shares (call it from `before`, and `close` from `after`). */
export async function startConsoleRig(o: { world?: boolean } = {}): Promise<ConsoleRig> {
  if (!HAVE_CHROMIUM) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run must install chromium`);
  ensureConsoleBuilt();
  const { store, cleanup } = await freshStore('pglite');
  const { app, url } = await startConsoleServer(store);
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const world = o.world === false ? (undefined as unknown as World) : await buildWorld(admin, store);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    store,
    app,
    url,
    admin,
    world,
    browser,
    close: async () => {
      await browser.close();
      await app.close();
      await cleanup();
    },
  };
}

/** a new page in its own browser context (desktop size unless told), with a default timeout for waits */
export async function openPage(
  browser: Browser,
  o: { width?: number; height?: number; timeout?: number; timezoneId?: string } = {},
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: o.width ?? 1280, height: o.height ?? 900 },
    ...(o.timezoneId ? { timezoneId: o.timezoneId } : {}),
  });
  const page = await context.newPage();
  page.setDefaultTimeout(o.timeout ?? 10_000);
  return page;
}
