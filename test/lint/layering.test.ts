import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
// @ts-expect-error: a plain JavaScript module without types
import patchline from '../../eslint/layering.js';

// The layering rules of eslint/layering.js: they bite on an upward import and on a query built outside the
// store, and the tree as it stands obeys them (CI runs this test; `npm run lint` runs the same rules).
const root = join(import.meta.dirname, '../..');
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    { linterOptions: { reportUnusedDisableDirectives: 'off' } },
    {
      files: ['**/*.ts', '**/*.tsx'],
      languageOptions: { parser: tseslint.parser },
      plugins: { patchline },
      rules: { 'patchline/layering': 'error', 'patchline/no-queries': 'error' },
    },
  ],
});

async function messages(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: join(root, file) });
  return r!.messages.map((m) => m.message);
}

describe('layering lint rules', { timeout: 120_000 }, () => {
  const upward: [string, string, RegExp][] = [
    ['src/core/x.ts', "import { a } from '../store/db.ts';", /core may not import store/],
    [
      'src/store/repos/x.ts',
      "import { a } from '../../services/devices.ts';",
      /store may not import services/,
    ],
    ['src/services/x.ts', "import { a } from '../faces/native/schemas.ts';", /services may not import faces/],
    ['src/services/x.ts', "import { sql } from 'kysely';", /'kysely' speaks SQL/],
    [
      'src/faces/native/x.ts',
      "import { listDevices } from '../../store/repos/devices.ts';",
      /faces may not import store/,
    ],
    ['src/faces/native/x.ts', "import { a } from '../../engine/engine.ts';", /faces may not import engine/],
    ['src/agent/x.ts', "import { a } from '../services/agents.ts';", /agent may not import services/],
    ['src/agent/x.ts', "import { a } from '../cli/agent.ts';", /agent may not import cli/],
    ['src/services/x.ts', "import { a } from '../cli/main.ts';", /services may not import cli/],
    ['web/src/x.ts', "import { a } from '../../src/services/devices.ts';", /web may not import services/],
  ];
  for (const [file, code, expected] of upward)
    it(`refuses in ${file}: ${code}`, async () => {
      const m = await messages(file, code);
      assert.ok(
        m.some((x) => expected.test(x)),
        `expected ${expected} in ${JSON.stringify(m)}`,
      );
    });

  it('allows imports down the layers, and types where the table says so', async () => {
    assert.deepEqual(
      await messages('src/services/x.ts', "import { a } from '../store/repos/devices.ts';"),
      [],
    );
    assert.deepEqual(
      await messages('src/faces/native/x.ts', "import type { Store } from '../../store/db.ts';"),
      [],
    );
    assert.deepEqual(await messages('src/agent/x.ts', "import { a } from '../core/status.ts';"), []);
  });

  it('refuses a query built in a service or a face, and a face touching the handle', async () => {
    const svc = await messages(
      'src/services/x.ts',
      "export const f = (db: any) => db.selectFrom('devices');",
    );
    assert.ok(
      svc.some((x) => /selectFrom: queries live in src\/store/.test(x)),
      JSON.stringify(svc),
    );
    const face = await messages('src/faces/kaseya/x.ts', 'export const f = (ctx: any) => ctx.db;');
    assert.ok(
      face.some((x) => /faces never touch the database handle/.test(x)),
      JSON.stringify(face),
    );
  });

  it('the tree obeys them', async () => {
    const results = await eslint.lintFiles(['src/**/*.ts', 'web/src/**/*.{ts,tsx}']);
    const found = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line} ${m.message}`),
    );
    assert.deepEqual(found, []);
  });
});
