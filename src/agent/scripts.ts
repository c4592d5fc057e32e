// The script runner: worklets, required software and ad-hoc scripts (core/scripts). Each step runs in a
// private working folder (made for the job, mode 0700, removed afterwards) with the step's shell: sh or
// bash on Linux and macOS, PowerShell on Windows (and pwsh elsewhere when installed). A step is bounded:
// at its time limit the whole process group is killed (a script's children go with it), and at most
// `outputCapBytes` of each of stdout and stderr is kept (`truncated` says something was cut). When the
// shell itself exits, what it left running in its group is killed too. The result goes through the
// outbox like every job result; a crash mid-run is reported as failed at the next start (agent.ts),
// never run twice.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installAllowedAt, nextInstallOpening } from '../core/agent-settings/model.ts';
import type { ScriptShell, StepOutcome } from '../core/scripts/model.ts';
import type { ScriptJobPayload } from '../wire/agent.ts';
import type { Job } from './client.ts';
import { queueResult, reportProgress } from './outbox.ts';
import { policyOf, type AgentRuntime } from './runtime.ts';

export interface StepRun {
  shell: ScriptShell;
  code: string;
  timeLimitMs: number;
  outputCapBytes: number;
  /** the private working folder (exists) */
  cwd: string;
}

/** how a shell is started on this machine, or why it cannot be */
export function shellCommand(
  shell: ScriptShell,
  platform: NodeJS.Platform = process.platform,
  has: (cmd: string) => boolean = onPath,
): { cmd: string; args: (file: string) => string[]; ext: string } | { error: string } {
  if (shell === 'powershell') {
    const exe = platform === 'win32' ? 'powershell.exe' : has('pwsh') ? 'pwsh' : null;
    if (!exe) return { error: 'PowerShell (pwsh) is not installed on this machine' };
    return {
      cmd: exe,
      args: (f) => ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', f],
      ext: '.ps1',
    };
  }
  if (platform === 'win32') return { error: `${shell} does not run on Windows; use powershell` };
  if (shell === 'bash' && !has('bash')) return { error: 'bash is not installed on this machine' };
  return { cmd: shell === 'bash' ? 'bash' : '/bin/sh', args: (f) => [f], ext: '.sh' };
}

function onPath(cmd: string): boolean {
  const r = spawnSync(
    process.platform === 'win32' ? 'where' : 'sh',
    process.platform === 'win32' ? [cmd] : ['-c', `command -v ${cmd}`],
    {
      stdio: 'ignore',
    },
  );
  return r.status === 0;
}

/** keeps the first `cap` bytes of a stream, and whether more came */
class Capped {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  cut = false;
  constructor(private readonly cap: number) {}
  push(b: Buffer) {
    const room = this.cap - this.size;
    if (b.length > room) this.cut = true;
    if (room <= 0) return;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.chunks.push(part);
    this.size += part.length;
  }
  /** the kept bytes as text, never ending inside a UTF-8 character */
  text(): string {
    const b = Buffer.concat(this.chunks);
    let end = b.length;
    if (this.cut) {
      let i = end - 1;
      while (i >= 0 && (b[i]! & 0xc0) === 0x80) i--; // back to the lead byte of the last character
      if (i >= 0) {
        const lead = b[i]!;
        const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (i + len > end) end = i;
      }
    }
    return b.subarray(0, end).toString('utf8');
  }
}

function killGroup(pid: number | undefined) {
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32')
      spawnSync('taskkill', ['/PID', String(pid), '/T', '/F'], { stdio: 'ignore' });
    else process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** runs one script; never throws (a shell that cannot start is a failed step with `error`) */
export async function runStep(
  s: StepRun,
  phase: StepOutcome['phase'],
  now: () => number = Date.now,
): Promise<StepOutcome> {
  const startedAt = new Date(now()).toISOString();
  const sh = shellCommand(s.shell);
  const fail = (error: string): StepOutcome => ({
    phase,
    status: 'failed',
    exitCode: null,
    stdout: '',
    stderr: '',
    truncated: false,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
    error,
  });
  if ('error' in sh) return fail(sh.error);
  const file = join(s.cwd, `${phase}${sh.ext}`);
  await writeFile(file, s.code, { mode: 0o600 });
  const out = new Capped(s.outputCapBytes);
  const err = new Capped(s.outputCapBytes);
  return new Promise<StepOutcome>((resolve) => {
    let timedOut = false;
    let exitCode: number | null = null;
    const child = spawn(sh.cmd, sh.args(file), {
      cwd: s.cwd,
      detached: process.platform !== 'win32', // its own process group, killed as a whole
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATCHLINE_SCRIPT_DIR: s.cwd },
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, s.timeLimitMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('exit', (code) => {
      exitCode = code;
      killGroup(child.pid); // what the script left running in its group goes with it
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(fail(`${sh.cmd} could not start: ${e.message}`));
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({
        phase,
        status: timedOut ? 'timed_out' : exitCode === 0 ? 'succeeded' : 'failed',
        exitCode: timedOut ? null : exitCode,
        stdout: out.text(),
        stderr: err.text(),
        truncated: out.cut || err.cut,
        startedAt,
        finishedAt: new Date(now()).toISOString(),
        ...(timedOut ? { error: `killed at the time limit of ${s.timeLimitMs / 1000} s` } : {}),
      });
    });
  });
}

/** runs a job's steps in order: a `previous-failed` step only after a step that did not succeed */
export async function runSteps(
  payload: ScriptJobPayload,
  cwd: string,
  now: () => number = Date.now,
): Promise<StepOutcome[]> {
  const done: StepOutcome[] = [];
  for (const step of payload.steps) {
    const prev = done[done.length - 1];
    if (step.when === 'previous-failed' && (!prev || prev.status === 'succeeded')) break;
    done.push(
      await runStep(
        {
          shell: step.script.shell,
          code: step.script.code,
          timeLimitMs: payload.limits.timeLimitSeconds * 1000,
          outputCapBytes: payload.limits.outputCapBytes,
          cwd,
        },
        step.phase,
        now,
      ),
    );
  }
  return done;
}

/** runs `fn` in a folder of its own under the agent's script folder, removed afterwards */
async function inPrivateFolder<T>(
  rt: AgentRuntime,
  jobId: number,
  fn: (cwd: string) => Promise<T>,
): Promise<T> {
  const base = rt.o.scriptDir ?? join(tmpdir(), 'patchline-scripts');
  await mkdir(base, { recursive: true, mode: 0o700 });
  const cwd = await mkdtemp(join(base, `job-${jobId}-`));
  try {
    return await fn(cwd);
  } finally {
    await rm(cwd, { recursive: true, force: true }).catch(() => undefined);
  }
}

const isPayload = (p: Record<string, unknown>): p is ScriptJobPayload & Record<string, unknown> =>
  Array.isArray(p.steps) &&
  typeof (p.limits as { timeLimitSeconds?: unknown } | undefined)?.timeLimitSeconds === 'number' &&
  typeof (p.limits as { outputCapBytes?: unknown } | undefined)?.outputCapBytes === 'number';

/**
 * A script job: held while no maintenance window allows its policy (as an install), then its steps run
 * in a private folder under `scriptDir`; the result (every step's outcome) goes through the outbox.
 */
export async function scriptJob(rt: AgentRuntime, job: Job): Promise<boolean> {
  const st = await rt.st();
  const policyId = policyOf(job);
  if (policyId !== undefined && st.settings && !installAllowedAt(st.settings, rt.now(), policyId)) {
    const next = nextInstallOpening(st.settings, rt.now(), policyId);
    await rt.hold(
      job,
      `no maintenance window allows policy ${policyId} now${next === null ? '' : ` (next opens ${new Date(next).toISOString()})`}`,
    );
    return false;
  }
  rt.running.add(job.id);
  try {
    rt.heldLogged.delete(job.id);
    await rt.dequeue(job.id);
    st.jobs[job.id] = 'started';
    await rt.save();
    if (!isPayload(job.payload)) {
      await queueResult(rt, job.id, {
        status: 'failed',
        result: { message: 'the script job carries no steps' },
      });
      return true;
    }
    await reportProgress(rt, job.id, { stage: 'running' });
    const steps = rt.o.backend.runScripts
      ? await rt.o.backend.runScripts(job.payload.steps, job.payload.limits)
      : await inPrivateFolder(rt, job.id, (cwd) =>
          runSteps(job.payload as ScriptJobPayload, cwd, () => rt.now()),
        );
    const last = steps[steps.length - 1];
    rt.log(
      `script job ${job.id}: ${steps.map((s) => `${s.phase} ${s.status}${s.exitCode === null ? '' : ` (${s.exitCode})`}`).join(', ')}`,
    );
    await queueResult(rt, job.id, {
      status: last?.status === 'succeeded' ? 'succeeded' : 'failed',
      result: { steps },
    });
    return true;
  } finally {
    rt.running.delete(job.id);
  }
}
