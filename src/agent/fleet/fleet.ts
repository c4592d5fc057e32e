// The fleet simulator: N simulated agents in one process, spread over several organizations and OS
// families, each checking in on its own interval with jitter, running the jobs it gets like a real agent
// (the same Agent class, with the SimulatedBackend and an in-memory outbox). Bounded in count and time,
// and it talks only to a server on this machine.
import { Agent } from '../agent.ts';
import { SimulatedBackend, type OsFamily } from '../backends/simulated.ts';
import { ProtocolClient } from '../client.ts';
import type { AgentOptions } from '../runtime.ts';
import { MemoryStorage } from '../storage.ts';
import { ErrorCounts, Latencies, type LatencySummary } from './stats.ts';

export const MAX_DEVICES = 200_000;
export const MAX_DURATION_SECONDS = 3600;

export const OS_MIX: readonly {
  family: OsFamily;
  version: string;
  protocolFamily: 'linux' | 'windows' | 'macos';
}[] = [
  { family: 'windows', version: '11-24H2', protocolFamily: 'windows' },
  { family: 'debian', version: '12', protocolFamily: 'linux' },
  { family: 'ubuntu', version: '24.04', protocolFamily: 'linux' },
  { family: 'windows', version: '10-22H2', protocolFamily: 'windows' },
  { family: 'rhel', version: '9.4', protocolFamily: 'linux' },
  { family: 'suse', version: '15-SP5', protocolFamily: 'linux' },
  { family: 'macos', version: '14.6', protocolFamily: 'macos' },
];

export interface FleetOptions {
  server: string;
  devices: number;
  orgs?: number;
  /** seconds between one device's check-ins (±10% jitter); default 300 */
  intervalSeconds?: number;
  /** how long to run after enrollment; default 60 */
  durationSeconds?: number;
  /** an admin API key, or username and password */
  apiKey?: string;
  username?: string;
  password?: string;
  /** each device sends a full scan after enrolling; default true */
  initialScan?: boolean;
  /** parallel enrollments; default 32 */
  enrollConcurrency?: number;
  /** called about once a second */
  onProgress?: (p: FleetProgress) => void;
  /** allow a server that is not on this machine (tests and benchmarks never need it) */
  allowRemote?: boolean;
}

export interface FleetProgress {
  phase: 'enrolling' | 'running';
  enrolled: number;
  devices: number;
  checkins: number;
  errors: number;
  elapsedSeconds: number;
}

export interface FleetSummary {
  devices: number;
  organizations: number[];
  enrollSeconds: number;
  runSeconds: number;
  checkins: number;
  checkinsPerSecond: number;
  checkinLatencyMs: LatencySummary;
  requests: Record<string, LatencySummary>;
  jobs: number;
  errors: { total: number; top: { message: string; count: number }[] };
}

/** the simulated machine an adopted device runs on (SimulatedMachine's options) */
export interface AdoptedMachine {
  seed: number;
  family: OsFamily;
  version: string;
  packageCount: number;
  updatesPerDay: number;
  /** epoch ms */
  feedStart: number;
}

export interface SimulatedDevice {
  deviceId: number;
  organizationId: number;
  credential: string;
  agent: Agent;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function checkFleetOptions(o: FleetOptions): string[] {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(o.server);
  } catch {
    problems.push(`--server must be a URL, got "${o.server}"`);
  }
  if (url && !o.allowRemote && !LOOPBACK.has(url.hostname))
    problems.push(`--server must be on this machine (127.0.0.1, localhost or ::1), got ${url.hostname}`);
  if (!Number.isSafeInteger(o.devices) || o.devices < 1 || o.devices > MAX_DEVICES)
    problems.push(`--devices must be an integer from 1 to ${MAX_DEVICES}`);
  const orgs = o.orgs ?? 1;
  if (!Number.isSafeInteger(orgs) || orgs < 1 || orgs > Math.min(1000, o.devices || 1))
    problems.push('--orgs must be an integer from 1 to the number of devices (at most 1000)');
  const interval = o.intervalSeconds ?? 300;
  if (!(interval > 0 && interval <= 86_400))
    problems.push('--interval must be a number of seconds from 0 to 86400');
  const duration = o.durationSeconds ?? 60;
  if (!(duration > 0 && duration <= MAX_DURATION_SECONDS))
    problems.push(`--duration must be a number of seconds from 0 to ${MAX_DURATION_SECONDS}`);
  return problems;
}

async function adminToken(o: FleetOptions): Promise<string> {
  if (o.apiKey) return o.apiKey;
  if (!o.username || !o.password) throw new Error('give --api-key, or --username and --password');
  const r = await fetch(`${o.server}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: o.username, password: o.password }),
  });
  const b = (await r.json()) as { token?: string; detail?: string };
  if (!r.ok || !b.token) throw new Error(`sign-in as ${o.username} failed (${r.status}): ${b.detail ?? ''}`);
  return b.token;
}

async function adminPost<T>(server: string, token: string, path: string, body: unknown): Promise<T> {
  const r = await fetch(`${server}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const b = (await r.json()) as T & { detail?: string };
  if (!r.ok) throw new Error(`POST ${path} answered ${r.status}: ${b.detail ?? ''}`);
  return b;
}

/** runs `fn` over `items` with at most `n` at a time */
async function pool<T>(items: readonly T[], n: number, fn: (x: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export class Fleet {
  readonly o: FleetOptions;
  readonly devices: SimulatedDevice[] = [];
  readonly organizations: number[] = [];
  readonly requests = new Map<string, Latencies>();
  readonly errors = new ErrorCounts();
  checkins = 0;
  jobs = 0;
  private enrollSeconds = 0;

  constructor(o: FleetOptions) {
    const problems = checkFleetOptions(o);
    if (problems.length) throw new Error(`the fleet options are not valid: ${problems.join('; ')}`);
    this.o = { ...o, server: o.server.replace(/\/+$/, '') };
  }

  /** a fetch that records each request's latency by route */
  private measuredFetch: typeof fetch = async (input, init) => {
    const route = String(input)
      .replace(/^https?:\/\/[^/]+/, '')
      .replace(/\/\d+\//g, '/{id}/');
    const t = performance.now();
    const res = await fetch(input, init);
    const body = await res.arrayBuffer();
    let l = this.requests.get(route);
    if (!l) this.requests.set(route, (l = new Latencies()));
    l.add(performance.now() - t);
    return new Response(body, { status: res.status, headers: res.headers });
  };

  /** creates the organizations and their install tokens, and enrolls every device */
  async enroll(): Promise<void> {
    const started = performance.now();
    const token = await adminToken(this.o);
    const stamp = new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15);
    const tokens: string[] = [];
    for (let k = 0; k < (this.o.orgs ?? 1); k++) {
      const org = await adminPost<{ id: number }>(this.o.server, token, '/organizations', {
        name: `fleet ${stamp} #${k + 1}`,
      });
      this.organizations.push(org.id);
      const t = await adminPost<{ token: string }>(
        this.o.server,
        token,
        `/organizations/${org.id}/install-tokens`,
        {
          name: 'fleet simulator',
        },
      );
      tokens.push(t.token);
    }
    const slots = Array.from({ length: this.o.devices }, (_, i) => i);
    let lastTick = 0;
    await pool(slots, this.o.enrollConcurrency ?? 32, async (i) => {
      const os = OS_MIX[i % OS_MIX.length]!;
      const client = new ProtocolClient({
        server: this.o.server,
        fetch: this.measuredFetch,
        timeoutMs: 60_000,
      });
      try {
        const e = await client.enroll({
          token: tokens[i % tokens.length]!,
          name: `sim-${String(i + 1).padStart(6, '0')}`,
          osFamily: os.protocolFamily,
          osName: os.family,
          osVersion: os.version,
          agentVersion: 'simulated',
        });
        client.credential = e.credential;
        const agent = this.simulatedAgent(i, client, { reboot: async () => undefined });
        if (this.o.initialScan !== false) {
          await agent.scanAndQueue(false);
          await agent.flush();
        }
        this.devices.push({
          deviceId: e.deviceId,
          organizationId: e.organizationId,
          credential: e.credential,
          agent,
        });
      } catch (err) {
        this.errors.add(err);
      }
      const now = performance.now();
      if (now - lastTick > 1000) {
        lastTick = now;
        this.progress('enrolling', started);
      }
    });
    this.enrollSeconds = (performance.now() - started) / 1000;
  }

  /**
   * takes over devices enrolled some other way (a benchmark that provisions them in bulk, the demo's
   * devices), each on its own simulated machine when `machine` says which
   */
  adopt(
    devices: readonly {
      deviceId: number;
      organizationId: number;
      credential: string;
      machine?: AdoptedMachine;
    }[],
  ) {
    devices.forEach(({ machine, ...d }, i) => {
      const client = new ProtocolClient({
        server: this.o.server,
        credential: d.credential,
        fetch: this.measuredFetch,
        timeoutMs: 60_000,
      });
      this.devices.push({ ...d, agent: this.simulatedAgent(i, client, {}, machine) });
    });
  }

  /** the agent of device `i`: a simulated machine of its OS (or the one given), in memory, without inventory */
  private simulatedAgent(
    i: number,
    client: ProtocolClient,
    extra: Pick<AgentOptions, 'reboot'> = {},
    machine?: AdoptedMachine,
  ): Agent {
    const os = OS_MIX[i % OS_MIX.length]!;
    return new Agent({
      client,
      backend: new SimulatedBackend(
        machine
          ? {
              seed: machine.seed,
              os: { family: machine.family, version: machine.version },
              packageCount: machine.packageCount,
              updatesPerDay: machine.updatesPerDay,
              feedStart: machine.feedStart,
              failureRate: 0.06,
              backlog: 4,
            }
          : { seed: i + 1, os: { family: os.family, version: os.version }, packageCount: 25 },
      ),
      storage: new MemoryStorage(),
      intervalSeconds: this.o.intervalSeconds ?? 300,
      sendInventory: false,
      ...extra,
    });
  }

  private progress(phase: FleetProgress['phase'], started: number) {
    this.o.onProgress?.({
      phase,
      enrolled: this.devices.length,
      devices: this.o.devices,
      checkins: this.checkins,
      errors: this.errors.total,
      elapsedSeconds: (performance.now() - started) / 1000,
    });
  }

  /**
   * every device checks in on its interval (first at a random point of it) until the duration ends, or,
   * given `until`, until it is aborted (the duration does not apply then)
   */
  async run(until?: AbortSignal): Promise<FleetSummary> {
    const intervalMs = (this.o.intervalSeconds ?? 300) * 1000;
    const durationMs = (this.o.durationSeconds ?? 60) * 1000;
    const started = performance.now();
    const end = until ? Number.POSITIVE_INFINITY : started + durationMs;
    const sleep = (ms: number) =>
      new Promise<void>((r) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          until?.removeEventListener('abort', done);
          r();
        }
        until?.addEventListener('abort', done, { once: true });
      });
    const checkinsBefore = this.requests.get('/agent/v1/checkin')?.count ?? 0;
    const ticker = setInterval(() => this.progress('running', started), 1000);
    await Promise.all(
      this.devices.map(async (d) => {
        let wait = Math.random() * intervalMs;
        for (;;) {
          if (until?.aborted || performance.now() + wait >= end) return;
          await sleep(wait);
          if (until?.aborted) return;
          try {
            const r = await d.agent.cycle();
            this.jobs += r.jobs;
          } catch (e) {
            this.errors.add(e);
          }
          this.checkins++;
          wait = intervalMs * (0.9 + 0.2 * Math.random()); // the fleet's interval, not the server's setting
        }
      }),
    );
    clearInterval(ticker);
    const runSeconds = (performance.now() - started) / 1000;
    this.progress('running', started);
    const requests: Record<string, LatencySummary> = {};
    for (const [route, l] of this.requests) requests[route] = l.summary();
    const checkin = this.requests.get('/agent/v1/checkin');
    return {
      devices: this.devices.length,
      organizations: this.organizations,
      enrollSeconds: Math.round(this.enrollSeconds * 10) / 10,
      runSeconds: Math.round(runSeconds * 10) / 10,
      checkins: this.checkins,
      checkinsPerSecond: Math.round(((checkin?.count ?? 0) - checkinsBefore) / runSeconds),
      checkinLatencyMs: checkin?.summary() ?? new Latencies().summary(),
      requests,
      jobs: this.jobs,
      errors: { total: this.errors.total, top: this.errors.top() },
    };
  }
}

/** enroll, run, summarise */
export async function runFleet(o: FleetOptions): Promise<FleetSummary> {
  const fleet = new Fleet(o);
  await fleet.enroll();
  return fleet.run();
}

export function progressLine(p: FleetProgress): string {
  return p.phase === 'enrolling'
    ? `enrolling ${p.enrolled}/${p.devices} devices, ${p.errors} errors, ${p.elapsedSeconds.toFixed(0)} s`
    : `running: ${p.checkins} check-ins (${(p.checkins / Math.max(1, p.elapsedSeconds)).toFixed(0)}/s), ${p.errors} errors, ${p.elapsedSeconds.toFixed(0)} s`;
}

export function formatSummary(s: FleetSummary): string {
  const l = s.checkinLatencyMs;
  const lines = [
    `devices: ${s.devices} in ${s.organizations.length} organization(s), enrolled in ${s.enrollSeconds} s`,
    `check-ins: ${s.checkins} in ${s.runSeconds} s (${s.checkinsPerSecond}/s), jobs run: ${s.jobs}`,
    `check-in latency ms: p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}`,
    `errors: ${s.errors.total}`,
    ...s.errors.top.map((e) => `  ${e.count} × ${e.message}`),
  ];
  return lines.join('\n');
}
