// An isolated apt/dpkg root: apt and dpkg run against ROOT's package database and caches, never the host's.
// Used by the end-to-end tests and by anyone trying the agent without touching a real machine.
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

export interface AptRoot {
  /** absolute path of the root */
  readonly root: string;
  /** the file to pass as APT_CONFIG */
  readonly aptConfigFile: string;
  /** dpkg's database: ROOT/var/lib/dpkg */
  readonly admindir: string;
}

/** Paths of an existing isolated root made by `createAptRoot`. */
export function aptRootAt(root: string): AptRoot {
  return { root, aptConfigFile: join(root, 'etc/apt/apt-config'), admindir: join(root, 'var/lib/dpkg') };
}

/**
 * Creates the skeleton of an isolated root under `root` (absolute) with the given `sources.list` lines
 * (e.g. `deb [trusted=yes] file:/abs/repo ./`) and the APT_CONFIG file that points apt and dpkg at it.
 * Maintainer scripts run without chroot and see the root in $DPKG_ROOT.
 */
export async function createAptRoot(root: string, sources: readonly string[]): Promise<AptRoot> {
  if (!isAbsolute(root)) throw new Error(`the apt root must be an absolute path, got "${root}"`);
  const r = aptRootAt(root);
  for (const d of [
    'var/lib/dpkg/info',
    'var/lib/dpkg/updates',
    'var/lib/apt/lists/partial',
    'var/cache/apt/archives/partial',
    'etc/apt/sources.list.d',
    'etc/apt/preferences.d',
    'etc/apt/apt.conf.d',
    'var/log',
    'var/run',
  ]) {
    await mkdir(join(root, d), { recursive: true });
  }
  await writeFile(join(root, 'var/lib/dpkg/status'), '', { flag: 'a' });
  await writeFile(join(root, 'etc/apt/sources.list'), sources.map((s) => `${s}\n`).join(''));
  const q = (s: string) => JSON.stringify(s);
  const config = [
    `Dir ${q(`${root}/`)};`,
    `Dir::State::status ${q(join(root, 'var/lib/dpkg/status'))};`,
    `Dir::Etc::SourceParts ${q(join(root, 'etc/apt/sources.list.d'))};`,
    `Dir::Etc::Parts ${q(join(root, 'etc/apt/apt.conf.d'))};`,
    `APT::Sandbox::User "root";`,
    `DPkg::Options {`,
    `  ${q(`--root=${root}`)};`,
    `  ${q(`--admindir=${r.admindir}`)};`,
    `  "--force-not-root";`,
    `  "--force-bad-path";`,
    `  "--force-script-chrootless";`,
    `  ${q(`--log=${join(root, 'var/log/dpkg.log')}`)};`,
    `};`,
    '',
  ].join('\n');
  await writeFile(r.aptConfigFile, config);
  return r;
}
