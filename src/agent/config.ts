// The agent's config file: where the server is, the device credential, which backend drives the machine,
// and the folder where the agent keeps its state and its queue of unsent reports.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BackendConfig } from './backends/index.ts';

export const BACKEND_KINDS = ['apt', 'dnf', 'zypper', 'windows', 'macos', 'simulated'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export const DEFAULT_CONFIG_PATH = '/etc/patchline/agent.json';
export const DEFAULT_STATE_DIR = '/var/lib/patchline-agent';

export interface AgentConfig {
  /** the server's base URL, e.g. https://patch.example.com */
  server: string;
  deviceId: number;
  organizationId: number;
  /** the device credential enrollment returned */
  credential: string;
  /** the backend and its options (the `kind` picks it) */
  backend: BackendConfig;
  /** folder for state.json and the outbox of unsent messages */
  stateDir: string;
  /** seconds between check-ins; the server's setting replaces it after the first check-in */
  checkinIntervalSeconds: number;
  /** the command a reboot runs (e.g. ["systemctl", "reboot"]); absent = reboot jobs fail, planned reboots are skipped */
  rebootCommand?: string[];
  /** the file holding this machine's id; default /etc/machine-id, else /var/lib/dbus/machine-id */
  machineIdPath?: string;
  /** the port relays serve packages on; default 8440 (this agent's too, when it is a relay) */
  relayPort?: number;
  /**
   * Present on a relay (a device marked `isRelay` on the server): the agent also serves packages to its
   * network on `relayPort` (agent/relay.ts), cached in the state folder's relay-cache.
   */
  relay?: RelayConfig;
}

export interface RelayConfig {
  /** the cache's size cap in bytes; default 10 GiB (the least recently served packages go first) */
  maxCacheBytes?: number;
  /** the address to listen on; default every interface */
  host?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** checks a parsed config file; every problem is named with its field */
export function parseConfig(raw: unknown, source = 'the agent config'): AgentConfig {
  const problems: string[] = [];
  const o = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) problems.push('must be a JSON object');
  const str = (k: string) => typeof o[k] === 'string' && (o[k] as string).length > 0;
  if (!str('server')) problems.push('"server" must be the server URL');
  else if (!/^https?:\/\//.test(o.server as string))
    problems.push('"server" must start with http:// or https://');
  if (!str('credential'))
    problems.push('"credential" must be the device credential (run "patchline agent enroll")');
  if (!str('stateDir')) problems.push('"stateDir" must be a folder path');
  for (const k of ['deviceId', 'organizationId', 'checkinIntervalSeconds'])
    if (!Number.isSafeInteger(o[k]) || (o[k] as number) <= 0)
      problems.push(`"${k}" must be a positive integer`);
  const b = o.backend as { kind?: unknown } | undefined;
  if (!b || typeof b !== 'object' || !(BACKEND_KINDS as readonly unknown[]).includes(b.kind))
    problems.push(`"backend.kind" must be one of ${BACKEND_KINDS.join(', ')}`);
  if (
    o.rebootCommand !== undefined &&
    !(
      Array.isArray(o.rebootCommand) &&
      o.rebootCommand.length > 0 &&
      o.rebootCommand.every((x) => typeof x === 'string')
    )
  )
    problems.push('"rebootCommand" must be a non-empty list of strings');
  if (o.machineIdPath !== undefined && !str('machineIdPath'))
    problems.push('"machineIdPath" must be the path of the file holding the machine id');
  if (
    o.relayPort !== undefined &&
    !(Number.isInteger(o.relayPort) && (o.relayPort as number) > 0 && (o.relayPort as number) < 65536)
  )
    problems.push('"relayPort" must be a port number');
  if (o.relay !== undefined) {
    const r = o.relay as Record<string, unknown> | null;
    if (!r || typeof r !== 'object' || Array.isArray(r)) problems.push('"relay" must be an object');
    else {
      if (
        r.maxCacheBytes !== undefined &&
        !(Number.isSafeInteger(r.maxCacheBytes) && (r.maxCacheBytes as number) > 0)
      )
        problems.push('"relay.maxCacheBytes" must be a positive number of bytes');
      if (r.host !== undefined && !(typeof r.host === 'string' && r.host.length > 0))
        problems.push('"relay.host" must be the address to listen on');
    }
  }
  if (problems.length) throw new ConfigError(`${source} is not valid: ${problems.join('; ')}`);
  return o as unknown as AgentConfig;
}

export async function loadConfig(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConfigError(
        `no agent config at ${path}: enroll this machine first (agent enroll --server URL --token TOKEN), or name the config with --config`,
      );
    throw new ConfigError(`cannot read the agent config ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`the agent config ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseConfig(raw, `the agent config ${path}`);
}

/** writes the config atomically, readable by its owner only (it holds the credential) */
export async function saveConfig(path: string, config: AgentConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
