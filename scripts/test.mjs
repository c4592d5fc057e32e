#!/usr/bin/env node
// Runs every test file under the given folders (default: test/) with node's test runner.
// Node 20 expands no globs and finds no .ts files in a folder, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
function walk(p) {
  if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  else if (p.endsWith('.test.ts')) files.push(p);
}
for (const r of roots.length ? roots : ['test']) walk(r);
if (!files.length) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.PATCHLINE_TEST_CONCURRENCY ?? '2';
// A hang must fail the run, not hold it, and say where it was. Node 20 applies --test-timeout to each test
// file as a whole (each file runs in its own child process, and a timed-out file is reported by its path);
// newer Node applies it to each test. Ten minutes is well above the slowest file (the crash and demo tests
// take a few minutes on a loaded machine); PATCHLINE_TEST_TIMEOUT_MS gives more when a machine needs it.
// --test-force-exit ends a file once its tests are done, even if something it started still holds a handle.
const timeout = process.env.PATCHLINE_TEST_TIMEOUT_MS ?? '600000';
const guards = [`--test-timeout=${timeout}`, '--test-force-exit'].filter(
  (g) => !flags.some((f) => f.startsWith(g.split('=')[0])),
);
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...guards, ...flags, ...files],
  {
    stdio: 'inherit',
    // a request answered without any authorization check fails loudly (faces/shared/authz-backstop.ts)
    env: { ...process.env, PATCHLINE_AUTHZ_BACKSTOP: 'fail' },
  },
);
process.exit(r.status ?? 1);
