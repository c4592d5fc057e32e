// A runner that answers from recorded outputs, and remembers what it was asked to run.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandRunner, RunOptions, RunResult } from '../../../src/agent/backends/types.ts';

export const fixture = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url)), 'utf8');

export interface Call {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly opts: RunOptions | undefined;
}

export interface Reply {
  /** matches when every element appears in `cmd args…` in order */
  readonly match: readonly string[];
  readonly result: Partial<RunResult>;
  /** answer only this many times (default: always) */
  readonly times?: number;
}

export function replayRunner(replies: readonly Reply[]): { runner: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const used = new Map<Reply, number>();
  const runner: CommandRunner = async (cmd, args, opts) => {
    calls.push({ cmd, args: [...args], opts });
    const words = [cmd, ...args];
    const reply = replies.find((r) => {
      if (r.times !== undefined && (used.get(r) ?? 0) >= r.times) return false;
      let i = 0;
      for (const w of words) if (i < r.match.length && w === r.match[i]) i++;
      return i === r.match.length;
    });
    if (!reply) throw new Error(`unexpected command: ${words.join(' ')}`);
    used.set(reply, (used.get(reply) ?? 0) + 1);
    return { code: 0, stdout: '', stderr: '', ...reply.result };
  };
  return { runner, calls };
}
