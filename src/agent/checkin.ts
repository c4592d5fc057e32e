// The check-in: what the agent tells the server (its version, its machine, the settings it holds, its
// inventory when it changed), and what it takes from the answer (settings, interval, scan sequence, jobs).
import { createHash } from 'node:crypto';
import type { CheckInRequest, CheckInResponse, Job } from './client.ts';
import { AGENT_VERSION, type AgentRuntime } from './runtime.ts';

/** takes in a check-in's answer: settings, interval, scan sequence, the jobs to run */
export async function accept(rt: AgentRuntime, res: CheckInResponse) {
  const st = await rt.st();
  let changed = false;
  if (res.settings) {
    st.settings = res.settings;
    st.settingsHash = res.settingsHash;
    changed = true;
  }
  if (st.settings) rt.intervalMs = st.settings.checkinIntervalSeconds * 1000;
  const queuedScans = (await rt.o.storage.list()).some((m) => m.type === 'scan');
  if (!queuedScans && res.scanSequence !== st.scanSequence) {
    // the server applied another sequence than this agent last sent (a lost state or a lost report)
    st.scanSequence = Math.max(st.scanSequence, res.scanSequence);
    rt.needFull = true;
    changed = true;
  }
  // the server lists every job not finished: that list is what waits (a job it no longer lists was
  // cancelled or expired, or its result is in)
  const queue: Record<string, Job> = {};
  for (const j of res.jobs) if (st.jobs[j.id] !== 'done' && !rt.running.has(j.id)) queue[j.id] = j;
  const ids = (q: Record<string, Job> | undefined) => Object.keys(q ?? {}).join(',');
  if (ids(queue) !== ids(st.queue)) changed = true;
  st.queue = queue;
  if (changed) await rt.save(); // an idle round writes nothing
}

export async function checkIn(rt: AgentRuntime): Promise<CheckInResponse> {
  const st = await rt.st();
  const body: CheckInRequest = {
    agentVersion: rt.o.agentVersion ?? AGENT_VERSION,
    ...(rt.o.machineId ? { machineId: rt.o.machineId } : {}),
    ...(st.settingsHash && st.settings ? { settingsHash: st.settingsHash } : {}),
  };
  if (rt.lastScan && rt.o.sendInventory !== false) {
    const packages = rt.lastScan.inventory.map(
      (p) => `${p.name}=${p.version}${p.status ? ` (${p.status})` : ''}`,
    );
    const hash = createHash('sha1').update(packages.join('\n')).digest('hex');
    if (hash !== st.inventoryHash) {
      body.inventory = { backend: rt.lastScan.backend, packages };
      st.inventoryHash = hash;
    }
  }
  const res = await rt.o.client.checkIn(body);
  if (body.inventory) await rt.save();
  return res;
}
