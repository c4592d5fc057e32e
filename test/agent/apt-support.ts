// Shared by the apt backend test and the agent's end-to-end test: real .deb packages built with dpkg-deb,
// indexed into a local file repository, for an isolated apt/dpkg root.
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnRunner } from '../../src/agent/backends/runner.ts';

export const APT_TOOLS = ['apt-get', 'apt-cache', 'dpkg', 'dpkg-deb', 'dpkg-query', 'dpkg-scanpackages'];

export async function missingTools(): Promise<string[]> {
  const missing: string[] = [];
  for (const t of APT_TOOLS) {
    const r = await spawnRunner(t, ['--version']);
    if (r.code === 127) missing.push(t);
  }
  return missing;
}

/** the skip reason when the tools are missing outside CI (in CI a missing tool fails the test instead) */
export function aptSkip(missing: string[]): string | false {
  const skip =
    missing.length > 0 && process.env.CI !== 'true'
      ? `SKIPPED: the real apt test needs ${missing.join(', ')} (apt-get install -y dpkg-dev apt)`
      : false;
  if (skip) console.warn(`\n*** ${skip} ***\n`);
  return skip;
}

export async function buildPackage(
  work: string,
  repo: string,
  name: string,
  version: string,
  postinst?: string,
) {
  const dir = join(work, `${name}-${version}`);
  await mkdir(join(dir, 'DEBIAN'), { recursive: true });
  await mkdir(join(dir, 'usr/share', name), { recursive: true });
  await writeFile(join(dir, 'usr/share', name, 'version'), `${name} ${version}\n`);
  await writeFile(
    join(dir, 'DEBIAN/control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: Patchline Tests <tests@patchline.invalid>\n` +
      `Description: Patchline test package\n`,
  );
  if (postinst) {
    await writeFile(join(dir, 'DEBIAN/postinst'), postinst);
    await chmod(join(dir, 'DEBIAN/postinst'), 0o755);
  }
  const r = await spawnRunner('dpkg-deb', [
    '--build',
    '--root-owner-group',
    dir,
    join(repo, `${name}_${version}_all.deb`),
  ]);
  assert.equal(r.code, 0, r.stderr);
}

/** writes the repository's Packages index (dpkg-scanpackages --multiversion) */
export async function indexRepo(repo: string) {
  const idx = await spawnRunner('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: repo });
  assert.equal(idx.code, 0, idx.stderr);
  await writeFile(join(repo, 'Packages'), idx.stdout);
}

// 1.1 of plfail fails to configure until $DPKG_ROOT/etc/plfail.ok exists (the "cause" a person fixes)
export const FAILING_POSTINST = `#!/bin/sh
set -e
[ "$1" = configure ] || exit 0
if [ ! -e "$DPKG_ROOT/etc/plfail.ok" ]; then echo "plfail: refusing to configure" >&2; exit 1; fi
`;
