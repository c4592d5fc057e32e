import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { configFromEnv } from '../config.ts';
import { DomainError } from '../core/errors.ts';
import { DEMO_DEVICES, MAX_DEMO_DEVICES } from '../core/simulation/demo-size.ts';
import { openStoreOf, storeOptions, type StoreCliOptions } from './store-options.ts';
import { DEMO_AGENT_INTERVAL_SECONDS } from './demo-agents.ts';
import { CliError } from './errors.ts';

// `patchline demo`: fills an empty instance (the data folder `npm start` uses, or --data-dir, or a
// PostgreSQL database) with the demo data set of services/demo.ts, then prints how to sign in. The
// engine, the services and the server are loaded when the command runs, not when the CLI starts.

/** what the command runs, loaded when it runs */
const parts = async () => ({
  ...(await import('../engine/engine.ts')),
  ...(await import('../services/bootstrap.ts')),
  ...(await import('../services/context.ts')),
  ...(await import('../services/demo.ts')),
  ...(await import('../services/secrets.ts')),
  ...(await import('./admin-password.ts')),
  ...(await import('./demo-agents.ts')),
  ...(await import('./serve.ts')),
});

const env = configFromEnv();

interface DemoCliOptions extends StoreCliOptions {
  devices: string;
  force?: boolean;
  agents?: boolean;
  port: string;
  interval: string;
}

const fail = (message: string) => new DomainError('conflict', message);

export function registerDemoCommand(program: Command) {
  storeOptions(
    program
      .command('demo')
      .description(
        'fill an empty instance with a demo data set: organizations, groups, devices, bulletins, policies, windows',
      ),
  )
    .option('--devices <n>', `simulated devices, ${9} to ${MAX_DEMO_DEVICES}`, String(DEMO_DEVICES))
    .option('--force', 'an embedded data folder that already has data is deleted and filled anew')
    .option(
      '--agents',
      'then serve the demo with its devices live: simulated agents check in and run their jobs until Ctrl-C (as npm start + npm run fleet)',
    )
    .option('--port <port>', 'with --agents: the port to serve on', String(env.port))
    .option(
      '--interval <seconds>',
      "with --agents: seconds between a device's check-ins",
      String(DEMO_AGENT_INTERVAL_SECONDS),
    )
    .action(async (o: DemoCliOptions, cmd: Command) => {
      const devices = Number(o.devices);
      if (!Number.isInteger(devices) || devices < 9 || devices > MAX_DEMO_DEVICES)
        throw new DomainError('invalid', `--devices must be an integer from 9 to ${MAX_DEMO_DEVICES}`);
      const p = await parts();
      const port = p.checkPort(o.port);
      const interval = Number(o.interval);
      if (!(interval >= 1 && interval <= 86_400))
        throw new CliError(`--interval must be a number of seconds from 1 to 86400, got '${o.interval}'`);
      const started = Date.now();
      const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
      const where = o.databaseUrl ? 'the PostgreSQL database' : `the embedded store in ${resolve(o.dataDir)}`;
      let store = await openStoreOf(o);
      if (!(await p.demoCanFill(p.systemContext(store, 'demo')))) {
        if (!o.force) {
          await store.close();
          throw fail(
            `${where} already has data: the demo fills only an empty instance (--force deletes an embedded data folder first)`,
          );
        }
        if (o.databaseUrl) {
          await store.close();
          throw fail(
            '--force deletes only an embedded data folder: give the demo an empty PostgreSQL database',
          );
        }
        await store.close();
        // only the store's own folder: the lock file and the package cache stay
        rmSync(join(resolve(o.dataDir), 'pglite'), { recursive: true, force: true });
        console.log(`deleted the data of ${where}`);
        store = await openStoreOf(o);
      }
      const operatorPassword = p.randomPassword();
      const engine = p.createEngine({ store, owner: `demo:${process.pid}` });
      try {
        const b = await p.bootstrap(store, env.adminPassword);
        // a generated first password is kept for `serve` to show (admin-password.ts), not printed here
        const kept = b.generatedPassword ? p.keepAdminPassword(o.dataDir, b.generatedPassword) : undefined;
        console.log(`filling ${where} with the demo data set (${devices} devices)…`);
        const s = await p.buildDemo(store, {
          devices,
          operatorPassword,
          runEngine: () => engine.tick(),
          onProgress: (m) => console.log(`  [${elapsed()}] ${m}`),
        });
        const agentsFile = p.saveDemoAgents(o.dataDir, s.agents);
        console.log(
          [
            '',
            `Demo ready in ${elapsed()}: ${s.organizations} organizations, ${s.groups} groups, ${s.devices} devices, ` +
              `${s.missingUpdates} open updates, ${s.bulletins} bulletins, ${s.policies} policies, ${s.windows} maintenance windows, ` +
              `${s.patchRounds} patch rounds (${s.installs.succeeded} installs succeeded, ${s.installs.failed} failed).`,
            '',
            ...(o.agents
              ? [`Serving it now with its ${s.agents.length} devices live (Ctrl-C stops both).`]
              : [
                  `Start the server:  npm start${o.databaseUrl ? ' (with the same DATABASE_URL)' : o.dataDir === env.dataDir ? '' : ` -- --data-dir ${o.dataDir}`}`,
                  `and bring its ${s.agents.length} devices to life (in another terminal):  npm run fleet${o.dataDir === env.dataDir ? '' : ` -- --data-dir ${o.dataDir}`}`,
                  `  (their credentials are in ${agentsFile})`,
                ]),
            `Then open http://localhost:${port}/ and sign in as`,
            kept
              ? `  admin, with the password the server prints when it starts (kept in ${kept} until the first sign-in)`
              : b.adminCreated && env.adminPassword
                ? `  admin / ${env.adminPassword}   (administrator, every organization; PATCHLINE_ADMIN_PASSWORD)`
                : '  admin, with the password it was given at first start (administrator, every organization)',
            `  ${s.operator.username} / ${operatorPassword}   (operator, ${s.operator.organization} only)`,
            '',
          ].join('\n'),
        );
      } finally {
        await engine.stop();
        await store.close();
      }
      if (o.agents)
        await serveLive(o, port, interval, (cmd.optsWithGlobals() as { logLevel?: string }).logLevel);
    });
}

/** `demo --agents`: serves the store the demo filled and runs its devices as live agents until Ctrl-C */
async function serveLive(o: DemoCliOptions, port: number, interval: number, logLevel: string | undefined) {
  // the request log of hundreds of agents would bury the terminal: warnings only, unless asked
  const level = logLevel && logLevel !== env.logLevel ? logLevel : 'warn';
  const config = { ...env, dataDir: o.dataDir, databaseUrl: o.databaseUrl, port, logLevel: level };
  const p = await parts();
  const running = await p.startServer(config, env.adminPassword);
  const stop = new AbortController();
  const agents = p.runDemoAgents({
    server: running.url,
    agents: p.loadDemoAgents(o.dataDir),
    intervalSeconds: interval,
    signal: stop.signal,
    onProgress: (line) => console.log(`  agents ${line}`),
  });
  console.log(
    `Patchline is serving http://localhost:${port}/ with the demo's devices checking in; Ctrl-C stops.`,
  );
  p.onStopSignal(
    () => stop.abort(),
    async () => {
      console.log(await agents);
      await running.stop();
    },
  );
}
