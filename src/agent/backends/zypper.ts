// The zypper backend (SLES, openSUSE): patches with category/severity/CVE ids, and plain package updates.
import { access } from 'node:fs/promises';
import { XMLParser } from 'fast-xml-parser';
import {
  RPM_QUERY_FORMAT,
  normaliseEvr,
  parseRpmInstalledVersions,
  parseRpmQuery,
  rpmInstalledVersions,
  severityOf,
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
  type UpdateClassification,
} from './types.ts';

// ---- parsing `zypper --xmlout` ----

export interface ZypperMessage {
  readonly type: string;
  readonly text: string;
}

export interface ZypperPackageUpdate {
  readonly name: string;
  readonly edition: string;
  /** the installed edition (zypper ≥ 1.14.x prints it as `edition-old`) */
  readonly editionOld?: string;
  readonly arch: string;
  readonly repo: string;
  readonly summary: string;
}

export interface ZypperPatch {
  readonly name: string;
  readonly edition: string;
  readonly status: string;
  readonly category: string;
  readonly severity: string;
  /** the patch suggests a reboot */
  readonly restart: boolean;
  readonly interactive: boolean;
  /** the patch updates the package manager itself (installed first, alone) */
  readonly pkgmanager: boolean;
  readonly summary: string;
  readonly repo: string;
  readonly cves: readonly string[];
  readonly bugs: readonly string[];
  /** listed under blocked-update-list (dependency problems) */
  readonly blocked: boolean;
}

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['update', 'message', 'issue', 'solvable'].includes(name),
});

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v && typeof v === 'object' && '#text' in v ? String((v as Node)['#text']) : '';
const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);

function stream(xml: string): Node {
  const doc = parser.parse(xml) as Node;
  const s = doc.stream;
  if (!s || typeof s !== 'object') throw new Error('zypper XML output has no <stream> element');
  return s as Node;
}

export function parseZypperMessages(xml: string): ZypperMessage[] {
  return list(stream(xml).message).map((m) => ({ type: str(m.type), text: str(m) }));
}

function updateLists(xml: string): { updates: Node[]; blocked: Node[] } {
  const status = stream(xml)['update-status'] as Node | undefined;
  const ul = status?.['update-list'] as Node | undefined;
  const bl = status?.['blocked-update-list'] as Node | undefined;
  return { updates: list(ul?.update), blocked: list(bl?.update) };
}

/** `zypper --xmlout list-updates`: kind="package" entries. */
export function parseZypperUpdates(xml: string): ZypperPackageUpdate[] {
  return updateLists(xml)
    .updates.filter((u) => str(u.kind) === 'package')
    .map((u) => {
      const old = str(u['edition-old']);
      return {
        name: str(u.name),
        edition: str(u.edition),
        ...(old ? { editionOld: old } : {}),
        arch: str(u.arch),
        repo: str((u.source as Node | undefined)?.alias),
        summary: str(u.summary),
      };
    });
}

/** `zypper --xmlout list-patches`: kind="patch" entries with their issue lists. */
export function parseZypperPatches(xml: string): ZypperPatch[] {
  const { updates, blocked } = updateLists(xml);
  const toPatch = (u: Node, isBlocked: boolean): ZypperPatch => {
    const issues = list((u['issue-list'] as Node | undefined)?.issue);
    return {
      name: str(u.name),
      edition: str(u.edition),
      status: str(u.status) || 'needed',
      category: str(u.category),
      severity: str(u.severity),
      restart: str(u.restart) === 'true',
      interactive: str(u.interactive) === 'true',
      pkgmanager: str(u.pkgmanager) === 'true',
      summary: str(u.summary),
      repo: str((u.source as Node | undefined)?.alias),
      cves: issues.filter((i) => str(i.type) === 'cve').map((i) => str(i.id)),
      bugs: issues.filter((i) => str(i.type) === 'bugzilla').map((i) => str(i.id)),
      blocked: isBlocked,
    };
  };
  return [
    ...updates.filter((u) => str(u.kind) === 'patch').map((u) => toPatch(u, false)),
    ...blocked.filter((u) => str(u.kind) === 'patch').map((u) => toPatch(u, true)),
  ];
}

/** `zypper --xmlout search -t patch`: name → installed or not. */
export function parseZypperSearch(xml: string): { name: string; status: string; kind: string }[] {
  const sr = stream(xml)['search-result'] as Node | undefined;
  const sl = sr?.['solvable-list'] as Node | undefined;
  return list(sl?.solvable).map((s) => ({ name: str(s.name), status: str(s.status), kind: str(s.kind) }));
}

export function zypperCategory(category: string): UpdateClassification {
  switch (category) {
    case 'security':
      return 'security';
    case 'recommended':
      return 'bugfix';
    case 'feature':
    case 'optional':
      return 'feature';
    default:
      return 'other';
  }
}

// ---- exit codes (zypper(8), EXIT CODES) ----

export const ZYPPER_EXIT = {
  ok: 0,
  bug: 1,
  syntax: 2,
  invalidArgs: 3,
  zyppError: 4,
  privileges: 5,
  noRepos: 6,
  locked: 7,
  commitError: 8,
  updateNeeded: 100,
  securityUpdateNeeded: 101,
  rebootNeeded: 102,
  restartPackageManager: 103,
  capabilityNotFound: 104,
  onSignal: 105,
  reposSkipped: 106,
  rpmScriptFailed: 107,
} as const;

/** Exit codes after which the install is done (102/103 add a note, 106 a warning). */
const INSTALLED_CODES: ReadonlySet<number> = new Set([0, 100, 101, 102, 103, 106]);

export interface ZypperBackendOptions {
  readonly runner?: CommandRunner;
  /** file libzypp creates when an installed update needs a reboot; default /run/reboot-needed */
  readonly rebootNeededFile?: string;
  readonly timeoutMs?: number;
}

const NAME = /^[A-Za-z0-9_+][A-Za-z0-9_.+:-]*$/;
const VERSION = /^(\d+:)?[A-Za-z0-9_.+~^-]+$/;
const ARCH = /^[A-Za-z0-9_]+$/;

export class ZypperBackend implements Backend {
  readonly name = 'zypper' as const;
  private readonly run: CommandRunner;
  private readonly opts: ZypperBackendOptions;

  constructor(opts: ZypperBackendOptions = {}) {
    this.opts = opts;
    this.run = opts.runner ?? spawnRunner;
  }

  private zypper(args: string[]): Promise<RunResult> {
    return this.run('zypper', ['--non-interactive', ...args], {
      timeoutMs: this.opts.timeoutMs ?? 30 * 60_000,
    });
  }

  private xml(args: string[]): Promise<RunResult> {
    return this.zypper(['--xmlout', ...args]);
  }

  async scan(options: ScanOptions = {}): Promise<ScanResult> {
    const warnings: string[] = [];
    if (options.refresh !== false) {
      const r = await this.zypper(['refresh']);
      if (r.code !== 0) warnings.push(exitWarning('zypper refresh', r));
    }
    const lu = await this.xml(['list-updates']);
    if (!INSTALLED_CODES.has(lu.code))
      throw new CommandFailedError('zypper', ['--xmlout', 'list-updates'], lu);
    const lp = await this.xml(['list-patches']);
    if (!INSTALLED_CODES.has(lp.code))
      throw new CommandFailedError('zypper', ['--xmlout', 'list-patches'], lp);
    for (const m of [...parseZypperMessages(lu.stdout), ...parseZypperMessages(lp.stdout)])
      if (m.type === 'warning' || m.type === 'error') warnings.push(m.text);
    const inv = await this.run('rpm', ['-qa', '--qf', RPM_QUERY_FORMAT]);
    if (inv.code !== 0) throw new CommandFailedError('rpm', ['-qa'], inv);
    const inventory = parseRpmQuery(inv.stdout);
    const installed = new Map(inventory.map((p) => [`${p.name}.${p.arch ?? ''}`, p.version]));

    const updates: AvailableUpdate[] = [];
    for (const p of parseZypperPatches(lp.stdout)) {
      if (p.status !== 'needed') continue;
      if (p.blocked) warnings.push(`patch ${p.name} is blocked by dependency problems`);
      const sev = severityOf(p.severity);
      updates.push({
        id: p.name,
        kind: 'patch',
        name: p.name,
        title: p.summary,
        arch: 'noarch',
        installedVersion: null,
        version: p.edition,
        source: p.repo,
        classification: zypperCategory(p.category),
        ...(sev ? { severity: sev } : {}),
        ...(p.severity && p.severity !== 'unspecified' ? { vendorSeverity: p.severity } : {}),
        advisoryIds: [p.name],
        cves: p.cves,
        reboot: p.restart ? 'required' : 'never',
        interactive: p.interactive,
      });
    }
    for (const u of parseZypperUpdates(lu.stdout)) {
      updates.push({
        id: `${u.name}.${u.arch}`,
        kind: 'package',
        name: u.name,
        title: u.summary,
        arch: u.arch,
        installedVersion: u.editionOld ?? installed.get(`${u.name}.${u.arch}`) ?? null,
        version: u.edition,
        source: u.repo,
        classification: 'other',
        advisoryIds: [],
        cves: [],
        reboot: /^kernel-/.test(u.name) ? 'required' : 'unknown',
      });
    }
    return { backend: 'zypper', updates, inventory, warnings };
  }

  /** Patches by name (`install -t patch`), packages by exact edition (`install name.arch=edition`). */
  async install(requests: readonly InstallRequest[]): Promise<InstallResult[]> {
    const results: InstallResult[] = [];
    for (const u of requests) results.push(await this.installOne(u));
    return results;
  }

  private async installOne(u: InstallRequest): Promise<InstallResult> {
    const fail = (message: string, exitCode: number | null, newVersion: string | null = null) =>
      failedInstall(u, message, exitCode, newVersion);
    if (!NAME.test(u.name)) return fail(`"${u.name}" is not a zypper package or patch name`, null);
    if (u.version !== undefined && !VERSION.test(u.version))
      return fail(`"${u.version}" is not an edition`, null);
    if (u.arch !== undefined && !ARCH.test(u.arch)) return fail(`"${u.arch}" is not an architecture`, null);
    const isPatch = u.kind === 'patch';
    const spec = isPatch
      ? u.name
      : `${u.name}${u.arch && u.arch !== 'noarch' ? `.${u.arch}` : ''}${u.version ? `=${u.version}` : ''}`;
    const r = await this.zypper([
      'install',
      '--auto-agree-with-licenses',
      ...(isPatch ? ['-t', 'patch'] : ['--oldpackage']),
      spec,
    ]);
    const message = lastMeaningfulLine(r.stderr) || lastMeaningfulLine(r.stdout);
    if (!INSTALLED_CODES.has(r.code)) {
      const what =
        r.code === ZYPPER_EXIT.rpmScriptFailed
          ? 'installed, but a package script failed'
          : r.code === ZYPPER_EXIT.capabilityNotFound
            ? `${spec} not found`
            : r.code === ZYPPER_EXIT.locked
              ? 'zypper is locked by another process'
              : `zypper exited with ${r.code}`;
      return fail(message ? `${what}: ${message}` : what, r.code);
    }
    const rebootRequired = r.code === ZYPPER_EXIT.rebootNeeded;
    const note = r.code === ZYPPER_EXIT.restartPackageManager ? ' (zypper updated itself; scan again)' : '';
    if (isPatch) {
      const s = await this.xml(['search', '-t', 'patch', '--match-exact', u.name]);
      const hit = parseZypperSearch(s.stdout).find((x) => x.name === u.name);
      if (!hit || hit.status !== 'installed')
        return fail(`patch ${u.name} is not installed after zypper exited with ${r.code}`, r.code);
      return succeededInstall(
        u,
        r.code,
        `patch ${u.name} installed${note}`,
        u.version ?? '1',
        rebootRequired,
      );
    }
    const q = await this.run(...rpmInstalledVersions(u.arch ? `${u.name}.${u.arch}` : u.name));
    const versions = parseRpmInstalledVersions(q.code, q.stdout);
    if (versions.length === 0) return fail(`${u.name} is not installed after the install`, r.code);
    if (u.version && !versions.some((v) => normaliseEvr(v) === normaliseEvr(u.version!)))
      return fail(
        `${u.name} is at ${versions.join(', ')}, not the approved ${u.version}`,
        r.code,
        versions.at(-1)!,
      );
    return succeededInstall(
      u,
      r.code,
      `${u.name} ${u.version ?? versions.at(-1)} installed${note}`,
      u.version ?? versions.at(-1)!,
      rebootRequired,
    );
  }

  /** `zypper needs-rebooting`: 102 = reboot needed, 0 = not; older zypper lacks it, then libzypp's flag file. */
  /** a message to every terminal (`wall`) */
  notify(message: string): Promise<boolean> {
    return wallNotify(this.run, message);
  }

  async rebootRequired(): Promise<RebootState> {
    const r = await this.run('zypper', ['needs-rebooting']);
    if (r.code === ZYPPER_EXIT.rebootNeeded) return { required: true, packages: [] };
    if (r.code === 0) return { required: false, packages: [] };
    try {
      await access(this.opts.rebootNeededFile ?? '/run/reboot-needed');
      return { required: true, packages: [] };
    } catch {
      return { required: false, packages: [] };
    }
  }
}
