// The agent's commands: enroll this machine, run the service loop, scan for a person at the terminal,
// show the agent's status, and write a systemd unit. They live with the agent so its own entry (main.ts)
// loads nothing of the server or the CLI; `patchline agent …` (cli/agent-commands.ts) mounts the same commands.
import { Command, Option } from 'commander';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname, platform, arch as osArch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, AGENT_VERSION, AgentStoppedError } from './agent.ts';
import { aptRootAt, createBackend, type BackendConfig } from './backends/index.ts';
import type { OsFamily } from './backends/simulated.ts';
import { ProtocolClient } from './client.ts';
import {
  BACKEND_KINDS,
  DEFAULT_CONFIG_PATH,
  DEFAULT_STATE_DIR,
  loadConfig,
  saveConfig,
  type AgentConfig,
  type BackendKind,
} from './config.ts';
import { readMachineId } from './machine-id.ts';
import { FileStorage } from './storage.ts';
import { installAllowedAt, nextInstallOpening } from '../core/agent-settings/model.ts';

const configOption = () =>
  new Option('-c, --config <file>', 'the agent config file').default(
    process.env.PATCHLINE_AGENT_CONFIG ?? DEFAULT_CONFIG_PATH,
  );

/** the backend this machine most likely uses */
export function detectBackend(): BackendKind {
  if (platform() === 'win32') return 'windows';
  if (platform() === 'darwin') return 'macos';
  if (existsSync('/usr/bin/apt-get')) return 'apt';
  if (existsSync('/usr/bin/dnf') || existsSync('/usr/bin/yum')) return 'dnf';
  if (existsSync('/usr/bin/zypper')) return 'zypper';
  return 'simulated';
}

export function backendConfig(
  kind: BackendKind,
  o: { aptRoot?: string; seed?: number; os?: string },
): BackendConfig {
  switch (kind) {
    case 'apt':
      return o.aptRoot ? { kind, root: aptRootAt(resolve(o.aptRoot)) } : { kind };
    case 'simulated': {
      const [family, version] = (o.os ?? 'debian:12').split(':') as [OsFamily, string | undefined];
      return {
        kind,
        seed: o.seed ?? Math.floor(Math.random() * 2 ** 31),
        os: { family, version: version ?? '' },
      };
    }
    default:
      return { kind };
  }
}

const osFamilyOf = (b: BackendConfig): 'linux' | 'windows' | 'macos' =>
  b.kind === 'windows' || b.kind === 'macos'
    ? b.kind
    : b.kind === 'simulated' && (b.os.family === 'windows' || b.os.family === 'macos')
      ? b.os.family
      : 'linux';

/** the exit code of an agent the server refused for good (systemd does not restart it: RestartPreventExitStatus) */
export const EXIT_STOPPED = 78;

async function agentFor(config: AgentConfig, log: (l: string) => void) {
  const client = new ProtocolClient({ server: config.server, credential: config.credential });
  const reboot = config.rebootCommand
    ? () =>
        new Promise<void>((res, rej) => {
          const [cmd, ...args] = config.rebootCommand!;
          spawn(cmd!, args, { stdio: 'inherit' })
            .on('exit', () => res())
            .on('error', rej);
        })
    : undefined;
  const machineId = await readMachineId(config.machineIdPath ? [config.machineIdPath] : undefined);
  return new Agent({
    client,
    backend: createBackend(config.backend),
    storage: new FileStorage(config.stateDir),
    intervalSeconds: config.checkinIntervalSeconds,
    reboot,
    log,
    downloadDir: join(config.stateDir, 'downloads'),
    scriptDir: join(config.stateDir, 'scripts'),
    ...(machineId ? { machineId } : {}),
    ...(config.relayPort ? { relayPort: config.relayPort } : {}),
    ...(config.relay ? { relay: { ...config.relay, cacheDir: join(config.stateDir, 'relay-cache') } } : {}),
  });
}

const stamp = (l: string) => console.log(`${new Date().toISOString()} ${l}`);

/** adds enroll, run, scan, status and install-service to `cmd` */
export function agentCommands(cmd: Command): Command {
  cmd
    .command('enroll')
    .description("enroll this machine with an organization's install token and write the agent config")
    .requiredOption('--server <url>', 'the Patchline server, e.g. https://patch.example.com')
    .requiredOption('--token <token>', "the organization's install token")
    .option('--name <name>', 'the device name', hostname())
    .addOption(new Option('--backend <kind>', 'the package manager').choices([...BACKEND_KINDS]))
    .option(
      '--apt-root <dir>',
      'apt: drive an isolated apt root (its etc/apt/apt-config and var/lib/dpkg) instead of this machine (testing)',
    )
    .option('--os <family:version>', 'simulated: the OS, e.g. debian:12, windows:11-24H2', 'debian:12')
    .option('--state-dir <dir>', 'where the agent keeps its state and unsent reports', DEFAULT_STATE_DIR)
    .addOption(configOption())
    .action(
      async (o: {
        server: string;
        token: string;
        name: string;
        backend?: BackendKind;
        aptRoot?: string;
        os: string;
        stateDir: string;
        config: string;
      }) => {
        const backend = backendConfig(o.backend ?? detectBackend(), o);
        const client = new ProtocolClient({ server: o.server });
        const e = await client.enroll({
          token: o.token,
          name: o.name,
          hostname: hostname(),
          osFamily: osFamilyOf(backend),
          osName: backend.kind === 'simulated' ? backend.os.family : platform(),
          osVersion: backend.kind === 'simulated' ? backend.os.version : '',
          architecture: osArch(),
          agentVersion: AGENT_VERSION,
          timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? null,
        });
        await saveConfig(o.config, {
          server: o.server,
          deviceId: e.deviceId,
          organizationId: e.organizationId,
          credential: e.credential,
          backend,
          stateDir: resolve(o.stateDir),
          checkinIntervalSeconds: e.checkinIntervalSeconds,
        });
        console.log(
          `enrolled as device ${e.deviceId} of organization ${e.organizationId}; config written to ${o.config}`,
        );
      },
    );

  cmd
    .command('run')
    .description('the service loop: check in, run jobs, deliver reports (until SIGINT or SIGTERM)')
    .addOption(configOption())
    .option('--once', 'one check-in round, then exit')
    .action(async (o: { config: string; once?: boolean }) => {
      const config = await loadConfig(o.config);
      const agent = await agentFor(config, stamp);
      const stopped = async () => {
        const s = await agent.stopped();
        if (!s) return false;
        console.error(`patchline-agent: ${new AgentStoppedError(s.reason).message}`);
        process.exitCode = EXIT_STOPPED;
        return true;
      };
      if (await stopped()) return;
      if (o.once) {
        await agent.scanAndQueue(false);
        try {
          const r = await agent.cycle();
          console.log(`ran ${r.jobs} job(s); delivered ${r.sent} message(s); ${r.queued} waiting`);
        } catch (e) {
          if (!(e instanceof AgentStoppedError)) throw e;
          await stopped();
        }
        return;
      }
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      stamp(
        `patchline agent ${AGENT_VERSION}: device ${config.deviceId} → ${config.server} (${config.backend.kind})`,
      );
      await agent.run(stop.signal);
      await stopped();
    });

  cmd
    .command('scan')
    .description('list the updates the package manager offers (changes nothing, sends nothing)')
    .addOption(configOption())
    .addOption(
      new Option('--backend <kind>', 'scan with this backend instead of the config’s').choices([
        ...BACKEND_KINDS,
      ]),
    )
    .option('--apt-root <dir>', 'apt: an isolated root')
    .option('--no-refresh', 'do not refresh the package indexes first')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        config: string;
        backend?: BackendKind;
        aptRoot?: string;
        refresh: boolean;
        json?: boolean;
      }) => {
        const b = o.backend
          ? backendConfig(o.backend, { aptRoot: o.aptRoot, seed: 1 })
          : (await loadConfig(o.config)).backend;
        const scan = await createBackend(b).scan({ refresh: o.refresh });
        if (o.json) return console.log(JSON.stringify(scan, null, 2));
        for (const w of scan.warnings) console.log(`warning: ${w}`);
        if (!scan.updates.length)
          return console.log(`no updates available (${scan.inventory.length} packages installed)`);
        const rows = scan.updates.map((u) => [
          u.name,
          u.installedVersion ?? '-',
          u.version,
          u.classification,
          u.severity ?? '',
          u.reboot === 'required' ? 'reboot' : '',
        ]);
        const widths = rows[0]!.map((_, i) =>
          Math.max(
            ...rows.map((r) => r[i]!.length),
            ['NAME', 'INSTALLED', 'AVAILABLE', 'CLASS', 'SEVERITY', ''][i]!.length,
          ),
        );
        const line = (r: string[]) =>
          r
            .map((c, i) => c.padEnd(widths[i]!))
            .join('  ')
            .trimEnd();
        console.log(line(['NAME', 'INSTALLED', 'AVAILABLE', 'CLASS', 'SEVERITY', '']));
        for (const r of rows) console.log(line(r));
        console.log(
          `${scan.updates.length} update(s), ${scan.updates.filter((u) => u.classification === 'security').length} security`,
        );
      },
    );

  cmd
    .command('status')
    .description(
      "the agent's config and local state: server, device, backend, scan sequence, unsent messages",
    )
    .addOption(configOption())
    .action(async (o: { config: string }) => {
      const c = await loadConfig(o.config);
      const storage = new FileStorage(c.stateDir);
      const st = await storage.loadState();
      const box = await storage.list();
      const s = st.settings ?? null;
      const now = Date.now();
      const waiting = Object.values(st.queue ?? {}).sort((a, b) => a.id - b.id);
      const next = s && nextInstallOpening(s, now);
      const windows = !s
        ? 'no settings yet (they come with the first check-in)'
        : !s.maintenance.windows.length
          ? 'none apply: installs may run at any time'
          : `${s.maintenance.windows.map((w) => w.name).join(', ')}; installs ${
              installAllowedAt(s, now)
                ? 'allowed now'
                : next
                  ? `allowed from ${new Date(next).toISOString()}`
                  : 'not allowed in the coming days'
            }`;
      console.log(
        [
          `server:          ${c.server}`,
          `device:          ${c.deviceId} (organization ${c.organizationId})`,
          `backend:         ${c.backend.kind}`,
          `state folder:    ${c.stateDir}`,
          `check-in every:  ${s?.checkinIntervalSeconds ?? c.checkinIntervalSeconds} s`,
          `scan sequence:   ${st.scanSequence}`,
          `unsent messages: ${box.length}${box.length ? ` (${box.map((m) => m.key).join(', ')})` : ''}`,
          `settings:        ${st.settingsHash ?? 'none'}`,
          `windows:         ${windows}`,
          `reboots:         ${s ? s.reboot.mode : 'the users decide'}`,
          `waiting jobs:    ${waiting.length ? waiting.map((j) => `${j.id} (${j.kind})`).join(', ') : 'none'}`,
          ...(st.reboot
            ? [
                `planned reboot:  ${st.reboot.rebootAt === null ? 'left to the users' : new Date(st.reboot.rebootAt).toISOString()}`,
              ]
            : []),
          ...(st.stopped
            ? [`STOPPED:         since ${st.stopped.at}: ${new AgentStoppedError(st.stopped.reason).message}`]
            : []),
        ].join('\n'),
      );
    });

  cmd
    .command('install-service')
    .description('write a systemd unit that runs the agent')
    .option('--path <file>', 'where to write the unit', '/etc/systemd/system/patchline-agent.service')
    .addOption(configOption())
    .action(async (o: { path: string; config: string }) => {
      await mkdir(dirname(o.path), { recursive: true });
      buildAgentBundle();
      await writeFile(o.path, systemdUnit(o.config));
      console.log(
        `wrote ${o.path}; enable it with: systemctl daemon-reload && systemctl enable --now ${o.path.split('/').pop()}`,
      );
    });
  return cmd;
}

const projectRoot = () => join(dirname(fileURLToPath(import.meta.url)), '../..');
const bundlePath = () => join(projectRoot(), 'dist/agent/main.js');

/** builds (when stale) the one-file agent bundle the unit prefers (scripts/build-agent.mjs); false when it cannot */
function buildAgentBundle(): boolean {
  const script = join(projectRoot(), 'scripts/build-agent.mjs');
  if (!existsSync(script)) return existsSync(bundlePath());
  const r = spawnSync(process.execPath, [script, '--if-stale'], { stdio: 'inherit' });
  if (r.status !== 0)
    console.error(
      'could not build the agent bundle; the unit runs the agent from its TypeScript sources (more memory)',
    );
  return existsSync(bundlePath());
}

/**
 * the unit runs the lean agent: the bundle dist/agent/main.js with plain node when it was built (about
 * 50 MB idle, bench/agent-memory.ts), else the agent entry src/agent/main.ts under tsx; never the server CLI
 */
export function systemdUnit(configPath: string): string {
  const root = projectRoot();
  const q = (s: string) => (/[\s"\\]/.test(s) ? JSON.stringify(s) : s);
  const entry = existsSync(bundlePath())
    ? q(bundlePath())
    : `--import tsx ${q(join(root, 'src/agent/main.ts'))}`;
  return [
    '[Unit]',
    'Description=Patchline agent',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${q(root)}`,
    // a small heap: the agent idles on little memory and must not grow into the machine's
    `ExecStart=${q(process.execPath)} --max-semi-space-size=1 --max-old-space-size=32 ${entry} run --config ${q(resolve(configPath))}`,
    'Restart=always',
    'RestartSec=10',
    // a cloned agent the server refused stops for good: enrolling again is a person's decision
    `RestartPreventExitStatus=${EXIT_STOPPED}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
