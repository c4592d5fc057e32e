// npm run bench -- NAME [args]: runs bench/NAME.ts, whose last output line is one JSON object.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));
const name = process.argv[2];
if (!name || name === '--help' || !available.includes(name)) {
  console.error(
    `usage: npm run bench -- NAME\navailable benchmarks: ${available.join(', ') || '(none yet)'}`,
  );
  process.exit(name && name !== '--help' ? 2 : 0);
}
process.argv.splice(2, 1);
await import(pathToFileURL(join(here, `${name}.ts`)).href);
