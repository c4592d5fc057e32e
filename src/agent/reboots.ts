// Reboots and notices: a reboot job, the reboot the settings plan after an install (announced to the
// users first), and the messages shown to them.
import { planReboot } from '../core/agent-settings/model.ts';
import type { Job } from './client.ts';
import { flush, queueResult } from './outbox.ts';
import type { AgentRuntime } from './runtime.ts';

/** tells the machine's users (through the backend: `wall` on Linux), and always logs it */
export async function notify(rt: AgentRuntime, message: string) {
  const shown = (await rt.o.backend.notify?.(message).catch(() => false)) ?? false;
  rt.log(`notice${shown ? '' : ' (logged only: no way to reach the users)'}: ${message}`);
}

/** after an install that needs a reboot: plan it as the settings say (unless one is planned) */
export async function planRebootAfterInstall(rt: AgentRuntime) {
  const st = await rt.st();
  if (st.reboot) return;
  const s = st.settings;
  if (!s) {
    rt.log('a restart is needed; no settings yet, so the users decide');
    return;
  }
  const plan = planReboot(s, rt.now());
  if (!plan) {
    rt.log('a restart is needed; the settings suppress reboots: the device stays "reboot required"');
    return;
  }
  st.reboot = { ...plan, announced: false };
  await rt.save();
}

/** announces and performs a planned reboot when its time has come (with or without the server) */
export async function rebootIfDue(rt: AgentRuntime) {
  const st = await rt.st();
  const r = st.reboot;
  if (!r) return;
  if (!(await rt.o.backend.rebootRequired()).required) {
    st.reboot = null; // the machine restarted meanwhile
    await rt.save();
    return;
  }
  const now = rt.now();
  if (r.announce && !r.announced && now >= r.announceAt) {
    const when =
      r.rebootAt === null
        ? ' Please restart the computer when convenient.'
        : r.rebootAt <= now
          ? ' The computer restarts now.'
          : ` The computer restarts at ${new Date(r.rebootAt).toISOString()}.`;
    await notify(rt, `${r.message}${/[.!?]$/.test(r.message) ? '' : '.'}${when}`);
    r.announced = true;
    await rt.save();
  }
  if (r.rebootAt === null) {
    if (!r.announce || r.announced) {
      st.reboot = null;
      await rt.save();
    }
    return;
  }
  if (now < r.rebootAt) return;
  st.reboot = null;
  await rt.save();
  if (!rt.o.reboot) {
    rt.log('a restart is due, but rebooting is not enabled on this agent (set "rebootCommand")');
    return;
  }
  rt.log('restarting the computer, as the reboot settings say');
  await flush(rt).catch(() => 0);
  await rt.o.reboot();
}

export async function rebootJob(rt: AgentRuntime, job: Job) {
  if (!rt.o.reboot) {
    await queueResult(rt, job.id, {
      status: 'failed',
      result: { message: 'rebooting is not enabled on this agent: set "rebootCommand" in its config' },
    });
    return;
  }
  // the result goes first: after the reboot the job must not run again
  await queueResult(rt, job.id, { status: 'succeeded', result: { rebooting: true } });
  await flush(rt).catch(() => 0);
  await rt.o.reboot();
}
