// What the agent keeps between runs: its state (scan sequence, last snapshot, jobs it has started, the
// settings it obeys offline, jobs waiting for a window, a planned reboot) and an outbox of messages the
// server has not acknowledged yet. On disk for the real agent (each write is atomic: a temporary file
// renamed over the old one), in memory for the thousands of simulated agents.
import type { AuditReport } from '../wire/audit.ts';
import { open, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentSettings } from '../core/agent-settings/model.ts';
import type { Job, JobProgressRequest, JobResultRequest, ScanRequest } from '../wire/agent.ts';

/** a reboot the agent planned after an install (core/agent-settings/model.ts planReboot), epoch ms */
export interface PlannedReboot {
  announceAt: number;
  /** null: nothing automatic, the users are told and reboot themselves */
  rebootAt: number | null;
  announce: boolean;
  message: string;
  announced: boolean;
}

export interface AgentState {
  /** the last scan sequence number this agent used */
  scanSequence: number;
  /** the last snapshot sent: update key → what was reported; null = the next report is a full one */
  lastSnapshot: Record<string, string> | null;
  /** jobs this agent began: 'started' (result not yet queued) or 'done' (result queued or sent) */
  jobs: Record<string, 'started' | 'done'>;
  /** a hash of the inventory last sent with a check-in */
  inventoryHash: string | null;
  /** the settings the server last sent, and their hash (sent back at each check-in) */
  settings?: AgentSettings | null;
  settingsHash?: string | null;
  /** jobs received and not started yet (an install waiting for its maintenance window), by id */
  queue?: Record<string, Job>;
  reboot?: PlannedReboot | null;
  /** set when the server refused this agent for good (a cloned agent): it checks in no more */
  stopped?: { reason: string; at: string } | null;
}

export const emptyState = (): AgentState => ({
  scanSequence: 0,
  lastSnapshot: null,
  jobs: {},
  inventoryHash: null,
});

export type OutboxMessage =
  | { key: string; type: 'progress'; jobId: number; body: JobProgressRequest }
  | { key: string; type: 'result'; jobId: number; body: JobResultRequest }
  | { key: string; type: 'scan'; body: ScanRequest }
  | { key: string; type: 'audit'; body: AuditReport };

export interface AgentStorage {
  loadState(): Promise<AgentState>;
  saveState(s: AgentState): Promise<void>;
  /** adds or replaces a message (by key) */
  put(m: OutboxMessage): Promise<void>;
  /** unsent messages: progress reports first, then audits, results (by job id), then scans by sequence */
  list(): Promise<OutboxMessage[]>;
  remove(key: string): Promise<void>;
  /**
   * Takes the machine-wide install lock (another agent process on the same state folder, e.g. a
   * `run --once` beside the service, must not install at the same time); throws InstallBusyError.
   */
  lockInstalls?(): Promise<() => Promise<void>>;
}

/** another process holds the install lock */
export class InstallBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallBusyError';
  }
}

export const progressKey = (jobId: number) => `progress-${String(jobId).padStart(12, '0')}`;
export const resultKey = (jobId: number) => `result-${String(jobId).padStart(12, '0')}`;
export const scanKey = (sequence: number) => `scan-${String(sequence).padStart(12, '0')}`;

/** an audit goes before the result of the scan job that asked for it (the result says the audit is in) */
export const auditKey = (jobId: number) => `audit-${String(jobId).padStart(12, '0')}`;

const RANK = { progress: 0, audit: 1, result: 2, scan: 3 } as const;
const order = (a: OutboxMessage, b: OutboxMessage) =>
  RANK[a.type] - RANK[b.type] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export class MemoryStorage implements AgentStorage {
  private state: AgentState = emptyState();
  private readonly box = new Map<string, OutboxMessage>();
  async loadState() {
    return structuredClone(this.state);
  }
  async saveState(s: AgentState) {
    this.state = structuredClone(s);
  }
  async put(m: OutboxMessage) {
    this.box.set(m.key, m);
  }
  async list() {
    return [...this.box.values()].sort(order);
  }
  async remove(key: string) {
    this.box.delete(key);
  }
  get size() {
    return this.box.size;
  }
}

let tmpSeq = 0;
async function writeAtomic(path: string, data: string) {
  // a name of its own per write: two writers (an agent and a `run --once` beside it) never share one
  const tmp = `${path}.${process.pid}.${++tmpSeq}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

export class FileStorage implements AgentStorage {
  private readonly dir: string;
  private readonly outbox: string;
  constructor(stateDir: string) {
    this.dir = stateDir;
    this.outbox = join(stateDir, 'outbox');
  }
  private async ready() {
    await mkdir(this.outbox, { recursive: true, mode: 0o700 });
  }
  async loadState(): Promise<AgentState> {
    try {
      return {
        ...emptyState(),
        ...(JSON.parse(await readFile(join(this.dir, 'state.json'), 'utf8')) as AgentState),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw new Error(
        `the agent state ${join(this.dir, 'state.json')} is unreadable: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  async saveState(s: AgentState) {
    await this.ready();
    await writeAtomic(join(this.dir, 'state.json'), JSON.stringify(s));
  }
  async put(m: OutboxMessage) {
    await this.ready();
    await writeAtomic(join(this.outbox, `${m.key}.json`), JSON.stringify(m));
  }
  async list(): Promise<OutboxMessage[]> {
    await this.ready();
    const out: OutboxMessage[] = [];
    for (const f of await readdir(this.outbox)) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.outbox, f), 'utf8')) as OutboxMessage);
      } catch {
        // a message cut short by a crash before its rename cannot exist (atomic writes); skip anything else
      }
    }
    return out.sort(order);
  }
  async remove(key: string) {
    await rm(join(this.outbox, `${key}.json`), { force: true });
  }
  async lockInstalls(): Promise<() => Promise<void>> {
    const path = join(this.dir, 'install.lock');
    if (locksHere.has(path))
      throw new InstallBusyError('another agent of this process is installing updates');
    locksHere.add(path); // at once, before any await: another agent of this process sees it taken
    try {
      await this.ready();
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const f = await open(path, 'wx', 0o600);
          await f.writeFile(String(process.pid));
          await f.close();
          return async () => {
            await rm(path, { force: true });
            locksHere.delete(path);
          };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
          if (pid && pid !== process.pid && alive(pid))
            throw new InstallBusyError(`another agent process (pid ${pid}) is installing updates`);
          await rm(path, { force: true }); // left by a process that is gone
        }
      }
      throw new InstallBusyError(`the install lock ${path} cannot be taken`);
    } catch (e) {
      locksHere.delete(path);
      throw e;
    }
  }
}

/** install locks this process holds (a lock file with our own pid is ours only when listed here) */
const locksHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
