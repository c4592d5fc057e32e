// The apt/dpkg backend (Debian, Ubuntu): refresh, simulate, install exact versions, reboot-required.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import {
  DPKG_QUERY_FORMAT,
  parseAptCachePolicy,
  parseAptSimulation,
  parseDebianChangelog,
  parseDpkgQuery,
  parseRebootRequiredPkgs,
  summariseChangelog,
  urgencyToSeverity,
  type AptPlannedInstall,
} from './apt-parse.ts';
import type { AptRoot } from './apt-root.ts';
import { compareDebianVersions } from '../../core/advisories/versions.ts';
import { exitWarning, failedInstall, succeededInstall } from './results.ts';
import { spawnRunner, wallNotify } from './runner.ts';
import {
  CommandFailedError,
  lastMeaningfulLine,
  type AvailableUpdate,
  type Backend,
  type CommandRunner,
  type InstallRequest,
  type InstallResult,
  type RebootBehaviour,
  type RebootState,
  type RunResult,
  type ScanOptions,
  type ScanResult,
} from './types.ts';

export interface AptBackendOptions {
  readonly runner?: CommandRunner;
  /** run against an isolated root instead of the machine (see apt-root.ts) */
  readonly root?: AptRoot;
  /** where `reboot-required` and `reboot-required.pkgs` live; default ROOT/var/run or /var/run */
  readonly rebootDir?: string;
  /**
   * Fetch `apt-get changelog` of each security update for its urgency and CVE ids (needs the
   * changelog server, so off by default).
   */
  readonly changelogs?: boolean;
  /** limit for each apt/dpkg command; default 30 minutes */
  readonly timeoutMs?: number;
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const VERSION = /^[A-Za-z0-9.+~:-]+$/;
const ARCH = /^[a-z0-9-]+$/;
const KERNEL = /^linux-(image|modules|headers)-|^linux-(image|generic|signed)/;

export class AptBackend implements Backend {
  readonly name = 'apt' as const;
  private readonly run: CommandRunner;
  private readonly opts: AptBackendOptions;

  constructor(opts: AptBackendOptions = {}) {
    this.opts = opts;
    this.run = opts.runner ?? spawnRunner;
  }

  private env(): Record<string, string> {
    return {
      DEBIAN_FRONTEND: 'noninteractive',
      APT_LISTCHANGES_FRONTEND: 'none',
      NEEDRESTART_MODE: 'l', // Ubuntu's needrestart: list only, never prompt or restart services
      ...(this.opts.root ? { APT_CONFIG: this.opts.root.aptConfigFile } : {}),
    };
  }

  private apt(args: string[]): Promise<RunResult> {
    return this.run('apt-get', args, { env: this.env(), timeoutMs: this.opts.timeoutMs ?? 30 * 60_000 });
  }

  private dpkgQuery(names: readonly string[]): Promise<RunResult> {
    const admin = this.opts.root ? [`--admindir=${this.opts.root.admindir}`] : [];
    return this.run('dpkg-query', [...admin, '-W', '-f', DPKG_QUERY_FORMAT, ...names], { env: this.env() });
  }

  private rebootDir(): string {
    return this.opts.rebootDir ?? (this.opts.root ? join(this.opts.root.root, 'var/run') : '/var/run');
  }

  async scan(options: ScanOptions = {}): Promise<ScanResult> {
    const warnings: string[] = [];
    if (options.refresh !== false) {
      const r = await this.apt(['update', '-q']);
      // a dead mirror should not hide what the other sources offer: report and go on with the lists we have
      if (r.code !== 0) warnings.push(exitWarning('apt-get update', r));
      for (const w of r.stderr.split('\n').filter((l) => l.startsWith('W: ') || l.startsWith('E: ')))
        warnings.push(w);
    }
    const simArgs = ['-s', '-q', '-o', 'Debug::NoLocking=1', 'dist-upgrade'];
    const sim = await this.apt(simArgs);
    if (sim.code !== 0) throw new CommandFailedError('apt-get', simArgs, sim);
    const plan = parseAptSimulation(sim.stdout);
    const inv = await this.dpkgQuery([]);
    if (inv.code !== 0) throw new CommandFailedError('dpkg-query', ['-W'], inv);
    // new dependencies are part of an upgrade, not updates
    const upgrades = plan.installs.filter((p) => p.currentVersion !== null);
    const supersedes = await this.supersededSecurity(upgrades.filter((p) => !p.security));
    const updates: AvailableUpdate[] = [];
    for (const p of upgrades) updates.push(await this.describe(p, supersedes.has(p.name), warnings));
    return { backend: 'apt', updates, inventory: parseDpkgQuery(inv.stdout), warnings };
  }

  /**
   * A candidate from the regular archive (a point release) often already contains a fix first published in
   * the security archive; it is a security update when such a version lies between installed and candidate.
   */
  private async supersededSecurity(plain: readonly AptPlannedInstall[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (plain.length === 0) return found;
    const r = await this.run('apt-cache', ['policy', ...plain.map((p) => p.name)], { env: this.env() });
    if (r.code !== 0) return found;
    const byName = new Map(plain.map((p) => [p.name, p]));
    for (const pol of parseAptCachePolicy(r.stdout)) {
      const p = byName.get(pol.name);
      if (!p || p.currentVersion === null) continue;
      const current = p.currentVersion;
      const hit = pol.versions.some(
        (v) =>
          v.suites.some((s) => /-security$/.test(s)) &&
          compareDebianVersions(v.version, current) > 0 &&
          compareDebianVersions(v.version, p.version) <= 0,
      );
      if (hit) found.add(p.name);
    }
    return found;
  }

  private async describe(
    p: AptPlannedInstall,
    supersedesSecurity: boolean,
    warnings: string[],
  ): Promise<AvailableUpdate> {
    const security = p.security || supersedesSecurity;
    const base: AvailableUpdate = {
      id: `${p.name}:${p.arch}`,
      kind: 'package',
      name: p.name,
      arch: p.arch,
      installedVersion: p.currentVersion,
      version: p.version,
      source: p.origins.map((o) => o.text).join(', '),
      classification: security ? 'security' : 'other',
      advisoryIds: [],
      cves: [],
      reboot: rebootOf(p.name),
    };
    if (!this.opts.changelogs || !security) return base;
    const r = await this.apt(['changelog', '-q', `${p.name}=${p.version}`]);
    if (r.code !== 0) {
      warnings.push(`no changelog for ${p.name} ${p.version}: ${lastMeaningfulLine(r.stderr)}`);
      return base;
    }
    const current = p.currentVersion;
    const summary = summariseChangelog(
      parseDebianChangelog(r.stdout),
      (v) => current === null || compareDebianVersions(v, current) > 0,
    );
    if (!summary) return base;
    return {
      ...base,
      severity: urgencyToSeverity(summary.urgency),
      vendorSeverity: `urgency=${summary.urgency}`,
      cves: summary.cves,
    };
  }

  /**
   * Installs each approved version in its own apt-get run, so one failing package gives one failed result
   * and the others still go in; then checks dpkg's database for what really is installed.
   */
  async install(updates: readonly InstallRequest[]): Promise<InstallResult[]> {
    const results: InstallResult[] = [];
    for (const u of updates) results.push(await this.installOne(u));
    return results;
  }

  /** installs one update from a downloaded, hash-verified .deb (then checks it like any install) */
  installFile(update: InstallRequest, path: string): Promise<InstallResult> {
    return this.installOne(update, path);
  }

  private async installOne(u: InstallRequest, file?: string): Promise<InstallResult> {
    const fail = (message: string, exitCode: number | null, newVersion: string | null = null) =>
      failedInstall(u, message, exitCode, newVersion);
    if (!PACKAGE_NAME.test(u.name)) return fail(`"${u.name}" is not a Debian package name`, null);
    if (u.version !== undefined && !VERSION.test(u.version))
      return fail(`"${u.version}" is not a Debian version`, null);
    if (u.arch !== undefined && !ARCH.test(u.arch))
      return fail(`"${u.arch}" is not a Debian architecture`, null);
    const qualified = u.arch && u.arch !== 'all' ? `${u.name}:${u.arch}` : u.name;
    if (file !== undefined && !(isAbsolute(file) && file.endsWith('.deb')))
      return fail(`"${file}" is not the absolute path of a .deb file`, null);
    // a downloaded package file is installed as such (apt resolves its dependencies from the archive)
    const target = file ?? (u.version === undefined ? qualified : `${qualified}=${u.version}`);
    const before = await this.rebootRequired();
    const r = await this.apt([
      'install',
      '-y',
      '-q',
      '--only-upgrade',
      '-o',
      'DPkg::Lock::Timeout=300',
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      target,
    ]);
    const q = await this.dpkgQuery([qualified]);
    const found = q.code === 0 ? parseDpkgQuery(q.stdout)[0] : undefined;
    const after = await this.rebootRequired();
    const rebootRequired = after.required && (!before.required || after.packages.includes(u.name));
    const newVersion = found?.version ?? null;
    if (r.code !== 0) {
      const msg = lastMeaningfulLine(r.stderr) || lastMeaningfulLine(r.stdout);
      const state = found?.status ? ` (${u.name} is now ${found.status})` : '';
      return fail(`${msg || `apt-get exited with ${r.code}`}${state}`, r.code, newVersion);
    }
    if (!found) return fail(`${u.name} is not installed, so there is nothing to upgrade`, r.code);
    if (found.status) return fail(`${u.name} ${found.version} is ${found.status}`, r.code, newVersion);
    if (u.version !== undefined && compareDebianVersions(found.version, u.version) !== 0) {
      const skipped = /Skipping|is already the newest|not upgraded/.exec(r.stdout)
        ? ': apt did not upgrade it'
        : '';
      return fail(
        `${u.name} is at ${found.version}, not the approved ${u.version}${skipped}`,
        r.code,
        newVersion,
      );
    }
    return succeededInstall(u, r.code, `${u.name} ${found.version} installed`, newVersion, rebootRequired);
  }

  /** a message to every terminal (`wall`) */
  notify(message: string): Promise<boolean> {
    return wallNotify(this.run, message);
  }

  async rebootRequired(): Promise<RebootState> {
    const dir = this.rebootDir();
    const flag = await readOrNull(join(dir, 'reboot-required'));
    if (flag === null) return { required: false, packages: [] };
    const pkgs = await readOrNull(join(dir, 'reboot-required.pkgs'));
    return { required: true, packages: pkgs === null ? [] : parseRebootRequiredPkgs(pkgs) };
  }
}

function rebootOf(name: string): RebootBehaviour {
  return KERNEL.test(name) ? 'required' : 'unknown';
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
