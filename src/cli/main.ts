#!/usr/bin/env node
import { Command, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { configFromEnv, type Config } from '../config.ts';
import { DomainError } from '../core/errors.ts';
import { VERSION } from '../version.ts';
import { CliError, runCli } from './errors.ts';
import { registerPolicyCommands } from './policy-commands.ts';
import { registerRolloutCommands } from './rollout-commands.ts';
import { registerAgentCommands } from './agent-commands.ts';
import { registerDemoCommand } from './demo.ts';
import { registerAlertCommands } from './alert-commands.ts';
import { IMPORT_FORMATS } from '../core/advisories/formats.ts';
import { openStoreOf, storeOptions, withStore } from './store-options.ts';

// The commands load the store, the services and the server when they run (dynamic imports), not when
// the CLI starts: `patchline --help` and a mistyped option answer without loading the whole server.

const env = configFromEnv();
const program = new Command('patchline')
  .description('Patchline: self-hosted, multi-tenant patch management')
  .version(VERSION)
  .addOption(
    new Option(
      '--log-level <level>',
      'fatal, error, warn, info, debug or trace (debug also prints the stack of a failure)',
    )
      .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default(env.logLevel),
  )
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError('(run with --help for usage)');

const logLevel = () => (program.opts() as { logLevel: string }).logLevel;

storeOptions(
  program
    .command('serve')
    .description('start the server (all faces on one port)')
    .addOption(new Option('-p, --port <port>', 'port').default(String(env.port)))
    .addOption(new Option('--host <host>', 'address to listen on').default(env.host))
    .addOption(
      new Option('--tls-cert <file>', 'TLS certificate (PEM); with --tls-key serves HTTPS').default(
        env.tlsCert,
      ),
    )
    .addOption(new Option('--tls-key <file>', 'TLS private key (PEM); with --tls-cert').default(env.tlsKey)),
).action(
  async (o: {
    port: string;
    host: string;
    tlsCert?: string;
    tlsKey?: string;
    dataDir: string;
    databaseUrl?: string;
  }) => {
    const { checkPort, onStopSignal, startServer } = await import('./serve.ts');
    const config: Config = { ...env, ...o, port: checkPort(o.port), logLevel: logLevel() };
    const running = await startServer(config, env.adminPassword);
    onStopSignal(
      (signal) => running.app.log.info({ signal }, 'stopping'),
      () => running.stop(),
    );
  },
);

storeOptions(program.command('migrate').description('bring the database schema up to date and exit')).action(
  async (o) => {
    const store = await openStoreOf(o, false);
    try {
      const { migrate } = await import('../store/db.ts');
      const applied = await migrate(store.db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the schema is up to date');
    } finally {
      await store.close();
    }
  },
);

const user = program.command('user').description('manage users');
storeOptions(
  user
    .command('create <username>')
    .description('create a user')
    .requiredOption('--password <password>', 'the password (8 characters or more)')
    .option('--role <name>', 'Administrator, Operator, Approver, Viewer or a custom role', 'Viewer')
    .option('--scope <name>', "a scope's name", 'All organizations')
    .option('--display-name <name>', 'display name'),
).action(async (username: string, o) =>
  withStore(o, async (store) => {
    const { systemContext } = await import('../services/context.ts');
    const { createUser } = await import('../services/identity.ts');
    const { getRoleByName, getScopeByName } = await import('../store/repos/identity-repo.ts');
    const role = await getRoleByName(store.db, o.role);
    const scope = await getScopeByName(store.db, o.scope);
    if (!role) throw new DomainError('invalid', `no role named '${o.role}'`);
    if (!scope) throw new DomainError('invalid', `no scope named '${o.scope}'`);
    const u = await createUser(systemContext(store, 'cli'), {
      username,
      password: o.password,
      roleId: role.id,
      scopeId: scope.id,
      displayName: o.displayName,
    });
    console.log(`created user ${u.username} (id ${u.id}, role ${role.name}, scope ${scope.name})`);
  }),
);

storeOptions(
  user
    .command('reset-password <username>')
    .description(
      "set a user's password (a new one is generated and printed unless --password gives it); signs the user out",
    )
    .option('--password <password>', 'the new password (8 characters or more)'),
).action(async (username: string, o) =>
  withStore(o, async (store) => {
    const { systemContext } = await import('../services/context.ts');
    const { updateUser } = await import('../services/identity.ts');
    const { randomPassword } = await import('../services/secrets.ts');
    const { getUserByName } = await import('../store/repos/identity-repo.ts');
    const { forgetAdminPassword } = await import('./admin-password.ts');
    const u = await getUserByName(store.db, username);
    if (!u)
      throw new CliError(
        `no user named '${username}': see the users in the console, or create one with patchline user create`,
      );
    const password = (o.password as string | undefined) ?? randomPassword();
    await updateUser(systemContext(store, 'cli'), u.id, { password });
    // a first password kept for admin no longer works: its file must not say otherwise
    if (username === 'admin') forgetAdminPassword(o.dataDir);
    console.log(o.password ? `password of ${username} set` : `new password of ${username}: ${password}`);
  }),
);

const apikey = program.command('apikey').description('manage API keys');
storeOptions(
  apikey
    .command('create <name>')
    .description('create an API key for a user; prints the key once')
    .requiredOption('--user <username>', 'the user the key acts as'),
).action(async (name: string, o) =>
  withStore(o, async (store) => {
    const { systemContext } = await import('../services/context.ts');
    const { createApiKey } = await import('../services/identity.ts');
    const { getUserByName } = await import('../store/repos/identity-repo.ts');
    const u = await getUserByName(store.db, o.user);
    if (!u) throw new DomainError('not_found', `no user named '${o.user}'`);
    const k = await createApiKey(systemContext(store, 'cli'), { name, userId: u.id });
    console.log(k.key);
  }),
);

const org = program.command('org').description('manage organizations');
storeOptions(
  org
    .command('create <name>')
    .description('create an organization with its root group')
    .option('--ref <ref>', 'short unique reference (default: from the name)')
    .option('--time-zone <zone>', 'IANA time zone'),
).action(async (name: string, o) =>
  withStore(o, async (store) => {
    const { systemContext } = await import('../services/context.ts');
    const { createOrganization } = await import('../services/organizations.ts');
    const r = await createOrganization(systemContext(store, 'cli'), {
      name,
      ref: o.ref,
      timeZone: o.timeZone,
    });
    console.log(`created organization ${r.name} (id ${r.id}, ref ${r.ref}, root group ${r.rootGroupId})`);
  }),
);

const catalog = program.command('catalog').description('the patch catalog');
storeOptions(
  catalog
    .command('import <file>')
    .description(
      'import an advisory file (OSV json/zip, Debian tracker, CSAF, CISA KEV, EPSS csv, CVE JSON 5)',
    )
    .requiredOption('--format <format>', IMPORT_FORMATS.join(', ')),
).action(async (file: string, o) => {
  // before the store is opened: a mistyped path says so at once
  if (!existsSync(file) || !statSync(file).isFile())
    throw new CliError(`no file ${file}: give the path of an advisory file to import`);
  await withStore(o, async (store) => {
    const { readFileSync } = await import('node:fs');
    const { systemContext } = await import('../services/context.ts');
    const { importAdvisories } = await import('../services/importers.ts');
    const bytes = new Uint8Array(readFileSync(file));
    const tty = process.stderr.isTTY;
    const r = await importAdvisories(
      systemContext(store, 'cli'),
      { format: o.format, bytes, fileName: file },
      (p) => {
        const line = `read ${p.read}, imported ${p.imported}, unchanged ${p.unchanged}, errors ${p.errors}`;
        if (tty) process.stderr.write(`\r${line}`);
        else console.error(line);
      },
    );
    if (tty) process.stderr.write('\n');
    console.log(`imported ${r.imported}, unchanged ${r.unchanged}, errors ${r.errors.length}`);
    for (const e of r.errors.slice(0, 20)) console.log(`  ${e.location}: ${e.message}`);
    if (r.errors.length > 20) console.log(`  … and ${r.errors.length - 20} more`);
    if (r.errors.length) {
      console.error(
        `patchline: ${r.errors.length} record(s) of ${file} could not be imported (listed above)`,
      );
      process.exitCode = 1;
    }
  });
});

storeOptions(
  program.command('status').description('counts of organizations, devices and missing updates'),
).action(async (o) =>
  withStore(o, async (store) => {
    const { systemContext } = await import('../services/context.ts');
    const { statusCounts } = await import('../services/status.ts');
    const s = await statusCounts(systemContext(store, 'cli'));
    console.log(
      `organizations: ${s.organizations}\ndevices: ${s.devices}\nmissing updates: ${s.missingUpdates}`,
    );
  }),
);

registerPolicyCommands(program);
registerRolloutCommands(program);
registerAgentCommands(program);
registerDemoCommand(program);
registerAlertCommands(program);

void runCli(program);
