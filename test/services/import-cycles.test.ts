import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Modules that import each other at run time load in an order that depends on who is imported first,
// and half-initialized bindings follow. services/tasks.ts and services/policies.ts once did (distribute
// tasks create policies; policies used a schedule helper of tasks): no module of src/ may be part of an
// import cycle. Type-only imports are erased and do not count.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** the relative modules a file imports or re-exports at run time */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'(\.[^']+)'/gms)) {
    if (m[2]) continue; // import type / export type
    const names = m[3] ?? '';
    // `import { type A, type B }` is erased too
    const list = /^\{([^}]*)\}$/.exec(names.trim())?.[1];
    if (list && list.split(',').every((n) => !n.trim() || n.trim().startsWith('type '))) continue;
    out.push(resolve(dirname(file), m[4]!));
  }
  for (const m of text.matchAll(/^import\s+'(\.[^']+)'/gm)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

test('no import cycles in src/', () => {
  const graph = new Map(sources(root).map((f) => [f, runtimeImports(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, stack: string[]) => {
    state.set(f, 'open');
    for (const d of graph.get(f) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(root, x)).join(' → '));
      } else if (!state.has(d)) visit(d, [...stack, d]);
    }
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f, [f]);
  assert.deepEqual(cycles, []);
  // the check sees the imports it guards
  const tasks = runtimeImports(join(root, 'services/tasks.ts')).map((x) => relative(root, x));
  assert.ok(tasks.includes('services/policies.ts'), 'services/tasks.ts imports services/policies.ts');
});
