import { Option, type Command } from 'commander';
import { configFromEnv } from '../config.ts';
import { checkDatabaseUrl } from '../store/database-url.ts';
import type { Store } from '../store/db.ts';

// What every command that opens the store shares: its two options and how the CLI opens the store
// (the embedded one in --data-dir, holding the folder's lock, or the PostgreSQL server of --database-url).
// The store and the services are loaded when a command runs, not when the CLI starts: `--help` and a
// mistyped option answer at once.

const env = configFromEnv();

export interface StoreCliOptions {
  dataDir: string;
  databaseUrl?: string;
}

/** --data-dir and --database-url, defaulting to the environment's */
export function storeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'folder of the embedded store').default(env.dataDir))
    .addOption(
      new Option(
        '--database-url <url>',
        'a PostgreSQL server instead of the embedded store (env DATABASE_URL)',
      ).default(env.databaseUrl),
    );
}

/** The store the options name; migrated unless `migrate` is false. */
export async function openStoreOf(o: StoreCliOptions, migrate?: false): Promise<Store> {
  // before anything else: a wrong URL says so, not "getaddrinfo ENOTFOUND base" after a timeout
  if (o.databaseUrl) checkDatabaseUrl(o.databaseUrl);
  const { openStore } = await import('../store/db.ts');
  return openStore({
    databaseUrl: o.databaseUrl,
    dataDir: o.dataDir,
    ...(migrate === false ? { migrate } : {}),
  });
}

/**
 * Makes sure the store has its first administrator. A generated password is kept in the data folder
 * (admin-password.ts), never printed here: `patchline serve` shows it until the first sign-in.
 */
export async function bootstrapStore(store: Store, dataDir: string): Promise<void> {
  const { bootstrap } = await import('../services/bootstrap.ts');
  const { keepAdminPassword } = await import('./admin-password.ts');
  const b = await bootstrap(store, env.adminPassword);
  if (b.generatedPassword) keepAdminPassword(dataDir, b.generatedPassword);
}

/** Opens and bootstraps the store, runs `fn` on it, and closes it whatever happens. */
export async function withStore<T>(o: StoreCliOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStoreOf(o);
  try {
    await bootstrapStore(store, o.dataDir);
    return await fn(store);
  } finally {
    await store.close();
  }
}
