// The dnf/yum/rpm backend (RHEL, Rocky, Alma, Oracle, Fedora, CentOS 7, Azure Linux).
import {
  RPM_QUERY_FORMAT,
  compareRpmVersions,
  maxSeverity,
  normaliseEvr,
  parseAdvisoryListJson,
  parseAdvisoryListText,
  parseCheckUpdate,
  parseNeedsRestarting,
  parseRpmInstalledVersions,
  parseRpmQuery,
  parseUpdateinfoList,
  rpmInstalledVersions,
  type AdvisoryEntry,
} from './rpm-parse.ts';
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
  type RebootState,
  type RunResult,
  type ScanOptions,
  type ScanResult,
  type Severity,
  type UpdateClassification,
} from './types.ts';

/** dnf = dnf 4 (EL8, EL9, Fedora < 41); dnf5 = Fedora 41+, EL10; yum = yum 3 (EL7). */
export type DnfFlavour = 'dnf' | 'dnf5' | 'yum';

export interface DnfBackendOptions {
  readonly runner?: CommandRunner;
  readonly flavour?: DnfFlavour;
  /** limit for each command; default 30 minutes */
  readonly timeoutMs?: number;
}

/** The commands each flavour needs; exported so the agent's `scan --dry-run` can show them. */
export function dnfCommands(flavour: DnfFlavour) {
  const tool = flavour === 'yum' ? 'yum' : 'dnf';
  return {
    tool,
    refresh: [tool, ['-q', 'makecache']] as const,
    checkUpdate: [tool, ['-q', 'check-update']] as const,
    advisories:
      flavour === 'dnf5'
        ? ([tool, ['-q', 'advisory', 'list', '--updates', '--json']] as const)
        : flavour === 'yum'
          ? ([tool, ['-q', 'updateinfo', 'list', 'updates']] as const)
          : ([tool, ['-q', 'updateinfo', 'list', '--updates']] as const),
    cves:
      flavour === 'dnf5'
        ? ([tool, ['-q', 'advisory', 'list', '--updates', '--with-cve']] as const)
        : flavour === 'yum'
          ? ([tool, ['-q', 'updateinfo', 'list', 'updates', 'cves']] as const)
          : ([tool, ['-q', 'updateinfo', 'list', '--updates', '--with-cve']] as const),
    needsRestarting:
      flavour === 'yum'
        ? (['needs-restarting', ['-r']] as const)
        : flavour === 'dnf5'
          ? ([tool, ['-q', 'needs-restarting']] as const)
          : ([tool, ['-q', 'needs-restarting', '-r']] as const),
    inventory: ['rpm', ['-qa', '--qf', RPM_QUERY_FORMAT]] as const,
    upgrade: (nevra: string) => [tool, ['-y', '-q', 'upgrade', nevra]] as const,
    upgradeAdvisory: (id: string) => [tool, ['-y', '-q', 'upgrade', `--advisory=${id}`]] as const,
    installedVersion: rpmInstalledVersions,
  };
}

const NAME = /^[A-Za-z0-9_+][A-Za-z0-9_.+-]*$/;
const VERSION = /^(\d+:)?[A-Za-z0-9_.+~^-]+$/;
const ARCH = /^[A-Za-z0-9_]+$/;
const KERNEL =
  /^(kernel|kernel-core|kernel-uek|kernel-uek-core|kernel-rt|linux-firmware|glibc|systemd|dbus)$/;

interface Merged {
  ids: Set<string>;
  cves: Set<string>;
  classification: UpdateClassification;
  severity?: Severity;
  vendorSeverity?: string;
}

/** Groups advisories and CVE listings by `name.arch`. */
export function mergeAdvisories(advisories: readonly AdvisoryEntry[], cves: readonly AdvisoryEntry[]) {
  const by = new Map<string, Merged>();
  const get = (key: string) => {
    let m = by.get(key);
    if (!m) {
      m = { ids: new Set(), cves: new Set(), classification: 'other' };
      by.set(key, m);
    }
    return m;
  };
  const order: UpdateClassification[] = ['other', 'feature', 'enhancement', 'bugfix', 'security'];
  for (const a of advisories) {
    if (a.installed) continue;
    const m = get(`${a.nevra.name}.${a.nevra.arch}`);
    m.ids.add(a.id);
    if (order.indexOf(a.classification) > order.indexOf(m.classification))
      m.classification = a.classification;
    if (a.classification === 'security' || m.classification !== 'security') {
      const sev = maxSeverity(m.severity, a.severity);
      if (sev !== m.severity) {
        m.severity = sev;
        if (a.vendorSeverity) m.vendorSeverity = a.vendorSeverity;
      }
    }
  }
  for (const c of cves) {
    if (!/^CVE-\d{4}-\d+$/.test(c.id)) continue;
    get(`${c.nevra.name}.${c.nevra.arch}`).cves.add(c.id);
  }
  return by;
}

export class DnfBackend implements Backend {
  readonly name: 'dnf' | 'yum';
  private readonly run: CommandRunner;
  private readonly flavour: DnfFlavour;
  private readonly timeoutMs: number;

  constructor(opts: DnfBackendOptions = {}) {
    this.flavour = opts.flavour ?? 'dnf';
    this.name = this.flavour === 'yum' ? 'yum' : 'dnf';
    this.run = opts.runner ?? spawnRunner;
    this.timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  }

  private exec(c: readonly [string, readonly string[]]): Promise<RunResult> {
    return this.run(c[0], c[1], { timeoutMs: this.timeoutMs });
  }

  async scan(options: ScanOptions = {}): Promise<ScanResult> {
    const c = dnfCommands(this.flavour);
    const warnings: string[] = [];
    if (options.refresh !== false) {
      const r = await this.exec(c.refresh);
      if (r.code !== 0) warnings.push(exitWarning(`${c.tool} makecache`, r));
    }
    const cu = await this.exec(c.checkUpdate);
    // check-update: 100 = updates available, 0 = none, anything else is an error
    if (cu.code !== 0 && cu.code !== 100)
      throw new CommandFailedError(c.checkUpdate[0], c.checkUpdate[1], cu);
    const candidates = cu.code === 100 ? parseCheckUpdate(cu.stdout) : [];
    const inv = await this.exec(c.inventory);
    if (inv.code !== 0) throw new CommandFailedError(c.inventory[0], c.inventory[1], inv);
    const inventory = parseRpmQuery(inv.stdout);

    let advisories: AdvisoryEntry[] = [];
    let cveRows: AdvisoryEntry[] = [];
    if (candidates.length > 0) {
      const a = await this.exec(c.advisories);
      if (a.code === 0)
        advisories =
          this.flavour === 'dnf5' ? parseAdvisoryListJson(a.stdout || '[]') : parseUpdateinfoList(a.stdout);
      else warnings.push(`no advisory information: ${lastMeaningfulLine(a.stderr) || `exit ${a.code}`}`);
      const v = await this.exec(c.cves);
      if (v.code === 0)
        cveRows = this.flavour === 'dnf5' ? parseAdvisoryListText(v.stdout) : parseUpdateinfoList(v.stdout);
      else warnings.push(`no CVE information: ${lastMeaningfulLine(v.stderr) || `exit ${v.code}`}`);
    }
    const merged = mergeAdvisories(advisories, cveRows);
    const installed = new Map<string, string>();
    for (const p of inventory) {
      // several kernels may be installed side by side: the newest one is what an update replaces
      const key = `${p.name}.${p.arch ?? ''}`;
      const seen = installed.get(key);
      if (seen === undefined || compareRpmVersions(p.version, seen) > 0) installed.set(key, p.version);
    }
    const updates: AvailableUpdate[] = candidates.map((u) => {
      const m = merged.get(`${u.name}.${u.arch}`);
      const current = installed.get(`${u.name}.${u.arch}`);
      return {
        id: `${u.name}.${u.arch}`,
        kind: 'package',
        name: u.name,
        arch: u.arch,
        installedVersion: current ?? null,
        version: u.version,
        source: u.repo,
        classification: m?.classification ?? 'other',
        ...(m?.severity ? { severity: m.severity } : {}),
        ...(m?.vendorSeverity ? { vendorSeverity: m.vendorSeverity } : {}),
        advisoryIds: m ? [...m.ids] : [],
        cves: m ? [...m.cves] : [],
        reboot: KERNEL.test(u.name) ? 'required' : 'unknown',
      };
    });
    return { backend: this.name, updates, inventory, warnings };
  }

  /** One `dnf upgrade NAME-EVR.ARCH` per approved package, then rpm says what is installed. */
  async install(requests: readonly InstallRequest[]): Promise<InstallResult[]> {
    const c = dnfCommands(this.flavour);
    const results: InstallResult[] = [];
    for (const u of requests) {
      const fail = (message: string, exitCode: number | null, newVersion: string | null = null) =>
        failedInstall(u, message, exitCode, newVersion);
      if (!NAME.test(u.name)) {
        results.push(fail(`"${u.name}" is not an rpm package name`, null));
        continue;
      }
      if (u.version !== undefined && !VERSION.test(u.version)) {
        results.push(fail(`"${u.version}" is not an rpm [epoch:]version-release`, null));
        continue;
      }
      if (u.arch !== undefined && !ARCH.test(u.arch)) {
        results.push(fail(`"${u.arch}" is not an rpm architecture`, null));
        continue;
      }
      const spec = `${u.name}${u.version ? `-${u.version}` : ''}${u.arch ? `.${u.arch}` : ''}`;
      const r = await this.exec(c.upgrade(spec));
      const q = await this.exec(c.installedVersion(u.arch ? `${u.name}.${u.arch}` : u.name));
      const versions = parseRpmInstalledVersions(q.code, q.stdout);
      const newVersion = versions.at(-1) ?? null;
      if (r.code !== 0) {
        results.push(
          fail(
            lastMeaningfulLine(r.stderr) || lastMeaningfulLine(r.stdout) || `exit ${r.code}`,
            r.code,
            newVersion,
          ),
        );
        continue;
      }
      if (versions.length === 0) {
        results.push(fail(`${u.name} is not installed after the upgrade`, r.code));
        continue;
      }
      const want = u.version && normaliseEvr(u.version);
      if (want && !versions.some((v) => normaliseEvr(v) === want)) {
        results.push(
          fail(`${u.name} is at ${versions.join(', ')}, not the approved ${u.version}`, r.code, newVersion),
        );
        continue;
      }
      results.push(
        succeededInstall(u, r.code, `${u.name} ${want || newVersion} installed`, want || newVersion, false),
      );
    }
    if (!results.some((r) => r.status === 'succeeded')) return results;
    const reboot = await this.rebootRequired();
    return results.map((r) =>
      r.status === 'succeeded' &&
      reboot.required &&
      (reboot.packages.length === 0 || reboot.packages.includes(r.name))
        ? { ...r, rebootRequired: true }
        : r,
    );
  }

  /** a message to every terminal (`wall`) */
  notify(message: string): Promise<boolean> {
    return wallNotify(this.run, message);
  }

  async rebootRequired(): Promise<RebootState> {
    const c = dnfCommands(this.flavour).needsRestarting;
    const r = await this.exec(c);
    if (r.code !== 0 && r.code !== 1) throw new CommandFailedError(c[0], c[1], r);
    return parseNeedsRestarting(r.stdout, r.code);
  }
}
