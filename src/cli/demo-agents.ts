import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Fleet, progressLine } from '../agent/fleet/fleet.ts';
import type { DemoAgent } from '../services/demo.ts';
import { CliError } from './errors.ts';

// The demo's devices as live simulated agents: `patchline demo` keeps each device's credential and
// simulated machine in the data folder (owner-only, like any credential); `patchline demo --agents` and
// `npm run fleet` (no flags) run them against the server on this machine until stopped (Ctrl-C).

export const DEMO_AGENTS_FILE = 'demo-agents.json';
/** a demo fleet checks in often, so that the console moves while one watches */
export const DEMO_AGENT_INTERVAL_SECONDS = 30;

export const demoAgentsFile = (dataDir: string) => join(resolve(dataDir), DEMO_AGENTS_FILE);

export function saveDemoAgents(dataDir: string, agents: readonly DemoAgent[]): string {
  const file = demoAgentsFile(dataDir);
  mkdirSync(resolve(dataDir), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ version: 1, agents }, null, 1)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function loadDemoAgents(dataDir: string): DemoAgent[] {
  const file = demoAgentsFile(dataDir);
  if (!existsSync(file))
    throw new CliError(
      `no demo devices in ${resolve(dataDir)} (${DEMO_AGENTS_FILE}): run \`npx patchline demo\` first, or give --server and --devices to enroll new simulated devices`,
    );
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; agents?: DemoAgent[] };
  if (parsed.version !== 1 || !Array.isArray(parsed.agents) || !parsed.agents.length)
    throw new CliError(
      `${file} holds no demo devices: run \`npx patchline demo --force\` to make a new demo`,
    );
  return parsed.agents;
}

export interface LiveDemoOptions {
  server: string;
  agents: readonly DemoAgent[];
  intervalSeconds?: number;
  /** stops the agents */
  signal: AbortSignal;
  /** a progress line about every 10 s */
  onProgress?: (line: string) => void;
}

/** the demo's devices check in, scan and run their jobs until `signal` aborts; resolves with a summary line */
export async function runDemoAgents(o: LiveDemoOptions): Promise<string> {
  let last = 0;
  const fleet = new Fleet({
    server: o.server,
    devices: o.agents.length,
    intervalSeconds: o.intervalSeconds ?? DEMO_AGENT_INTERVAL_SECONDS,
    onProgress: (p) => {
      if (p.elapsedSeconds - last < 10) return;
      last = p.elapsedSeconds;
      o.onProgress?.(progressLine(p));
    },
  });
  fleet.adopt(
    o.agents.map((a) => ({
      deviceId: a.deviceId,
      organizationId: a.organizationId,
      credential: a.credential,
      machine: a.machine,
    })),
  );
  const s = await fleet.run(o.signal);
  return `${s.devices} demo devices stopped after ${s.runSeconds} s: ${s.checkins} check-ins, ${s.jobs} jobs run, ${s.errors.total} errors`;
}
