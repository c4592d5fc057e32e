import { readFile, realpath, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// The web console: the production build in web/dist served at `/`, with every other browser
// navigation answered by index.html (the console routes on the client). API paths never fall back.

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** paths owned by the server's APIs: an unknown path below them is a 404 problem, never the console */
const API_PREFIXES = ['/api/', '/agent/', '/healthz', '/readyz', '/metrics'];

/** web/dist of this Patchline folder, where `npm run build:web` puts the console */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export interface ConsoleOptions {
  /** the folder of the console's production build (web/dist) */
  distDir: string;
}

export function missingBuildPage(distDir: string): string {
  const esc = distDir.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Patchline: console not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1b1e}
code{background:#f1f3f5;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The web console has not been built</h1>
<p>This server is running and its API answers at <a href="/api/v1/docs">/api/v1/docs</a>, but the console's
files are missing from <code>${esc}</code>.</p>
<p>Build them once from the Patchline folder, then reload this page:</p>
<pre><code>npm run build:web</code></pre>
<p><code>npm start</code> builds the console by itself when its files are missing or older than its sources;
the build needs the development dependencies (<code>npm ci</code>, not <code>npm ci --omit=dev</code>).</p>
</body></html>`;
}

/** Serves the console's build at `/` with a fallback to index.html for the console's own routes. */
export function consoleRoutes(app: FastifyInstance, { distDir }: ConsoleOptions): void {
  const root = resolve(distDir);

  const sendIndex = async (reply: FastifyReply) => {
    const index = join(root, 'index.html');
    if (!existsSync(index))
      return reply.status(503).type('text/html; charset=utf-8').send(missingBuildPage(root));
    return reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(await readFile(index));
  };

  /** a file below root, or undefined (missing, a folder, or outside root after resolving links) */
  const fileOf = async (urlPath: string): Promise<string | undefined> => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0')) return undefined;
    const candidate = resolve(root, `.${decoded}`);
    if (candidate !== root && !candidate.startsWith(root + sep)) return undefined;
    try {
      const real = await realpath(candidate);
      const realRoot = await realpath(root);
      if (!real.startsWith(realRoot + sep)) return undefined;
      return (await stat(real)).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (API_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p)))
      return reply.callNotFound();
    if (path !== '/' && path !== '/index.html') {
      const file = await fileOf(path);
      if (file) {
        const immutable = path.startsWith('/assets/');
        return reply
          .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .type(TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
          .send(await readFile(file));
      }
      // a missing asset or a request that is not a page navigation: a plain 404
      const wantsHtml = (req.headers.accept ?? '').includes('text/html');
      if (path.startsWith('/assets/') || extname(path) !== '' || !wantsHtml) return reply.callNotFound();
    }
    return sendIndex(reply);
  };

  const opts = { config: { public: true, scope: 'public' as const }, schema: { hide: true } };
  app.get('/', opts, handler);
  app.get('/*', opts, handler);
}
