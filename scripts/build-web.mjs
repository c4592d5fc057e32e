#!/usr/bin/env node
// Builds the web console (web/ → web/dist) with Vite.
//   node scripts/build-web.mjs             build now
//   node scripts/build-web.mjs --if-stale  build only when web/dist is missing or older than the sources
//                                          (run by `npm start`; never fails the start: the server then
//                                          shows a page that says how to build)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const ifStale = process.argv.includes('--if-stale');

function newest(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let m = 0;
  for (const e of readdirSync(p)) m = Math.max(m, newest(join(p, e)));
  return m;
}

function stale() {
  const built = join(web, 'dist', 'index.html');
  if (!existsSync(built)) return 'web/dist is missing';
  const sources = Math.max(
    newest(join(web, 'src')),
    newest(join(web, 'index.html')),
    newest(join(web, 'public')),
    newest(join(web, 'vite.config.ts')),
    newest(join(root, 'package-lock.json')),
  );
  return sources > statSync(built).mtimeMs ? 'the console sources changed since the last build' : undefined;
}

const reason = ifStale ? stale() : 'asked to build';
if (!reason) process.exit(0);

let build;
try {
  const require = createRequire(join(root, 'package.json'));
  ({ build } = await import(require.resolve('vite')));
} catch {
  const msg =
    'the web console cannot be built: Vite is not installed (run `npm ci` with the development dependencies)';
  if (ifStale) {
    console.error(`patchline: ${msg}; the server will show how to build it`);
    process.exit(0);
  }
  console.error(`patchline: ${msg}`);
  process.exit(1);
}

const started = Date.now();
console.error(`patchline: building the web console (${reason})…`);
try {
  await build({ configFile: join(web, 'vite.config.ts'), logLevel: 'warn' });
} catch (e) {
  console.error(`patchline: the web console build failed: ${e instanceof Error ? e.message : e}`);
  process.exit(ifStale && existsSync(join(web, 'dist', 'index.html')) ? 0 : 1);
}
console.error(
  `patchline: web console built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
