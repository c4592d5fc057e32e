// The service loop: check in on the interval, run the jobs the server hands out, and deliver every
// report and job result exactly once, through an outbox that survives an unreachable server and a
// restarted agent (results are idempotent by job id on the server, scans by sequence number).
//
// The settings the server sends (core/agent-settings) are kept with the state, and the jobs received wait
// there too, so the agent keeps its promises while the server is unreachable: an install starts only
// while a maintenance window allows it, a reboot after an install follows the reboot settings, and the
// users are told. Installs never overlap: one at a time in this process, and a lock file across processes
// sharing the state folder.
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installAllowedAt,
  nextInstallOpening,
  planReboot,
  type AgentSettings,
  type RelaySource,
} from '../core/agent-settings/model.ts';
import type { Backend, InstallRequest, InstallResult, ScanResult } from './backends/index.ts';
import {
  downloadPackage,
  isCloneRefusal,
  isTransient,
  type CheckInRequest,
  type CheckInResponse,
  type DownloadSource,
  type Job,
  type JobResultRequest,
  type ProtocolClient,
  backoffMs,
  jittered,
} from './client.ts';
import { deltaOf, scanToReport, snapshotOf } from './report.ts';
import {
  InstallBusyError,
  progressKey,
  resultKey,
  scanKey,
  type AgentState,
  type AgentStorage,
  type OutboxMessage,
} from './storage.ts';

export const AGENT_VERSION = '0.1.0';

/** what the server put in an install job (services/agents.ts JobUpdate) */
interface JobUpdate {
  updateId: number;
  kind: string;
  name: string;
  packageName: string | null;
  version: string | null;
  architecture: string | null;
  package?: { sha256: string; sizeBytes: number | null; sourceUrl: string | null };
}

/** the port a relay serves packages on when nothing else is said (the server's default port) */
export const DEFAULT_RELAY_PORT = 8440;

export interface AgentOptions {
  client: ProtocolClient;
  backend: Backend;
  storage: AgentStorage;
  /** check-in interval until the server says otherwise; default 300 s */
  intervalSeconds?: number;
  agentVersion?: string;
  /** a stable identity of this machine (e.g. /etc/machine-id), sent at check-in so the server can tell a
   * cloned agent (same credential, another machine) from the original */
  machineId?: string;
  /** performs a reboot (a reboot job, or the reboot settings after an install); absent = none happens */
  reboot?: () => Promise<void>;
  /** refresh package indexes on scan jobs (apt-get update …); default true */
  refreshOnScan?: boolean;
  /** send a full snapshot every this many reports even without a gap; default 24 */
  fullEvery?: number;
  /** send the installed-package inventory with check-ins when it changed; default true */
  sendInventory?: boolean;
  log?: (line: string) => void;
  random?: () => number;
  /** the clock (epoch ms) windows and reboots are read against; default Date.now */
  now?: () => number;
  /**
   * A relay's address for a package. Default `http://<hostname>:<relayPort>/agent/v1/packages/<sha256>`:
   * a relay serves the server's package route (agent/relay.ts).
   */
  relayUrl?: (relay: RelaySource, sha256: string) => string;
  relayPort?: number;
  /** where downloaded packages are kept until installed; default the system's temporary folder */
  downloadDir?: string;
  /** the fetch used for package downloads; default the global one */
  fetch?: typeof fetch;
  /**
   * Set on a relay: while `run` runs, this agent serves packages to its network on `relayPort`
   * (agent/relay.ts, loaded only then) from this cache folder, fetching what it lacks from the server.
   */
  relay?: { cacheDir: string; maxCacheBytes?: number; host?: string };
}

export interface CycleOutcome {
  jobs: number;
  sent: number;
  queued: number;
}

/** the server refused this agent for good (its credential belongs to another machine): it stops */
export class AgentStoppedError extends Error {
  constructor(reason: string) {
    super(
      `this agent is stopped: ${reason}. It looks like a copy of another machine's agent: delete its state ` +
        'folder and its config, then enroll this machine again with an install token ("patchline agent enroll")',
    );
    this.name = 'AgentStoppedError';
  }
}

const policyOf = (job: Job) => (typeof job.payload.policyId === 'number' ? job.payload.policyId : undefined);
const byId = (a: Job, b: Job) => a.id - b.id;
const PKG_FILE = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,200}$/;

export class Agent {
  private readonly o: AgentOptions;
  private state: AgentState | undefined;
  private lastScan: ScanResult | undefined;
  private installLock: Promise<unknown> = Promise.resolve();
  private needFull = false;
  private reportsSinceFull = 0;
  /** jobs this process is running (or waiting to install) right now */
  private readonly running = new Set<number>();
  /** held jobs already logged as waiting, so the log says it once */
  private readonly heldLogged = new Set<number>();
  intervalMs: number;

  constructor(o: AgentOptions) {
    this.o = o;
    this.intervalMs = (o.intervalSeconds ?? 300) * 1000;
  }

  private log(line: string) {
    this.o.log?.(line);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private async st(): Promise<AgentState> {
    this.state ??= await this.o.storage.loadState();
    return this.state;
  }

  private async save() {
    if (this.state) await this.o.storage.saveState(this.state);
  }

  /** the settings this agent obeys (the last the server sent), or null before the first check-in */
  async settings(): Promise<AgentSettings | null> {
    return (await this.st()).settings ?? null;
  }

  /**
   * One round: deliver what waits, check in, run the jobs that may run now, reboot when the settings say
   * so, deliver the results. While the server is unreachable the jobs already received still run when
   * their window opens; the round then ends with the transient error, so the loop backs off.
   */
  async cycle(): Promise<CycleOutcome> {
    const st = await this.st();
    if (st.stopped) throw new AgentStoppedError(st.stopped.reason);
    let failure: unknown;
    let sent = 0;
    let res: CheckInResponse | undefined;
    try {
      sent += await this.flush();
      res = await this.checkIn();
    } catch (e) {
      if (isCloneRefusal(e)) {
        st.stopped = { reason: (e as Error).message, at: new Date(this.now()).toISOString() };
        await this.save();
        const stopped = new AgentStoppedError(st.stopped.reason);
        this.log(stopped.message);
        throw stopped;
      }
      if (!isTransient(e)) throw e;
      failure = e;
    }
    if (res) await this.accept(res);
    const jobs = await this.runDue();
    await this.rebootIfDue();
    if (this.needFull && this.lastScan) await this.queueScan(this.lastScan, true);
    if (failure) throw failure;
    sent += await this.flush();
    return { jobs, sent, queued: (await this.o.storage.list()).length };
  }

  /** takes in a check-in's answer: settings, interval, scan sequence, the jobs to run */
  private async accept(res: CheckInResponse) {
    const st = await this.st();
    let changed = false;
    if (res.settings) {
      st.settings = res.settings;
      st.settingsHash = res.settingsHash;
      changed = true;
    }
    if (st.settings) this.intervalMs = st.settings.checkinIntervalSeconds * 1000;
    const queuedScans = (await this.o.storage.list()).some((m) => m.type === 'scan');
    if (!queuedScans && res.scanSequence !== st.scanSequence) {
      // the server applied another sequence than this agent last sent (a lost state or a lost report)
      st.scanSequence = Math.max(st.scanSequence, res.scanSequence);
      this.needFull = true;
      changed = true;
    }
    // the server lists every job not finished: that list is what waits (a job it no longer lists was
    // cancelled or expired, or its result is in)
    const queue: Record<string, Job> = {};
    for (const j of res.jobs) if (st.jobs[j.id] !== 'done' && !this.running.has(j.id)) queue[j.id] = j;
    const ids = (q: Record<string, Job> | undefined) => Object.keys(q ?? {}).join(',');
    if (ids(queue) !== ids(st.queue)) changed = true;
    st.queue = queue;
    if (changed) await this.save(); // an idle round writes nothing
  }

  private async checkIn(): Promise<CheckInResponse> {
    const st = await this.st();
    const body: CheckInRequest = {
      agentVersion: this.o.agentVersion ?? AGENT_VERSION,
      ...(this.o.machineId ? { machineId: this.o.machineId } : {}),
      ...(st.settingsHash && st.settings ? { settingsHash: st.settingsHash } : {}),
    };
    if (this.lastScan && this.o.sendInventory !== false) {
      const packages = this.lastScan.inventory.map(
        (p) => `${p.name}=${p.version}${p.status ? ` (${p.status})` : ''}`,
      );
      const hash = createHash('sha1').update(packages.join('\n')).digest('hex');
      if (hash !== st.inventoryHash) {
        body.inventory = { backend: this.lastScan.backend, packages };
        st.inventoryHash = hash;
      }
    }
    const res = await this.o.client.checkIn(body);
    if (body.inventory) await this.save();
    return res;
  }

  /** runs the waiting jobs that may run now, oldest first; returns how many ran */
  private async runDue(): Promise<number> {
    const st = await this.st();
    let n = 0;
    for (const job of Object.values(st.queue ?? {}).sort(byId)) if (await this.runJob(job)) n++;
    return n;
  }

  private async dequeue(id: number) {
    const st = await this.st();
    if (st.queue?.[id]) {
      delete st.queue[id];
      await this.save();
    }
  }

  private async hold(job: Job, why: string) {
    const st = await this.st();
    (st.queue ??= {})[job.id] = job;
    await this.save();
    if (!this.heldLogged.has(job.id)) {
      this.heldLogged.add(job.id);
      this.log(`job ${job.id} waits: ${why}`);
    }
  }

  /** runs one job; false when it was not this agent's to run now (done, running, or waiting) */
  async runJob(job: Job): Promise<boolean> {
    const st = await this.st();
    const seen = st.jobs[job.id];
    if (this.running.has(job.id)) return false;
    if (seen === 'done') {
      await this.dequeue(job.id); // its result waits in the outbox or is on its way
      return false;
    }
    if (job.notBefore && Date.parse(job.notBefore) > this.now()) {
      await this.hold(job, `not before ${job.notBefore}`);
      return false;
    }
    if (seen === 'started') {
      // this agent stopped while running it: the outcome is unknown, so report that rather than repeat it
      await this.dequeue(job.id);
      await this.queueResult(job.id, {
        status: 'failed',
        result: { message: 'the agent stopped while running this job; a fresh scan reports the outcome' },
      });
      await this.scanAndQueue(false);
      return true;
    }
    if (job.kind === 'install') return this.installJob(job);
    this.running.add(job.id);
    try {
      await this.dequeue(job.id);
      st.jobs[job.id] = 'started';
      await this.save();
      try {
        switch (job.kind) {
          case 'scan':
            await this.scanAndQueue(this.o.refreshOnScan ?? true);
            await this.queueResult(job.id, {
              status: 'succeeded',
              result: { updates: this.lastScan?.updates.length ?? 0 },
            });
            break;
          case 'reboot':
            await this.rebootJob(job);
            break;
          default:
            await this.queueResult(job.id, {
              status: 'failed',
              result: { message: `this agent does not run '${job.kind}' jobs` },
            });
        }
      } catch (e) {
        await this.queueResult(job.id, { status: 'failed', result: { message: (e as Error).message } });
      }
      return true;
    } finally {
      this.running.delete(job.id);
    }
  }

  /** never two installs at once, even when cycles overlap */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.installLock.then(fn, fn);
    this.installLock = run.catch(() => undefined);
    return run;
  }

  /**
   * An install job: one at a time (in this process, and across processes through the storage's lock),
   * started only while the maintenance windows in the settings allow it, with or without the server.
   */
  private installJob(job: Job): Promise<boolean> {
    this.running.add(job.id);
    return this.exclusive(async () => {
      try {
        const st = await this.st();
        const s = st.settings;
        const policyId = policyOf(job);
        if (s && !installAllowedAt(s, this.now(), policyId)) {
          const next = nextInstallOpening(s, this.now(), policyId);
          await this.hold(
            job,
            `no maintenance window allows installs now (${next === null ? 'none opens before ' + s.horizon.end : `next opens ${new Date(next).toISOString()}`})`,
          );
          return false;
        }
        let release: (() => Promise<void>) | undefined;
        try {
          release = await this.o.storage.lockInstalls?.();
        } catch (e) {
          if (!(e instanceof InstallBusyError)) throw e;
          await this.hold(job, e.message);
          this.heldLogged.delete(job.id);
          return false;
        }
        try {
          this.heldLogged.delete(job.id);
          await this.dequeue(job.id);
          st.jobs[job.id] = 'started';
          await this.save();
          try {
            await this.install(job);
          } catch (e) {
            await this.queueResult(job.id, { status: 'failed', result: { message: (e as Error).message } });
          }
          return true;
        } finally {
          await release?.();
        }
      } finally {
        this.running.delete(job.id);
      }
    });
  }

  private async install(job: Job) {
    const st = await this.st();
    const s = st.settings ?? null;
    const wanted = Array.isArray(job.payload.updates) ? (job.payload.updates as JobUpdate[]) : [];
    const mac = this.o.backend.name === 'macos';
    if (s?.notifications.beforeInstall)
      await this.notify(
        (mac ? s.notifications.installMessageMac : null) ??
          s.notifications.installMessage ??
          'Patchline is installing updates on this computer.',
      );
    if (wanted.length)
      await this.reportProgress(
        job.id,
        wanted.map((w) => w.updateId),
      );
    const offered = this.lastScan ?? (await this.o.backend.scan({ refresh: false }));
    const requests: InstallRequest[] = wanted.map((w) => {
      const name = w.kind === 'kb' ? w.name : (w.packageName ?? w.name);
      const match = offered.updates.find(
        (u) =>
          u.name === name &&
          (w.version === null || u.version === w.version) &&
          (!w.architecture || !u.arch || u.arch === w.architecture),
      );
      return {
        id: match?.id ?? (w.architecture ? `${name}:${w.architecture}` : name),
        name,
        ...(w.version !== null ? { version: w.version } : {}),
        ...(w.architecture ? { arch: w.architecture } : {}),
      };
    });
    const results: (InstallResult | undefined)[] = new Array(wanted.length);
    // updates whose package the catalog knows are downloaded by hash (relays, server, vendor when allowed)
    // and installed from the file, where the backend can; the others through the package manager
    const plain: number[] = [];
    for (let i = 0; i < wanted.length; i++) {
      const w = wanted[i]!;
      const installFile = this.o.backend.installFile?.bind(this.o.backend);
      if (!w.package || !installFile) {
        plain.push(i);
        continue;
      }
      let file: string;
      try {
        file = await this.fetchPackage(w, s);
      } catch (e) {
        results[i] = {
          id: requests[i]!.id,
          name: requests[i]!.name,
          status: 'failed',
          exitCode: null,
          message: (e as Error).message,
          newVersion: null,
          rebootRequired: false,
        };
        continue;
      }
      try {
        results[i] = await installFile(requests[i]!, file);
      } finally {
        await rm(file, { force: true }).catch(() => undefined);
      }
    }
    if (plain.length) {
      const r = await this.o.backend.install(plain.map((i) => requests[i]!));
      plain.forEach((i, k) => (results[i] = r[k]));
    }
    // the package manager's database afterwards is the truth: one failing package can make the
    // command fail for others that were installed all the same (apt configures every pending package)
    const after = await this.o.backend.scan({ refresh: false }).catch(() => undefined);
    const updates = wanted.map((w, i) => {
      let r = results[i];
      if (
        r &&
        r.status === 'failed' &&
        after &&
        w.version !== null &&
        installedCleanly(after, r.name, w.version)
      )
        r = {
          ...r,
          status: 'succeeded',
          newVersion: w.version,
          message: `${r.name} ${w.version} installed (the command reported: ${r.message})`,
        };
      return {
        updateId: w.updateId,
        name: w.name,
        version: w.version,
        status: r?.status ?? 'failed',
        exitCode: r?.exitCode ?? null,
        message: r?.message ?? 'the backend returned no result',
        newVersion: r?.newVersion ?? null,
        rebootRequired: r?.rebootRequired ?? false,
      };
    });
    const failed = updates.filter((u) => u.status !== 'succeeded').length;
    const reboot = await this.o.backend.rebootRequired();
    await this.queueResult(job.id, {
      status: failed ? 'failed' : 'succeeded',
      result: { updates, failed, rebootRequired: reboot.required },
    });
    this.log(`job ${job.id}: installed ${updates.length - failed} of ${updates.length} update(s)`);
    if (after) {
      this.lastScan = after;
      await this.queueScan(after, false);
    } else await this.scanAndQueue(false);
    if (reboot.required) await this.planRebootAfterInstall();
  }

  private relayUrl(relay: RelaySource, sha256: string): string {
    if (this.o.relayUrl) return this.o.relayUrl(relay, sha256);
    const host = relay.hostname || relay.ipAddresses[0] || relay.name;
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `http://${h}:${this.o.relayPort ?? DEFAULT_RELAY_PORT}/agent/v1/packages/${sha256}`;
  }

  /** downloads an update's package by hash from the settings' sources into a file; returns its path */
  private async fetchPackage(w: JobUpdate, s: AgentSettings | null): Promise<string> {
    const pkg = w.package!;
    const sources: DownloadSource[] = [
      ...(s?.packageSources.relays ?? []).map((r) => ({
        kind: 'relay' as const,
        url: this.relayUrl(r, pkg.sha256),
      })),
      { kind: 'server', url: this.o.client.packageUrl(pkg.sha256) },
      ...(pkg.sourceUrl ? [{ kind: 'direct' as const, url: pkg.sourceUrl }] : []),
    ];
    const got = await downloadPackage(pkg.sha256, sources, {
      allowDirect: s?.packageSources.directDownload ?? true,
      ...(this.o.client.credential ? { credential: this.o.client.credential } : {}),
      ...(this.o.fetch ? { fetch: this.o.fetch } : {}),
    });
    for (const a of got.attempts)
      this.log(`package ${pkg.sha256.slice(0, 12)}: ${a.kind} ${a.url}: ${a.error}`);
    const dir = join(this.o.downloadDir ?? tmpdir(), `patchline-${pkg.sha256.slice(0, 16)}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fromUrl = pkg.sourceUrl
      ? decodeURIComponent(new URL(pkg.sourceUrl).pathname.split('/').pop() ?? '')
      : '';
    const ext = this.o.backend.name === 'apt' ? 'deb' : this.o.backend.name === 'simulated' ? 'pkg' : 'rpm';
    const name = PKG_FILE.test(fromUrl)
      ? fromUrl
      : `${(w.packageName ?? w.name).replace(/[^A-Za-z0-9.+~-]/g, '_')}_${(w.version ?? '').replace(/[^A-Za-z0-9.+~-]/g, '_')}.${ext}`;
    const file = join(dir, name);
    await writeFile(file, got.bytes, { mode: 0o600 });
    this.log(`package ${pkg.sha256.slice(0, 12)} (${w.name}) from ${got.source.kind} ${got.source.url}`);
    return file;
  }

  /** tells the machine's users (through the backend: `wall` on Linux), and always logs it */
  private async notify(message: string) {
    const shown = (await this.o.backend.notify?.(message).catch(() => false)) ?? false;
    this.log(`notice${shown ? '' : ' (logged only: no way to reach the users)'}: ${message}`);
  }

  /** after an install that needs a reboot: plan it as the settings say (unless one is planned) */
  private async planRebootAfterInstall() {
    const st = await this.st();
    if (st.reboot) return;
    const s = st.settings;
    if (!s) {
      this.log('a restart is needed; no settings yet, so the users decide');
      return;
    }
    const plan = planReboot(s, this.now());
    if (!plan) {
      this.log('a restart is needed; the settings suppress reboots: the device stays "reboot required"');
      return;
    }
    st.reboot = { ...plan, announced: false };
    await this.save();
  }

  /** announces and performs a planned reboot when its time has come (with or without the server) */
  private async rebootIfDue() {
    const st = await this.st();
    const r = st.reboot;
    if (!r) return;
    if (!(await this.o.backend.rebootRequired()).required) {
      st.reboot = null; // the machine restarted meanwhile
      await this.save();
      return;
    }
    const now = this.now();
    if (r.announce && !r.announced && now >= r.announceAt) {
      const when =
        r.rebootAt === null
          ? ' Please restart the computer when convenient.'
          : r.rebootAt <= now
            ? ' The computer restarts now.'
            : ` The computer restarts at ${new Date(r.rebootAt).toISOString()}.`;
      await this.notify(`${r.message}${/[.!?]$/.test(r.message) ? '' : '.'}${when}`);
      r.announced = true;
      await this.save();
    }
    if (r.rebootAt === null) {
      if (!r.announce || r.announced) {
        st.reboot = null;
        await this.save();
      }
      return;
    }
    if (now < r.rebootAt) return;
    st.reboot = null;
    await this.save();
    if (!this.o.reboot) {
      this.log('a restart is due, but rebooting is not enabled on this agent (set "rebootCommand")');
      return;
    }
    this.log('restarting the computer, as the reboot settings say');
    await this.flush().catch(() => 0);
    await this.o.reboot();
  }

  /** the next moment something waits for (a window opening for a held job, a planned reboot), or null */
  async nextEventAt(): Promise<number | null> {
    const st = await this.st();
    const now = this.now();
    const times: number[] = [];
    for (const job of Object.values(st.queue ?? {})) {
      if (job.notBefore) times.push(Date.parse(job.notBefore));
      if (job.kind === 'install' && st.settings) {
        const t = nextInstallOpening(st.settings, now, policyOf(job));
        if (t !== null) times.push(t);
      }
    }
    if (st.reboot) {
      if (st.reboot.announce && !st.reboot.announced) times.push(st.reboot.announceAt);
      if (st.reboot.rebootAt !== null) times.push(st.reboot.rebootAt);
    }
    const future = times.filter((t) => t > now);
    return future.length ? Math.min(...future) : null;
  }

  private async rebootJob(job: Job) {
    if (!this.o.reboot) {
      await this.queueResult(job.id, {
        status: 'failed',
        result: { message: 'rebooting is not enabled on this agent: set "rebootCommand" in its config' },
      });
      return;
    }
    // the result goes first: after the reboot the job must not run again
    await this.queueResult(job.id, { status: 'succeeded', result: { rebooting: true } });
    await this.flush().catch(() => 0);
    await this.o.reboot();
  }

  private async queueResult(jobId: number, body: JobResultRequest) {
    const st = await this.st();
    await this.o.storage.put({ key: resultKey(jobId), type: 'result', jobId, body });
    st.jobs[jobId] = 'done';
    // keep the memory of finished jobs bounded: the server stops handing out a job once its result is in
    const ids = Object.keys(st.jobs);
    if (ids.length > 500) for (const id of ids.slice(0, ids.length - 500)) delete st.jobs[id];
    await this.save();
  }

  /** scans and queues the report (a delta when possible); returns the scan */
  async scanAndQueue(refresh: boolean): Promise<ScanResult> {
    const scan = await this.o.backend.scan({ refresh });
    this.lastScan = scan;
    await this.queueScan(scan, false);
    return scan;
  }

  private async queueScan(scan: ScanResult, forceFull: boolean) {
    const st = await this.st();
    const updates = scanToReport(scan);
    const full =
      forceFull ||
      this.needFull ||
      st.lastSnapshot === null ||
      this.reportsSinceFull >= (this.o.fullEvery ?? 24);
    if (full) {
      // a full snapshot supersedes every report still waiting
      for (const m of await this.o.storage.list()) if (m.type === 'scan') await this.o.storage.remove(m.key);
      this.reportsSinceFull = 0;
      this.needFull = false;
    } else this.reportsSinceFull++;
    const reboot = await this.o.backend.rebootRequired();
    st.scanSequence++;
    await this.o.storage.put({
      key: scanKey(st.scanSequence),
      type: 'scan',
      body: {
        sequence: st.scanSequence,
        full,
        updates: full ? updates : deltaOf(st.lastSnapshot ?? {}, updates),
        rebootRequired: reboot.required,
      },
    });
    st.lastSnapshot = snapshotOf(updates);
    await this.save();
  }

  /** sends one message (a scan report may come back asking for a full snapshot instead) */
  private async send(m: OutboxMessage): Promise<'sent' | 'needFull'> {
    if (m.type === 'progress') await this.o.client.jobProgress(m.jobId, m.body);
    else if (m.type === 'result') await this.o.client.jobResult(m.jobId, m.body);
    else if ((await this.o.client.scan(m.body)).needFull) return 'needFull';
    return 'sent';
  }

  /**
   * Reports that an install started (its updates become "installing" on the server): through the outbox,
   * sent at once when the server is reachable, later (before the result) when it is not.
   */
  private async reportProgress(jobId: number, updateIds: number[]) {
    const m: OutboxMessage = {
      key: progressKey(jobId),
      type: 'progress',
      jobId,
      body: { stage: 'installing', updateIds },
    };
    await this.o.storage.put(m);
    try {
      await this.send(m);
      await this.o.storage.remove(m.key);
    } catch (e) {
      if (isTransient(e)) return; // it waits in the outbox
      this.log(`dropped ${m.key}: ${(e as Error).message}`);
      await this.o.storage.remove(m.key);
    }
  }

  /**
   * Sends what waits in the outbox, oldest first; stops at the first transient failure (and throws it,
   * so the loop backs off). A message the server rejects for good is dropped with a log line.
   */
  async flush(): Promise<number> {
    let sent = 0;
    for (const m of await this.o.storage.list()) {
      try {
        if ((await this.send(m)) === 'needFull') {
          for (const x of await this.o.storage.list())
            if (x.type === 'scan') await this.o.storage.remove(x.key);
          this.needFull = true;
          if (this.lastScan) {
            await this.queueScan(this.lastScan, true);
            sent += await this.flush();
          }
          return sent;
        }
        await this.o.storage.remove(m.key);
        sent++;
      } catch (e) {
        if (isTransient(e)) throw e;
        this.log(`dropped ${m.key}: ${(e as Error).message}`);
        await this.o.storage.remove(m.key);
      }
    }
    return sent;
  }

  /**
   * The service loop, until the signal aborts; backs off with jitter while the server is unreachable, and
   * wakes for a window that opens or a planned reboot before the next check-in. Returns when the server
   * refused this agent for good (a clone): it never checks in again.
   */
  async run(signal: AbortSignal): Promise<void> {
    const st = await this.st();
    if (st.stopped) {
      this.log(new AgentStoppedError(st.stopped.reason).message);
      return;
    }
    // a relay that cannot start (its port is taken) is logged; patching this machine goes on
    const relay = await this.startRelay().catch((e: Error) => {
      this.log(`the relay could not start: ${e.message}`);
      return undefined;
    });
    try {
      await this.loop(signal);
    } finally {
      await relay?.close();
    }
  }

  /** the relay's package server, when this agent is a relay (its module is loaded only then) */
  private async startRelay() {
    const r = this.o.relay;
    if (!r) return undefined;
    const { startRelay } = await import('./relay.ts');
    return startRelay({
      port: this.o.relayPort ?? DEFAULT_RELAY_PORT,
      cacheDir: r.cacheDir,
      ...(r.host ? { host: r.host } : {}),
      ...(r.maxCacheBytes ? { maxCacheBytes: r.maxCacheBytes } : {}),
      packageUrl: (sha) => this.o.client.packageUrl(sha),
      credential: () => this.o.client.credential,
      log: (l) => this.log(l),
    });
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    const random = this.o.random ?? Math.random;
    if (!this.lastScan)
      await this.scanAndQueue(false).catch((e: Error) => this.log(`scan failed: ${e.message}`));
    while (!signal.aborted) {
      let wait: number;
      try {
        const r = await this.cycle();
        if (r.jobs) this.log(`ran ${r.jobs} job(s); ${r.sent} message(s) delivered`);
        failures = 0;
        wait = jittered(this.intervalMs, 0.1, random);
      } catch (e) {
        if (e instanceof AgentStoppedError) return;
        failures++;
        wait = isTransient(e)
          ? Math.max(1000, backoffMs(failures, 5000, this.intervalMs, random))
          : this.intervalMs;
        this.log(`${(e as Error).message}; next try in ${Math.round(wait / 1000)} s`);
      }
      const next = await this.nextEventAt().catch(() => null);
      if (next !== null) wait = Math.min(wait, Math.max(1000, next - this.now()));
      await sleep(wait, signal);
    }
  }

  /** whether the server refused this agent for good */
  async stopped(): Promise<{ reason: string; at: string } | null> {
    return (await this.st()).stopped ?? null;
  }
}

/** the package is at exactly this version, fully installed, and not offered as an update any more */
function installedCleanly(scan: ScanResult, name: string, version: string): boolean {
  const p = scan.inventory.find((x) => x.name === name && x.version === version);
  return !!p && !p.status && !scan.updates.some((u) => u.name === name && u.version === version);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
