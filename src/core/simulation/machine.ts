// A simulated machine: an OS, installed packages, a deterministic feed of new
// updates, install failures at a configurable rate, and reboots. The fleet simulator runs thousands of these
// in one process, and the demo builds its data set from them, so it does no I/O, owns no timers, and keeps
// its state in small typed arrays. The agent drives it as a backend (agent/backends/simulated.ts).
//
// The feed belongs to the OS (family + version), not to the machine: machines with the same OS see the same
// releases, versions and advisory ids at the same times, as real fleets do. The machine's seed decides which
// packages it has and how its installs go.
import type { AuditKind, AuditReport } from '../audit/model.ts';
import { simulatedAudit } from './audit.ts';
import type { ScriptStep, StepOutcome } from '../scripts/model.ts';
import type {
  AvailableUpdate,
  InstallRequest,
  InstallResult,
  InstalledPackage,
  RebootState,
  ScanOptions,
  ScanResult,
  Severity,
  UpdateKind,
} from './types.ts';

export type OsFamily = 'debian' | 'ubuntu' | 'rhel' | 'suse' | 'windows' | 'macos';

export interface SimulatedOs {
  readonly family: OsFamily;
  /** `12`, `24.04`, `9.4`, `15-SP5`, `11-24H2`, `14.6` */
  readonly version: string;
}

export interface SimulatedMachineOptions {
  /** the machine's seed: which packages it has, how its installs go */
  readonly seed: number;
  readonly os: SimulatedOs;
  /** packages installed, capped at the OS catalogue's size; default 40 */
  readonly packageCount?: number;
  /** new updates the OS feed publishes per day (over the whole catalogue); default 2 */
  readonly updatesPerDay?: number;
  /** share of releases that are security updates; default 0.4 */
  readonly securityShare?: number;
  /** share of install attempts that fail; default 0.05 */
  readonly failureRate?: number;
  /** share of non-kernel releases that need a reboot; default 0.1 (kernels and cumulative updates always do) */
  readonly rebootShare?: number;
  /** releases already published when the feed starts (the machine's initial backlog); default 6 */
  readonly backlog?: number;
  /** the feed's epoch in ms; default: the start of the current UTC day, so machines made the same day agree */
  readonly feedStart?: number;
  /** the clock the feed is read against; default Date.now */
  readonly clock?: () => number;
}

// ---- deterministic randomness ----

/** A 32-bit hash of two integers (splitmix-like), as a float in [0, 1). */
function rand(seed: number, a: number, b = 0): number {
  let h = (seed ^ Math.imul(a + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

// ---- catalogues: [name, base version, arch] ----

type Entry = readonly [string, string, string];

const LINUX_COMMON =
  'bash 5.2.15,coreutils 9.1,curl 7.88.1,libcurl 7.88.1,openssl 3.0.15,openssh-server 9.2p1,openssh-client 9.2p1,' +
  'sudo 1.9.13,systemd 252.30,tzdata 2024a,ca-certificates 20230311,gnupg 2.2.40,tar 1.34,gzip 1.12,xz-utils 5.4.1,' +
  'zlib 1.2.13,libxml2 2.9.14,libexpat 2.5.0,sqlite3 3.40.1,python3 3.11.2,perl 5.36.0,vim 9.0.1378,less 590,' +
  'rsync 3.2.7,wget 1.21.3,git 2.39.5,nginx 1.22.1,postgresql 15.8,libpng 1.6.39,libjpeg 2.1.5,freetype 2.12.1,' +
  'krb5 1.20.1,libssh2 1.10.0,nghttp2 1.52.0,pam 1.5.2,shadow 4.13,util-linux 2.38.1,e2fsprogs 1.47.0,' +
  'iproute2 6.1.0,iptables 1.8.9,rsyslog 8.2302.0,logrotate 3.21.0,cron 3.0,dbus 1.14.10,polkit 122,glib2 2.74.6,' +
  'libgcrypt 1.10.1,gnutls 3.7.9,nss 3.87.1,bind-utils 9.18.28,ntpsec 1.2.2,apparmor 3.0.8,grub2 2.06,' +
  'linux-firmware 20230210';

function linux(kernel: string, libc: string, arch: string): Entry[] {
  return [
    [kernel, '6.1.0', arch],
    [libc, '2.36', arch],
    ...LINUX_COMMON.split(',').map((s) => {
      const [n, v] = s.split(' ') as [string, string];
      return [n, v, arch] as const;
    }),
  ];
}

const CATALOGUES: Record<OsFamily, readonly Entry[]> = {
  debian: linux('linux-image-amd64', 'libc6', 'amd64'),
  ubuntu: linux('linux-image-generic', 'libc6', 'amd64'),
  rhel: linux('kernel-core', 'glibc', 'x86_64'),
  suse: linux('kernel-default', 'glibc', 'x86_64'),
  windows: [
    ['Cumulative Update for Windows', '10.0.26100', 'x64'],
    ['Cumulative Update for .NET Framework', '4.8.1', 'x64'],
    ['Windows Malicious Software Removal Tool', '5.130', 'x64'],
    ['Microsoft Defender Antivirus definitions', '1.445', 'x64'],
    ['Servicing Stack Update', '10.0.26100', 'x64'],
    ['Microsoft Edge', '133.0', 'x64'],
    ['Microsoft 365 Apps', '16.0.18429', 'x64'],
    ['Windows Subsystem for Linux', '2.4.11', 'x64'],
    ['Intel Display Driver', '32.0.101', 'x64'],
    ['Microsoft Visual C++ Redistributable', '14.42', 'x64'],
  ],
  macos: [
    ['macOS', '14.6', 'arm64'],
    ['Safari', '17.6', 'arm64'],
    ['XProtectPlistConfigData', '5280', 'arm64'],
    ['MRTConfigData', '1.93', 'arm64'],
    ['Command Line Tools for Xcode', '15.3', 'arm64'],
    ['Rapid Security Response', '14.6', 'arm64'],
    ['BridgeOSUpdateCustomer', '8.6', 'arm64'],
    ['Gatekeeper Configuration Data', '276', 'arm64'],
  ],
};

const KERNEL_LIKE =
  /^(linux-image|kernel-|libc6$|glibc$|systemd$|Cumulative Update for Windows|Servicing Stack|macOS$|BridgeOS)/;
const SEVERITIES: readonly Severity[] = [
  'critical',
  'important',
  'important',
  'moderate',
  'moderate',
  'moderate',
  'low',
];

const FAILURES: Record<OsFamily, { code: number; message: string }> = {
  debian: { code: 100, message: 'E: Sub-process /usr/bin/dpkg returned an error code (1)' },
  ubuntu: { code: 100, message: 'E: Sub-process /usr/bin/dpkg returned an error code (1)' },
  rhel: { code: 1, message: 'Error: Transaction test error: file conflicts with another package' },
  suse: { code: 8, message: 'Problem occurred during or after installation or removal of packages' },
  windows: { code: -2147023293, message: 'install failed (0x80070643): fatal error during installation' },
  macos: { code: 1, message: 'Failed to download & prepare update: network connection lost' },
};

const DAY = 86_400_000;
const UBUNTU_SERIES: Record<string, string> = { '20.04': 'focal', '22.04': 'jammy', '24.04': 'noble' };

export class SimulatedMachine {
  readonly name = 'simulated' as const;
  readonly os: SimulatedOs;
  private readonly catalogue: readonly Entry[];
  private readonly seed: number;
  private readonly feedSeed: number;
  private readonly period: number;
  private readonly feedStart: number;
  private readonly backlog: number;
  private readonly securityShare: number;
  private readonly failureRate: number;
  private readonly rebootShare: number;
  private readonly clock: () => number;
  private readonly kind: UpdateKind;
  /** catalogue index of each installed package */
  private readonly pkgs: Uint16Array;
  /** catalogue index → position in `pkgs`, or -1 */
  private readonly slot: Int16Array;
  private readonly installedRev: Int32Array;
  private readonly feedRev: Int32Array;
  /** the newest release for the package, its metadata is derived from (feed seed, release) */
  private readonly lastRelease: Int32Array;
  /** a security release is among the pending ones */
  private readonly securityPending: Uint8Array;
  private nextRelease: number;
  private attempts = 0;
  private rebootPkgs: string[] = [];
  private readonly broken = new Set<string>();
  /** evaluations (by the hash of their text) a remediation has since fixed */
  private readonly remediated = new Set<number>();

  constructor(opts: SimulatedMachineOptions) {
    this.os = opts.os;
    this.catalogue = CATALOGUES[opts.os.family];
    this.seed = opts.seed >>> 0;
    this.feedSeed = hashString(`${opts.os.family}/${opts.os.version}`);
    this.period = DAY / (opts.updatesPerDay ?? 2);
    this.clock = opts.clock ?? Date.now;
    this.feedStart = opts.feedStart ?? Math.floor(this.clock() / DAY) * DAY;
    this.backlog = opts.backlog ?? 6;
    this.securityShare = opts.securityShare ?? 0.4;
    this.failureRate = opts.failureRate ?? 0.05;
    this.rebootShare = opts.rebootShare ?? 0.1;
    this.kind = opts.os.family === 'windows' ? 'kb' : opts.os.family === 'macos' ? 'label' : 'package';

    // the machine's packages: the kernel-like first entries always, then a seeded choice of the rest
    const n = Math.min(opts.packageCount ?? 40, this.catalogue.length);
    const order = this.catalogue.map((_, i) => i);
    for (let i = order.length - 1; i > 2; i--) {
      const j = 2 + Math.floor(rand(this.seed, 1, i) * (i - 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    this.pkgs = Uint16Array.from(order.slice(0, n).sort((a, b) => a - b));
    this.slot = new Int16Array(this.catalogue.length).fill(-1);
    this.pkgs.forEach((c, s) => (this.slot[c] = s));
    this.installedRev = new Int32Array(n);
    this.feedRev = new Int32Array(n);
    this.lastRelease = new Int32Array(n).fill(-1);
    this.securityPending = new Uint8Array(n);
    for (let s = 0; s < n; s++) {
      const base = 1 + Math.floor(rand(this.feedSeed, 2, this.pkgs[s]!) * 8);
      this.installedRev[s] = base;
      this.feedRev[s] = base;
    }
    this.nextRelease = -this.backlog;
  }

  private releaseTime(k: number): number {
    return (
      this.feedStart + k * this.period + (k < 0 ? 0 : Math.floor(rand(this.feedSeed, 3, k) * this.period))
    );
  }

  private releaseTarget(k: number): number {
    return Math.floor(rand(this.feedSeed, 4, k) * this.catalogue.length);
  }

  private isSecurity(k: number): boolean {
    return rand(this.feedSeed, 5, k) < this.securityShare;
  }

  /** Applies every release published up to the clock. O(new releases). */
  private advance(): void {
    const now = this.clock();
    while (this.releaseTime(this.nextRelease) <= now) {
      const k = this.nextRelease++;
      const s = this.slot[this.releaseTarget(k)]!;
      if (s < 0) continue; // a package this machine does not have
      this.feedRev[s]!++;
      this.lastRelease[s] = k;
      if (this.isSecurity(k)) this.securityPending[s] = 1;
    }
  }

  private version(c: number, rev: number): string {
    const [, base] = this.catalogue[c]!;
    const major = this.os.version.split(/[.-]/)[0] ?? '';
    switch (this.os.family) {
      case 'debian':
        return `${base}-1+deb${major}u${rev}`;
      case 'ubuntu':
        return `${base}-1ubuntu0.${rev}`;
      case 'rhel':
        return `${base}-${rev}.el${major}`;
      case 'suse':
        return `${base}-150500.${rev}.1`;
      default:
        return `${base}.${rev}`;
    }
  }

  private updateName(c: number, k: number, version: string): string {
    const [name] = this.catalogue[c]!;
    if (this.kind === 'kb') return `KB${5030000 + (k % 1000) * 97 + c}`;
    if (this.kind === 'label') return `${name}-${version}`;
    return name;
  }

  private updateId(c: number, k: number, version: string): string {
    const [name, , arch] = this.catalogue[c]!;
    if (this.kind !== 'package') return this.updateName(c, k, version);
    return this.os.family === 'debian' || this.os.family === 'ubuntu' ? `${name}:${arch}` : `${name}.${arch}`;
  }

  private describe(s: number): AvailableUpdate {
    const c = this.pkgs[s]!;
    const k = this.lastRelease[s]!;
    const [name, , arch] = this.catalogue[c]!;
    const version = this.version(c, this.feedRev[s]!);
    const security = this.securityPending[s] === 1;
    const year = new Date(this.releaseTime(k)).getUTCFullYear();
    const severity = security
      ? SEVERITIES[Math.floor(rand(this.feedSeed, 6, k) * SEVERITIES.length)]!
      : undefined;
    const cves: string[] = [];
    if (security) {
      const count = 1 + Math.floor(rand(this.feedSeed, 7, k) * 3);
      for (let i = 0; i < count; i++)
        cves.push(`CVE-${year}-${20000 + Math.floor(rand(this.feedSeed, 8 + i, k) * 30000)}`);
    }
    const reboot = KERNEL_LIKE.test(name) || rand(this.feedSeed, 12, k) < this.rebootShare;
    const updateName = this.updateName(c, k, version);
    return {
      id: this.updateId(c, k, version),
      kind: this.kind,
      name: updateName,
      ...(this.kind !== 'package' ? { title: `${name} ${version}` } : {}),
      arch,
      installedVersion: this.kind === 'package' ? this.version(c, this.installedRev[s]!) : null,
      version,
      source: this.source(security),
      classification: security ? 'security' : rand(this.feedSeed, 13, k) < 0.8 ? 'bugfix' : 'enhancement',
      ...(severity ? { severity, vendorSeverity: severity } : {}),
      advisoryIds: this.advisories(k, security, year, updateName),
      cves,
      reboot: reboot ? 'required' : 'never',
    };
  }

  private source(security: boolean): string {
    const v = this.os.version;
    switch (this.os.family) {
      case 'debian':
        return security ? `Debian-Security:${v}/stable-security` : `Debian:${v}/stable`;
      case 'ubuntu':
        return `Ubuntu:${v}/${UBUNTU_SERIES[v] ?? 'noble'}-${security ? 'security' : 'updates'}`;
      case 'rhel':
        return 'baseos';
      case 'suse':
        return `SLE-Module-Basesystem${v}-Updates`;
      case 'windows':
        return 'Windows Update';
      case 'macos':
        return 'Apple Software Update';
    }
  }

  private advisories(k: number, security: boolean, year: number, kb: string): string[] {
    const n = 1000 + (((k % 9000) + 9000) % 9000);
    switch (this.os.family) {
      case 'debian':
        return security ? [`DSA-${5000 + (n % 4000)}-1`] : [];
      case 'ubuntu':
        return security ? [`USN-${6000 + (n % 4000)}-1`] : [];
      case 'rhel':
        return [`${security ? 'RHSA' : 'RHBA'}-${year}:${n}`];
      case 'suse':
        return [`SUSE-${security ? 'SU' : 'RU'}-${year}:${n}-1`];
      case 'windows':
        return [kb];
      case 'macos':
        return [];
    }
  }

  /** an audit of this machine: its OS's tool outputs through the real parsers (simulation/audit.ts) */
  async audit(kind: AuditKind): Promise<AuditReport> {
    const inventory: InstalledPackage[] = [];
    for (let s = 0; s < this.pkgs.length; s++) {
      const c = this.pkgs[s]!;
      const [name, , arch] = this.catalogue[c]!;
      inventory.push({ name, version: this.version(c, this.installedRev[s]!), arch });
    }
    const name = `sim-${this.os.family}-${this.seed.toString(36)}`;
    return simulatedAudit({
      family: this.os.family,
      name,
      seed: this.seed,
      inventory,
      kind,
      now: this.clock(),
    });
  }

  async scan(_options: ScanOptions = {}): Promise<ScanResult> {
    this.advance();
    const updates: AvailableUpdate[] = [];
    const inventory: InstalledPackage[] = [];
    for (let s = 0; s < this.pkgs.length; s++) {
      const c = this.pkgs[s]!;
      const [name, , arch] = this.catalogue[c]!;
      inventory.push({ name, version: this.version(c, this.installedRev[s]!), arch });
      if (this.feedRev[s]! > this.installedRev[s]!) updates.push(this.describe(s));
    }
    return { backend: 'simulated', updates, inventory, warnings: [] };
  }

  async install(requests: readonly InstallRequest[]): Promise<InstallResult[]> {
    this.advance();
    const pending = new Map<string, number>();
    for (let s = 0; s < this.pkgs.length; s++) {
      if (this.feedRev[s]! <= this.installedRev[s]!) continue;
      const u = this.describe(s);
      pending.set(u.id, s);
    }
    const fail = this.os.family;
    return requests.map((r) => {
      const s = pending.get(r.id);
      const base = { id: r.id, name: r.name, newVersion: null, rebootRequired: false };
      if (s === undefined)
        return {
          ...base,
          status: 'failed',
          exitCode: FAILURES[fail].code,
          message: `${r.name} is not offered on this machine`,
        };
      const u = this.describe(s);
      if (r.version !== undefined && r.version !== u.version)
        return {
          ...base,
          status: 'failed',
          exitCode: FAILURES[fail].code,
          message: `version ${r.version} of ${r.name} is not available (candidate ${u.version})`,
        };
      const draw = rand(this.seed, 14, this.attempts++);
      const [pkgName] = this.catalogue[this.pkgs[s]!]!;
      if (this.broken.has(pkgName) || draw < this.failureRate)
        return { ...base, status: 'failed', exitCode: FAILURES[fail].code, message: FAILURES[fail].message };
      this.installedRev[s] = this.feedRev[s]!;
      this.securityPending[s] = 0;
      const reboot = u.reboot === 'required';
      if (reboot && !this.rebootPkgs.includes(pkgName)) this.rebootPkgs.push(pkgName);
      return {
        ...base,
        status: 'succeeded',
        exitCode: 0,
        message: `${u.name} ${u.version} installed`,
        newVersion: u.version,
        rebootRequired: reboot,
      };
    });
  }

  async rebootRequired(): Promise<RebootState> {
    return { required: this.rebootPkgs.length > 0, packages: [...this.rebootPkgs] };
  }

  /** the messages shown to the machine's users, the latest last (at most 20 kept) */
  readonly notices: string[] = [];
  /** the package files installs were given, the latest last (at most 20 kept) */
  readonly files: string[] = [];

  async notify(message: string): Promise<boolean> {
    this.notices.push(message);
    if (this.notices.length > 20) this.notices.shift();
    return true;
  }

  /** installs from a package file the agent downloaded: the machine behaves as for the same update */
  /**
   * Answers a script job as a machine would, deterministically and without running anything: an
   * evaluation fails (exit 1) for about half the scripts, by the machine's seed and the script's text,
   * until a remediation (or installation) after it succeeded; a remediation fails at the machine's
   * failure rate; an ad-hoc run succeeds. A shell the OS does not run fails as the real agent's does.
   */
  async runScripts(steps: readonly ScriptStep[]): Promise<StepOutcome[]> {
    const done: StepOutcome[] = [];
    let evaluated: number | null = null;
    const windows = this.os.family === 'windows';
    for (const step of steps) {
      const prev = done[done.length - 1];
      if (step.when === 'previous-failed' && (!prev || prev.status === 'succeeded')) break;
      const at = new Date(this.clock()).toISOString();
      const key = hashString(step.script.code);
      const fits = windows === (step.script.shell === 'powershell');
      let exit: number;
      if (!fits) exit = 127;
      else if (step.phase === 'evaluation') {
        evaluated = key;
        exit = this.remediated.has(key) || rand(this.seed, key, 7) < 0.5 ? 0 : 1;
      } else if (step.phase === 'run') exit = 0;
      else {
        exit = rand(this.seed, key, ++this.attempts) < this.failureRate ? 1 : 0;
        if (exit === 0 && evaluated !== null) this.remediated.add(evaluated);
      }
      done.push({
        phase: step.phase,
        status: exit === 0 ? 'succeeded' : 'failed',
        exitCode: exit,
        stdout: fits ? `simulated ${step.phase} on ${this.os.family} ${this.os.version}: exit ${exit}\n` : '',
        stderr: fits ? '' : `${step.script.shell}: not found\n`,
        truncated: false,
        startedAt: at,
        finishedAt: at,
      });
    }
    return done;
  }

  async installFile(update: InstallRequest, path: string): Promise<InstallResult> {
    this.files.push(path);
    if (this.files.length > 20) this.files.shift();
    const [r] = await this.install([update]);
    return r!;
  }

  /** The machine restarts: pending reboots are done. */
  reboot(): void {
    this.rebootPkgs = [];
  }

  /** Makes every install of this package fail (or work again), for demos of failure and retry. */
  setBroken(packageName: string, broken: boolean): void {
    if (broken) this.broken.add(packageName);
    else this.broken.delete(packageName);
  }

  /** Updates pending right now, without building the scan result. */
  pendingCount(): number {
    this.advance();
    let n = 0;
    for (let s = 0; s < this.pkgs.length; s++) if (this.feedRev[s]! > this.installedRev[s]!) n++;
    return n;
  }
}

/** The OS families and versions the fleet simulator spreads machines over. */
export const SIMULATED_OSES: readonly SimulatedOs[] = [
  { family: 'debian', version: '12' },
  { family: 'ubuntu', version: '24.04' },
  { family: 'ubuntu', version: '22.04' },
  { family: 'rhel', version: '9.4' },
  { family: 'suse', version: '15-SP5' },
  { family: 'windows', version: '11-24H2' },
  { family: 'macos', version: '14.6' },
];
