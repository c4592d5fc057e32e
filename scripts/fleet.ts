// npm run fleet                      the demo's devices (after `patchline demo`) as live agents, until Ctrl-C
// npm run fleet -- --devices N [--server URL] [--orgs K] [--interval S] [--duration S] (--api-key KEY | --username U --password P)
//                                    N new simulated devices in new organizations, for a load test
import { Command } from 'commander';
import { formatSummary, progressLine, runFleet } from '../src/agent/fleet/fleet.ts';
import { DEMO_AGENT_INTERVAL_SECONDS, loadDemoAgents, runDemoAgents } from '../src/cli/demo-agents.ts';
import { failureLines, wantsDebug } from '../src/cli/errors.ts';
import { configFromEnv } from '../src/config.ts';

const env = configFromEnv();
const program = new Command('fleet')
  .description(
    "simulated agents against a Patchline server on this machine: with no --devices, the demo's devices until Ctrl-C; with --devices N, N new ones",
  )
  .option('--server <url>', 'the server', `http://127.0.0.1:${env.port}`)
  .option('--data-dir <dir>', "the demo's data folder (env PATCHLINE_DATA_DIR)", env.dataDir)
  .option('--devices <n>', 'enroll this many new simulated devices instead of running the demo’s', Number)
  .option(
    '--orgs <k>',
    'with --devices: organizations to spread them over (created by the simulator)',
    Number,
    1,
  )
  .option('--interval <seconds>', 'check-in interval of each device (±10% jitter)', Number)
  .option('--duration <seconds>', 'with --devices: how long to run after enrollment', Number, 60)
  .option(
    '--api-key <key>',
    'with --devices: an admin API key (env PATCHLINE_API_KEY)',
    process.env.PATCHLINE_API_KEY,
  )
  .option('--username <name>', 'with --devices: an admin user instead of an API key', 'admin')
  .option(
    '--password <password>',
    'its password (env PATCHLINE_ADMIN_PASSWORD)',
    process.env.PATCHLINE_ADMIN_PASSWORD,
  )
  .option('--no-scan', 'with --devices: skip the full scan each device sends after enrolling')
  .option('--json', 'with --devices: print the summary as JSON')
  .action(
    async (o: {
      server: string;
      dataDir: string;
      devices?: number;
      orgs: number;
      interval?: number;
      duration: number;
      apiKey?: string;
      username: string;
      password?: string;
      scan: boolean;
      json?: boolean;
    }) => {
      if (o.devices === undefined) {
        const agents = loadDemoAgents(o.dataDir);
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
        console.log(
          `${agents.length} demo devices checking in with ${o.server} every ${o.interval ?? DEMO_AGENT_INTERVAL_SECONDS} s; Ctrl-C stops`,
        );
        console.log(
          await runDemoAgents({
            server: o.server,
            agents,
            intervalSeconds: o.interval ?? DEMO_AGENT_INTERVAL_SECONDS,
            signal: stop.signal,
            onProgress: (line) => console.log(line),
          }),
        );
        return;
      }
      const tty = process.stderr.isTTY;
      const summary = await runFleet({
        server: o.server,
        devices: o.devices,
        orgs: o.orgs,
        intervalSeconds: o.interval ?? 300,
        durationSeconds: o.duration,
        apiKey: o.apiKey,
        username: o.apiKey ? undefined : o.username,
        password: o.apiKey ? undefined : o.password,
        initialScan: o.scan,
        onProgress: (p) => process.stderr.write(tty ? `\r\x1b[K${progressLine(p)}` : `${progressLine(p)}\n`),
      });
      if (tty) process.stderr.write('\n');
      console.log(o.json ? JSON.stringify(summary) : formatSummary(summary));
    },
  );

program.parseAsync(process.argv).catch((e: unknown) => {
  for (const l of failureLines(e, wantsDebug(process.argv)))
    console.error(l.replace(/^patchline:/, 'fleet:'));
  process.exit(1);
});
