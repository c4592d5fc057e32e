import type { Command } from 'commander';
import { DomainError } from '../core/errors.ts';
import { DataDirInUseError } from '../store/lock.ts';
import { DatabaseUrlError } from '../store/database-url.ts';
import { HttpError, UnreachableError } from '../agent/client.ts';
import { ConfigError } from '../agent/config.ts';

// The CLI's error style, in one place: a failure the CLI knows prints one line saying what is wrong and
// what to do, and the command exits 1; anything else prints its message and a hint. The stack trace is
// printed only with `--log-level debug` (or trace), given to any command or in PATCHLINE_LOG_LEVEL.

/** a known failure of a command: its message says what is wrong and what to do */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

const one = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

/** the one line a known failure prints, or undefined when the error is not one the CLI knows */
export function describeFailure(e: unknown): string | undefined {
  if (e instanceof CliError || e instanceof DataDirInUseError || e instanceof DatabaseUrlError)
    return one(e.message);
  if (e instanceof ConfigError) return one(e.message);
  if (e instanceof DomainError)
    return one(
      e.issues.length
        ? `${e.message} (${e.issues.map((i) => `${i.path}: ${i.message}`).join('; ')})`
        : e.message,
    );
  if (e instanceof HttpError) {
    if (e.status === 401 && /\/enroll$/.test(e.message.split(' ')[1] ?? ''))
      return 'the server refused the install token (unknown, revoked or expired): ask an administrator for a new one';
    return one(e.message);
  }
  if (e instanceof UnreachableError)
    return `${one(e.message)}: check the server address and that it is running`;
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  switch (err?.code) {
    case 'EADDRINUSE':
      return `port ${err.port ?? ''} is already in use (another Patchline server?): stop that program or choose another port with --port`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${err.address ?? 'that address'}: it is not an address of this machine; check --host`;
    case 'EACCES':
      return err.syscall === 'listen'
        ? `not allowed to listen on port ${err.port ?? ''}: choose a port above 1023 with --port`
        : `permission denied: ${err.path ?? err.message}`;
    case 'ENOENT':
      return err.path ? `no such file or folder: ${err.path}` : undefined;
    case 'ENOTFOUND':
      return `cannot find the host ${err.hostname ?? ''} (${err.syscall ?? 'lookup'}): check the address in DATABASE_URL or --database-url`;
    case 'ECONNREFUSED':
      return `nothing answers at ${err.address ?? ''}:${err.port ?? ''}: is PostgreSQL running there? check DATABASE_URL or --database-url`;
    case '28P01':
    case '28000':
      return `the database refused the user or password: ${err.message}; check DATABASE_URL or --database-url`;
    case '3D000':
      return `${err.message}: create it (createdb) or name another database in DATABASE_URL`;
  }
  return undefined;
}

const DEBUG_LEVELS = new Set(['debug', 'trace']);

/** whether the user asked for details: --log-level debug|trace on the command line or in the environment */
export function wantsDebug(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--log-level' && DEBUG_LEVELS.has(argv[i + 1] ?? '')) return true;
    if (a.startsWith('--log-level=') && DEBUG_LEVELS.has(a.slice('--log-level='.length))) return true;
  }
  return DEBUG_LEVELS.has(env.PATCHLINE_LOG_LEVEL ?? '');
}

/** the lines a failure prints (to stderr), by the style above */
export function failureLines(e: unknown, debug: boolean): string[] {
  const known = describeFailure(e);
  const lines = [
    `patchline: ${known ?? `${one((e as Error)?.message ?? String(e))} (run again with --log-level debug for details)`}`,
  ];
  if (debug && (e as Error)?.stack) lines.push((e as Error).stack!);
  return lines;
}

/** runs the program; a failure prints by the style above and exits 1 */
export async function runCli(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    for (const l of failureLines(e, wantsDebug(argv))) console.error(l);
    process.exit(1);
  }
}
