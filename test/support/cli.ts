import { Command } from 'commander';
import { failureLines } from '../../src/cli/errors.ts';

/**
 * Runs one `patchline …` command in this process, as the CLI's main would (each command opens and closes
 * the store and takes the data folder's lock, as in its own process), with the commands `register`
 * installs: what it printed, and its exit status (1 with the CLI's one-line error when it fails). A
 * process per command costs seconds of module loading each; the CLI's own wiring is covered by the
 * tests that spawn it (cli.test.ts, errors.test.ts).
 */
export async function runCommand(
  register: (program: Command) => void,
  args: readonly string[],
): Promise<{ status: number; out: string; err: string }> {
  const program = new Command('patchline').exitOverride();
  register(program);
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  let status: number;
  try {
    await program.parseAsync([...args], { from: 'user' });
    status = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    err.push(...failureLines(e, false));
    status = 1;
  } finally {
    console.log = log;
    console.error = error;
    process.exitCode = undefined;
  }
  return { status, out: out.join('\n'), err: err.join('\n') };
}
