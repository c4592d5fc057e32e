// The service loop: check in on the interval, run the jobs the server hands out, and deliver every
// report and job result exactly once, through an outbox that survives an unreachable server and a
// restarted agent (results are idempotent by job id on the server, scans by sequence number).
//
// The settings the server sends (core/agent-settings) are kept with the state, and the jobs received wait
// there too, so the agent keeps its promises while the server is unreachable: an install starts only
// while a maintenance window allows it, a reboot after an install follows the reboot settings, and the
// users are told. Installs never overlap: one at a time in this process, and a lock file across processes
// sharing the state folder.
import { nextInstallOpening, type AgentSettings } from '../core/agent-settings/model.ts';
import type { ScanResult } from './backends/index.ts';
import {
  isCloneRefusal,
  isTransient,
  type CheckInResponse,
  type Job,
  backoffMs,
  jittered,
} from './client.ts';
import { accept, checkIn } from './checkin.ts';
import { installJob } from './installs.ts';
import { flush, queueResult, queueScan, scanAndQueue } from './outbox.ts';
import { auditAndQueue, auditOf } from './audit.ts';
import { rebootIfDue, rebootJob } from './reboots.ts';
import { scriptJob } from './scripts.ts';
import { AgentRuntime, DEFAULT_RELAY_PORT, policyOf, type AgentOptions } from './runtime.ts';

export { AGENT_VERSION, DEFAULT_RELAY_PORT, type AgentOptions } from './runtime.ts';

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

const byId = (a: Job, b: Job) => a.id - b.id;

/** one agent: its parts (check-in, installs, downloads, reboots, outbox) over one shared runtime */
export class Agent {
  private readonly rt: AgentRuntime;

  constructor(o: AgentOptions) {
    this.rt = new AgentRuntime(o);
  }

  /** the check-in interval now (the settings' once the server sent them) */
  get intervalMs(): number {
    return this.rt.intervalMs;
  }

  set intervalMs(ms: number) {
    this.rt.intervalMs = ms;
  }

  /** the settings this agent obeys (the last the server sent), or null before the first check-in */
  async settings(): Promise<AgentSettings | null> {
    return (await this.rt.st()).settings ?? null;
  }

  /**
   * One round: deliver what waits, check in, run the jobs that may run now, reboot when the settings say
   * so, deliver the results. While the server is unreachable the jobs already received still run when
   * their window opens; the round then ends with the transient error, so the loop backs off.
   */
  async cycle(): Promise<CycleOutcome> {
    const st = await this.rt.st();
    if (st.stopped) throw new AgentStoppedError(st.stopped.reason);
    let failure: unknown;
    let sent = 0;
    let res: CheckInResponse | undefined;
    try {
      sent += await flush(this.rt);
      res = await checkIn(this.rt);
    } catch (e) {
      if (isCloneRefusal(e)) {
        st.stopped = { reason: (e as Error).message, at: new Date(this.rt.now()).toISOString() };
        await this.rt.save();
        const stopped = new AgentStoppedError(st.stopped.reason);
        this.rt.log(stopped.message);
        throw stopped;
      }
      if (!isTransient(e)) throw e;
      failure = e;
    }
    if (res) await accept(this.rt, res);
    const jobs = await this.runDue();
    await rebootIfDue(this.rt);
    if (this.rt.needFull && this.rt.lastScan) await queueScan(this.rt, this.rt.lastScan, true);
    if (failure) throw failure;
    sent += await flush(this.rt);
    return { jobs, sent, queued: (await this.rt.o.storage.list()).length };
  }

  /** runs the waiting jobs that may run now, oldest first; returns how many ran */
  private async runDue(): Promise<number> {
    const st = await this.rt.st();
    let n = 0;
    for (const job of Object.values(st.queue ?? {}).sort(byId)) if (await this.runJob(job)) n++;
    return n;
  }

  /** runs one job; false when it was not this agent's to run now (done, running, or waiting) */
  async runJob(job: Job): Promise<boolean> {
    const st = await this.rt.st();
    const seen = st.jobs[job.id];
    if (this.rt.running.has(job.id)) return false;
    if (seen === 'done') {
      await this.rt.dequeue(job.id); // its result waits in the outbox or is on its way
      return false;
    }
    if (job.notBefore && Date.parse(job.notBefore) > this.rt.now()) {
      await this.rt.hold(job, `not before ${job.notBefore}`);
      return false;
    }
    if (seen === 'started') {
      // this agent stopped while running it: the outcome is unknown, so report that rather than repeat it
      await this.rt.dequeue(job.id);
      await queueResult(this.rt, job.id, {
        status: 'failed',
        result: { message: 'the agent stopped while running this job; a fresh scan reports the outcome' },
      });
      await scanAndQueue(this.rt, false);
      return true;
    }
    if (job.kind === 'install') return installJob(this.rt, job);
    if (job.kind === 'script') return scriptJob(this.rt, job);
    this.rt.running.add(job.id);
    try {
      await this.rt.dequeue(job.id);
      st.jobs[job.id] = 'started';
      await this.rt.save();
      try {
        switch (job.kind) {
          case 'scan': {
            await scanAndQueue(this.rt, this.rt.o.refreshOnScan ?? true);
            // a scan job may also ask for an audit of the machine (agent/audit.ts)
            const audit = auditOf(job);
            const audited = audit ? await auditAndQueue(this.rt, job, audit) : {};
            await queueResult(this.rt, job.id, {
              status: 'succeeded',
              result: { updates: this.rt.lastScan?.updates.length ?? 0, ...audited },
            });
            break;
          }
          case 'reboot':
            await rebootJob(this.rt, job);
            break;
          default:
            await queueResult(this.rt, job.id, {
              status: 'failed',
              result: { message: `this agent does not run '${job.kind}' jobs` },
            });
        }
      } catch (e) {
        await queueResult(this.rt, job.id, { status: 'failed', result: { message: (e as Error).message } });
      }
      return true;
    } finally {
      this.rt.running.delete(job.id);
    }
  }

  /** the next moment something waits for (a window opening for a held job, a planned reboot), or null */
  async nextEventAt(): Promise<number | null> {
    const st = await this.rt.st();
    const now = this.rt.now();
    const times: number[] = [];
    for (const job of Object.values(st.queue ?? {})) {
      if (job.notBefore) times.push(Date.parse(job.notBefore));
      if ((job.kind === 'install' || job.kind === 'script') && st.settings) {
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

  /**
   * The service loop, until the signal aborts; backs off with jitter while the server is unreachable, and
   * wakes for a window that opens or a planned reboot before the next check-in. Returns when the server
   * refused this agent for good (a clone): it never checks in again.
   */
  async run(signal: AbortSignal): Promise<void> {
    const st = await this.rt.st();
    if (st.stopped) {
      this.rt.log(new AgentStoppedError(st.stopped.reason).message);
      return;
    }
    // a relay that cannot start (its port is taken) is logged; patching this machine goes on
    const relay = await this.startRelay().catch((e: Error) => {
      this.rt.log(`the relay could not start: ${e.message}`);
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
    const r = this.rt.o.relay;
    if (!r) return undefined;
    const { startRelay } = await import('./relay.ts');
    return startRelay({
      port: this.rt.o.relayPort ?? DEFAULT_RELAY_PORT,
      cacheDir: r.cacheDir,
      ...(r.host ? { host: r.host } : {}),
      ...(r.maxCacheBytes ? { maxCacheBytes: r.maxCacheBytes } : {}),
      packageUrl: (sha) => this.rt.o.client.packageUrl(sha),
      credential: () => this.rt.o.client.credential,
      log: (l) => this.rt.log(l),
    });
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    const random = this.rt.o.random ?? Math.random;
    if (!this.rt.lastScan)
      await scanAndQueue(this.rt, false).catch((e: Error) => this.rt.log(`scan failed: ${e.message}`));
    while (!signal.aborted) {
      let wait: number;
      try {
        const r = await this.cycle();
        if (r.jobs) this.rt.log(`ran ${r.jobs} job(s); ${r.sent} message(s) delivered`);
        failures = 0;
        wait = jittered(this.rt.intervalMs, 0.1, random);
      } catch (e) {
        if (e instanceof AgentStoppedError) return;
        failures++;
        wait = isTransient(e)
          ? Math.max(1000, backoffMs(failures, 5000, this.rt.intervalMs, random))
          : this.rt.intervalMs;
        this.rt.log(`${(e as Error).message}; next try in ${Math.round(wait / 1000)} s`);
      }
      const next = await this.nextEventAt().catch(() => null);
      if (next !== null) wait = Math.min(wait, Math.max(1000, next - this.rt.now()));
      await sleep(wait, signal);
    }
  }

  /** whether the server refused this agent for good */
  async stopped(): Promise<{ reason: string; at: string } | null> {
    return (await this.rt.st()).stopped ?? null;
  }

  /** scans and queues the report (a delta when possible); returns the scan */
  scanAndQueue(refresh: boolean): Promise<ScanResult> {
    return scanAndQueue(this.rt, refresh);
  }

  /**
   * Sends what waits in the outbox, oldest first; stops at the first transient failure (and throws it,
   * so the loop backs off). A message the server rejects for good is dropped with a log line.
   */
  flush(): Promise<number> {
    return flush(this.rt);
  }
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
