import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { configFromEnv } from '../config.ts';
import { DomainError } from '../core/errors.ts';
import { createEngine } from '../engine/engine.ts';
import { bootstrap } from '../services/bootstrap.ts';
import { systemContext } from '../services/context.ts';
import { buildDemo, demoCanFill, DEMO_DEVICES, MAX_DEMO_DEVICES } from '../services/demo.ts';
import { randomPassword } from '../services/secrets.ts';
import { openStoreOf, storeOptions, type StoreCliOptions } from './store-options.ts';
import { keepAdminPassword } from './admin-password.ts';

// `patchline demo`: fills an empty instance (the data folder `npm start` uses, or --data-dir, or a
// PostgreSQL database) with the demo data set of services/demo.ts, then prints how to sign in.

const env = configFromEnv();

interface DemoCliOptions extends StoreCliOptions {
  devices: string;
  force?: boolean;
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
    .action(async (o: DemoCliOptions) => {
      const devices = Number(o.devices);
      if (!Number.isInteger(devices) || devices < 9 || devices > MAX_DEMO_DEVICES)
        throw new DomainError('invalid', `--devices must be an integer from 9 to ${MAX_DEMO_DEVICES}`);
      const started = Date.now();
      const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
      const where = o.databaseUrl ? 'the PostgreSQL database' : `the embedded store in ${resolve(o.dataDir)}`;
      let store = await openStoreOf(o);
      if (!(await demoCanFill(systemContext(store, 'demo')))) {
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
      const operatorPassword = randomPassword();
      const engine = createEngine({ store, owner: `demo:${process.pid}` });
      try {
        const b = await bootstrap(store, env.adminPassword);
        // a generated first password is kept for `serve` to show (admin-password.ts), not printed here
        const kept = b.generatedPassword ? keepAdminPassword(o.dataDir, b.generatedPassword) : undefined;
        console.log(`filling ${where} with the demo data set (${devices} devices)…`);
        const s = await buildDemo(store, {
          devices,
          operatorPassword,
          runEngine: () => engine.tick(),
          onProgress: (m) => console.log(`  [${elapsed()}] ${m}`),
        });
        const port = env.port;
        console.log(
          [
            '',
            `Demo ready in ${elapsed()}: ${s.organizations} organizations, ${s.groups} groups, ${s.devices} devices, ` +
              `${s.missingUpdates} open updates, ${s.bulletins} bulletins, ${s.policies} policies, ${s.windows} maintenance windows, ` +
              `${s.patchRounds} patch rounds (${s.installs.succeeded} installs succeeded, ${s.installs.failed} failed).`,
            '',
            `Start the server:  npm start${o.databaseUrl ? ' (with the same DATABASE_URL)' : o.dataDir === env.dataDir ? '' : ` -- --data-dir ${o.dataDir}`}`,
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
    });
}
