// What the agent keeps between runs: its state (scan sequence, last snapshot, jobs it has started) and
// an outbox of messages the server has not acknowledged yet. On disk for the real agent (each write is
// atomic: a temporary file renamed over the old one), in memory for the thousands of simulated agents.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobResultRequest, ScanRequest } from './client.ts';

export interface AgentState {
  /** the last scan sequence number this agent used */
  scanSequence: number;
  /** the last snapshot sent: update key → what was reported; null = the next report is a full one */
  lastSnapshot: Record<string, string> | null;
  /** jobs this agent began: 'started' (result not yet queued) or 'done' (result queued or sent) */
  jobs: Record<string, 'started' | 'done'>;
  /** a hash of the inventory last sent with a check-in */
  inventoryHash: string | null;
}

export const emptyState = (): AgentState => ({
  scanSequence: 0,
  lastSnapshot: null,
  jobs: {},
  inventoryHash: null,
});

export type OutboxMessage =
  | { key: string; type: 'result'; jobId: number; body: JobResultRequest }
  | { key: string; type: 'scan'; body: ScanRequest };

export interface AgentStorage {
  loadState(): Promise<AgentState>;
  saveState(s: AgentState): Promise<void>;
  /** adds or replaces a message (by key) */
  put(m: OutboxMessage): Promise<void>;
  /** unsent messages: results first (by job id), then scans by sequence */
  list(): Promise<OutboxMessage[]>;
  remove(key: string): Promise<void>;
}

export const resultKey = (jobId: number) => `result-${String(jobId).padStart(12, '0')}`;
export const scanKey = (sequence: number) => `scan-${String(sequence).padStart(12, '0')}`;

const order = (a: OutboxMessage, b: OutboxMessage) =>
  a.type === b.type ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.type === 'result' ? -1 : 1;

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

async function writeAtomic(path: string, data: string) {
  const tmp = `${path}.tmp`;
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
}
