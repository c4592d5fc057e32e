#!/usr/bin/env node
// node scripts/build-agent.mjs [--outdir DIR] [--if-stale]: bundles the agent (src/agent/main.ts, the
// `patchline-agent` commands: enroll, run, scan, status, install-service) into one ESM file for Node 20,
// dist/agent/main.js, with its few dependencies inside. The bundle runs with plain `node`: no tsx, no
// esbuild at run time, no node_modules, and it loads only the agent's code, so the agent idles on far
// less memory than the same code run from the TypeScript sources (bench/agent-memory.ts measures both).
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const outdir = resolve(arg('outdir', join(root, 'dist/agent')));
const outfile = join(outdir, 'main.js');

/** the newest modification time under the folders the agent is built from */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (process.argv.includes('--if-stale')) {
  let built = 0;
  try {
    built = statSync(outfile).mtimeMs;
  } catch {
    /* not built yet */
  }
  if (built > newest(join(root, 'src')) && built > statSync(join(root, 'package-lock.json')).mtimeMs) {
    console.log(`${outfile} is up to date`);
    process.exit(0);
  }
}

const started = Date.now();
const result = await build({
  entryPoints: [join(root, 'src/agent/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // the agent's own dependencies (commander, fast-xml-parser) are plain JavaScript: all go inside
  packages: 'bundle',
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  // a CommonJS dependency bundled into ESM may still call require() for Node's built-ins
  banner: {
    js: "import { createRequire as __plCreateRequire } from 'node:module'; const require = __plCreateRequire(import.meta.url);",
  },
});
const inputs = Object.keys(result.metafile.inputs);
const size =
  result.metafile.outputs[Object.keys(result.metafile.outputs).find((o) => o.endsWith('main.js'))].bytes;
const server = inputs.filter((p) =>
  /node_modules\/(fastify|kysely|pg|@electric-sql|pino|prom-client)\//.test(p),
);
if (server.length) {
  console.error(`build-agent: the agent bundle pulls in server code:\n  ${server.slice(0, 10).join('\n  ')}`);
  process.exit(1);
}
console.log(
  `built ${outfile} (${Math.round(size / 1024)} KB from ${inputs.length} files) in ${Date.now() - started} ms`,
);
