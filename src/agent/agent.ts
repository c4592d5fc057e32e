// The service loop: check in on the interval, run the jobs the server hands out, and deliver every
// report and job result exactly once, through an outbox that survives an unreachable server and a
// restarted agent (results are idempotent by job id on the server, scans by sequence number).
import { createHash } from 'node:crypto';
import type { Backend, InstallRequest, InstallResult, ScanResult } from './backends/index.ts';
import {
  isTransient,
  type CheckInRequest,
  type CheckInResponse,
  type Job,
  type JobResultRequest,
  type ProtocolClient,
  backoffMs,
  jittered,
} from './client.ts';
import { deltaOf, scanToReport, snapshotOf } from './report.ts';
import { resultKey, scanKey, type AgentState, type AgentStorage } from './storage.ts';

export const AGENT_VERSION = '0.1.0';

/** what the server put in an install job (services/agents.ts JobUpdate) */
interface JobUpdate {
  updateId: number;
  kind: string;
  name: string;
  packageName: string | null;
  version: string | null;
  architecture: string | null;
}

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
  /** performs a reboot job; absent = reboot jobs fail with a reason */
  reboot?: () => Promise<void>;
  /** refresh package indexes on scan jobs (apt-get update …); default true */
  refreshOnScan?: boolean;
  /** send a full snapshot every this many reports even without a gap; default 24 */
  fullEvery?: number;
  /** send the installed-package inventory with check-ins when it changed; default true */
  sendInventory?: boolean;
  log?: (line: string) => void;
  random?: () => number;
}

export interface CycleOutcome {
  jobs: number;
  sent: number;
  queued: number;
}

export class Agent {
  private readonly o: AgentOptions;
  private state: AgentState | undefined;
  private lastScan: ScanResult | undefined;
  private installLock: Promise<unknown> = Promise.resolve();
  private needFull = false;
  private reportsSinceFull = 0;
  intervalMs: number;

  constructor(o: AgentOptions) {
    this.o = o;
    this.intervalMs = (o.intervalSeconds ?? 300) * 1000;
  }

  private log(line: string) {
    this.o.log?.(line);
  }

  private async st(): Promise<AgentState> {
    this.state ??= await this.o.storage.loadState();
    return this.state;
  }

  private async save() {
    if (this.state) await this.o.storage.saveState(this.state);
  }

  /** one round: deliver what waits, check in, run the jobs, deliver their results */
  async cycle(): Promise<CycleOutcome> {
    let sent = await this.flush();
    const st = await this.st();
    const res = await this.checkIn();
    this.intervalMs = res.settings.checkinIntervalSeconds * 1000;
    const queuedScans = (await this.o.storage.list()).some((m) => m.type === 'scan');
    if (!queuedScans && res.scanSequence !== st.scanSequence) {
      // the server applied another sequence than this agent last sent (a lost state or a lost report)
      st.scanSequence = Math.max(st.scanSequence, res.scanSequence);
      this.needFull = true;
    }
    let jobs = 0;
    for (const job of res.jobs) if (await this.runJob(job)) jobs++;
    if (this.needFull && this.lastScan) await this.queueScan(this.lastScan, true);
    sent += await this.flush();
    return { jobs, sent, queued: (await this.o.storage.list()).length };
  }

  private async checkIn(): Promise<CheckInResponse> {
    const st = await this.st();
    const body: CheckInRequest = {
      agentVersion: this.o.agentVersion ?? AGENT_VERSION,
      ...(this.o.machineId ? { machineId: this.o.machineId } : {}),
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

  /** runs one delivered job; false when it was not this agent's to run now */
  async runJob(job: Job): Promise<boolean> {
    const st = await this.st();
    const seen = st.jobs[job.id];
    if (seen === 'done') return false; // its result waits in the outbox or is on its way
    if (job.notBefore && Date.parse(job.notBefore) > Date.now()) return false; // handed out again later
    if (seen === 'started') {
      // this agent stopped while running it: the outcome is unknown, so report that rather than repeat it
      await this.queueResult(job.id, {
        status: 'failed',
        result: { message: 'the agent stopped while running this job; a fresh scan reports the outcome' },
      });
      await this.scanAndQueue(false);
      return true;
    }
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
        case 'install':
          await this.install(job);
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
  }

  /** never two installs at once, even when cycles overlap */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.installLock.then(fn, fn);
    this.installLock = run.catch(() => undefined);
    return run;
  }

  private async install(job: Job) {
    const wanted = Array.isArray(job.payload.updates) ? (job.payload.updates as JobUpdate[]) : [];
    const results = await this.exclusive(async () => {
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
      return requests.length ? this.o.backend.install(requests) : ([] as InstallResult[]);
    });
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

  /**
   * Sends what waits in the outbox, oldest first; stops at the first transient failure (and throws it,
   * so the loop backs off). A message the server rejects for good is dropped with a log line.
   */
  async flush(): Promise<number> {
    let sent = 0;
    for (const m of await this.o.storage.list()) {
      try {
        if (m.type === 'result') await this.o.client.jobResult(m.jobId, m.body);
        else {
          const r = await this.o.client.scan(m.body);
          if (r.needFull) {
            for (const x of await this.o.storage.list())
              if (x.type === 'scan') await this.o.storage.remove(x.key);
            this.needFull = true;
            if (this.lastScan) {
              await this.queueScan(this.lastScan, true);
              sent += await this.flush();
            }
            return sent;
          }
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

  /** the service loop, until the signal aborts; backs off with jitter while the server is unreachable */
  async run(signal: AbortSignal): Promise<void> {
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
        failures++;
        wait = isTransient(e)
          ? Math.max(1000, backoffMs(failures, 5000, this.intervalMs, random))
          : this.intervalMs;
        this.log(`${(e as Error).message}; next try in ${Math.round(wait / 1000)} s`);
      }
      await sleep(wait, signal);
    }
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
