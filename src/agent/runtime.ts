// What the parts of an agent share (agent.ts composes them: check-in, installs, downloads, reboots, the
// outbox): its options, the state kept in its storage, the last scan, and the jobs running now. One
// object, so each part is a plain module of functions over it.
import type { RelaySource } from '../core/agent-settings/model.ts';
import type { Backend, ScanResult } from './backends/index.ts';
import type { Job, ProtocolClient } from './client.ts';
import type { AgentState, AgentStorage } from './storage.ts';

export const AGENT_VERSION = '0.1.0';

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
  /** where script jobs get their private working folders; default `patchline-scripts` in the temporary folder */
  scriptDir?: string;
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

export const policyOf = (job: Job) =>
  typeof job.payload.policyId === 'number' ? job.payload.policyId : undefined;

export class AgentRuntime {
  readonly o: AgentOptions;
  state: AgentState | undefined;
  lastScan: ScanResult | undefined;
  installLock: Promise<unknown> = Promise.resolve();
  needFull = false;
  reportsSinceFull = 0;
  /** jobs this process is running (or waiting to install) right now */
  readonly running = new Set<number>();
  /** held jobs already logged as waiting, so the log says it once */
  readonly heldLogged = new Set<number>();
  intervalMs: number;

  constructor(o: AgentOptions) {
    this.o = o;
    this.intervalMs = (o.intervalSeconds ?? 300) * 1000;
  }

  log(line: string) {
    this.o.log?.(line);
  }

  now(): number {
    return this.o.now?.() ?? Date.now();
  }

  async st(): Promise<AgentState> {
    this.state ??= await this.o.storage.loadState();
    return this.state;
  }

  async save() {
    if (this.state) await this.o.storage.saveState(this.state);
  }

  async dequeue(id: number) {
    const st = await this.st();
    if (st.queue?.[id]) {
      delete st.queue[id];
      await this.save();
    }
  }

  async hold(job: Job, why: string) {
    const st = await this.st();
    (st.queue ??= {})[job.id] = job;
    await this.save();
    if (!this.heldLogged.has(job.id)) {
      this.heldLogged.add(job.id);
      this.log(`job ${job.id} waits: ${why}`);
    }
  }
}
