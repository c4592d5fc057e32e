import { Option, type Command } from 'commander';
import { configFromEnv } from '../config.ts';
import { bootstrap } from '../services/bootstrap.ts';
import { openStore, type Store } from '../store/db.ts';

// What every command that opens the store shares: its two options and how the CLI opens the store
// (the embedded one in --data-dir, holding the folder's lock, or the PostgreSQL server of --database-url).

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
export function openStoreOf(o: StoreCliOptions, migrate?: false): Promise<Store> {
  return openStore({
    databaseUrl: o.databaseUrl,
    dataDir: o.dataDir,
    ...(migrate === false ? { migrate } : {}),
  });
}

export interface BootstrapOptions {
  /** do not print a generated admin password (a command whose output must stay JSON) */
  readonly quiet?: boolean;
}

/** Makes sure the store has its first administrator; a generated password is printed once. */
export async function bootstrapStore(store: Store, opts: BootstrapOptions = {}): Promise<void> {
  const b = await bootstrap(store, env.adminPassword);
  if (b.generatedPassword && !opts.quiet) printAdmin(b.generatedPassword);
}

/** Opens and bootstraps the store, runs `fn` on it, and closes it whatever happens. */
export async function withStore<T>(
  o: StoreCliOptions,
  fn: (store: Store) => Promise<T>,
  opts: BootstrapOptions = {},
): Promise<T> {
  const store = await openStoreOf(o);
  try {
    await bootstrapStore(store, opts);
    return await fn(store);
  } finally {
    await store.close();
  }
}

function printAdmin(password: string) {
  console.log(
    `\n  First start: created user 'admin' with password: ${password}\n  (shown once; set PATCHLINE_ADMIN_PASSWORD to choose it)\n`,
  );
}
