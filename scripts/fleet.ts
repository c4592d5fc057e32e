// npm run fleet -- --server URL --devices N [--orgs K] [--interval S] [--duration S] (--api-key KEY | --username U --password P)
import { Command } from 'commander';
import { formatSummary, progressLine, runFleet } from '../src/agent/fleet/fleet.ts';

const program = new Command('fleet')
  .description('run N simulated agents against a Patchline server on this machine')
  .requiredOption('--server <url>', 'the server, e.g. http://127.0.0.1:8080')
  .requiredOption('--devices <n>', 'number of simulated devices', Number)
  .option('--orgs <k>', 'organizations to spread them over (created by the simulator)', Number, 1)
  .option('--interval <seconds>', 'check-in interval of each device (±10% jitter)', Number, 300)
  .option('--duration <seconds>', 'how long to run after enrollment', Number, 60)
  .option('--api-key <key>', 'an admin API key (env PATCHLINE_API_KEY)', process.env.PATCHLINE_API_KEY)
  .option('--username <name>', 'an admin user instead of an API key', 'admin')
  .option(
    '--password <password>',
    'its password (env PATCHLINE_ADMIN_PASSWORD)',
    process.env.PATCHLINE_ADMIN_PASSWORD,
  )
  .option('--no-scan', 'skip the full scan each device sends after enrolling')
  .option('--json', 'print the summary as JSON')
  .action(
    async (o: {
      server: string;
      devices: number;
      orgs: number;
      interval: number;
      duration: number;
      apiKey?: string;
      username: string;
      password?: string;
      scan: boolean;
      json?: boolean;
    }) => {
      const tty = process.stderr.isTTY;
      const summary = await runFleet({
        server: o.server,
        devices: o.devices,
        orgs: o.orgs,
        intervalSeconds: o.interval,
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
  console.error(`fleet: ${(e as Error).message}`);
  process.exit(1);
});
