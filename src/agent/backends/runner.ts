import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { CommandRunner, RunOptions, RunResult } from './types.ts';

/** The real runner: node:child_process spawn, no shell, C locale so outputs parse the same everywhere. */
export const spawnRunner: CommandRunner = (cmd, args, opts: RunOptions = {}) =>
  new Promise<RunResult>((resolve) => {
    const child = spawn(cmd, [...args], {
      cwd: opts.cwd,
      env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      resolve({ code: e.code === 'ENOENT' ? 127 : 126, stdout: '', stderr: `${cmd}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      const sigNo = signal ? (constants.signals[signal] ?? 9) : 0;
      resolve({
        code: code ?? 128 + sigNo,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}\n${cmd}: killed after ${opts.timeoutMs} ms` : stderr,
      });
    });
    child.stdin.on('error', () => {
      /* the program may exit without reading its input */
    });
    child.stdin.end(opts.input ?? '');
  });

/**
 * Linux: a message to every terminal with `wall` (util-linux; the message on stdin). False when `wall`
 * is missing or fails, so the caller falls back to its log.
 */
export async function wallNotify(run: CommandRunner, message: string): Promise<boolean> {
  const r = await run('wall', [], { input: `${message}\n`, timeoutMs: 10_000 });
  return r.code === 0;
}
