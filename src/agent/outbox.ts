// The outbox: every scan report, install progress and job result goes through the agent's storage and is
// delivered exactly once, in order, whenever the server is reachable (results are idempotent by job id on
// the server, scans by sequence number). A scan is sent as a delta against the last snapshot when it can.
import type { ScanResult } from './backends/index.ts';
import { isTransient, type JobProgressRequest, type JobResultRequest } from './client.ts';
import { deltaOf, scanToReport, snapshotOf } from './report.ts';
import type { AgentRuntime } from './runtime.ts';
import { progressKey, resultKey, scanKey, type OutboxMessage } from './storage.ts';

export async function queueResult(rt: AgentRuntime, jobId: number, body: JobResultRequest) {
  const st = await rt.st();
  await rt.o.storage.put({ key: resultKey(jobId), type: 'result', jobId, body });
  st.jobs[jobId] = 'done';
  // keep the memory of finished jobs bounded: the server stops handing out a job once its result is in
  const ids = Object.keys(st.jobs);
  if (ids.length > 500) for (const id of ids.slice(0, ids.length - 500)) delete st.jobs[id];
  await rt.save();
}

/** scans and queues the report (a delta when possible); returns the scan */
export async function scanAndQueue(rt: AgentRuntime, refresh: boolean): Promise<ScanResult> {
  const scan = await rt.o.backend.scan({ refresh });
  rt.lastScan = scan;
  await queueScan(rt, scan, false);
  return scan;
}

export async function queueScan(rt: AgentRuntime, scan: ScanResult, forceFull: boolean) {
  const st = await rt.st();
  const updates = scanToReport(scan);
  const full =
    forceFull || rt.needFull || st.lastSnapshot === null || rt.reportsSinceFull >= (rt.o.fullEvery ?? 24);
  if (full) {
    // a full snapshot supersedes every report still waiting
    for (const m of await rt.o.storage.list()) if (m.type === 'scan') await rt.o.storage.remove(m.key);
    rt.reportsSinceFull = 0;
    rt.needFull = false;
  } else rt.reportsSinceFull++;
  const reboot = await rt.o.backend.rebootRequired();
  st.scanSequence++;
  await rt.o.storage.put({
    key: scanKey(st.scanSequence),
    type: 'scan',
    body: {
      sequence: st.scanSequence,
      full,
      updates: full ? updates : deltaOf(st.lastSnapshot ?? {}, updates),
      rebootRequired: reboot.required,
    },
  });
  st.lastSnapshot = snapshotOf(updates);
  await rt.save();
}

/** sends one message (a scan report may come back asking for a full snapshot instead) */
export async function send(rt: AgentRuntime, m: OutboxMessage): Promise<'sent' | 'needFull'> {
  if (m.type === 'progress') await rt.o.client.jobProgress(m.jobId, m.body);
  else if (m.type === 'result') await rt.o.client.jobResult(m.jobId, m.body);
  else if (m.type === 'audit') await rt.o.client.audit(m.body);
  else if ((await rt.o.client.scan(m.body)).needFull) return 'needFull';
  return 'sent';
}

/**
 * Reports that a job started (an install's updates become "installing" on the server, a script's run
 * "running"): through the outbox, sent at once when the server is reachable, later (before the result)
 * when it is not.
 */
export async function reportProgress(rt: AgentRuntime, jobId: number, body: JobProgressRequest) {
  const m: OutboxMessage = { key: progressKey(jobId), type: 'progress', jobId, body };
  await rt.o.storage.put(m);
  try {
    await send(rt, m);
    await rt.o.storage.remove(m.key);
  } catch (e) {
    if (isTransient(e)) return; // it waits in the outbox
    rt.log(`dropped ${m.key}: ${(e as Error).message}`);
    await rt.o.storage.remove(m.key);
  }
}

/**
 * Sends what waits in the outbox, oldest first; stops at the first transient failure (and throws it,
 * so the loop backs off). A message the server rejects for good is dropped with a log line.
 */
export async function flush(rt: AgentRuntime): Promise<number> {
  let sent = 0;
  for (const m of await rt.o.storage.list()) {
    try {
      if ((await send(rt, m)) === 'needFull') {
        for (const x of await rt.o.storage.list()) if (x.type === 'scan') await rt.o.storage.remove(x.key);
        rt.needFull = true;
        if (rt.lastScan) {
          await queueScan(rt, rt.lastScan, true);
          sent += await flush(rt);
        }
        return sent;
      }
      await rt.o.storage.remove(m.key);
      sent++;
    } catch (e) {
      if (isTransient(e)) throw e;
      rt.log(`dropped ${m.key}: ${(e as Error).message}`);
      await rt.o.storage.remove(m.key);
    }
  }
  return sent;
}
