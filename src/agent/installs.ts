// Installs: one at a time (in this process, and across processes through the storage's lock), started
// only while the maintenance windows in the settings allow it, with or without the server; packages the
// catalog knows are downloaded by hash and installed from the file, the others through the package manager.
import { rm } from 'node:fs/promises';
import { installAllowedAt, nextInstallOpening } from '../core/agent-settings/model.ts';
import type { InstallRequest, InstallResult, ScanResult } from './backends/index.ts';
import type { JobUpdate } from '../wire/agent.ts';
import type { Job } from './client.ts';
import { fetchPackage } from './downloads.ts';
import { queueResult, queueScan, reportProgress, scanAndQueue } from './outbox.ts';
import { notify, planRebootAfterInstall } from './reboots.ts';
import { policyOf, type AgentRuntime } from './runtime.ts';
import { InstallBusyError } from './storage.ts';

/** what the server put in an install job: the protocol's type (wire/agent.ts) */
export type { JobUpdate };

/** never two installs at once, even when cycles overlap */
export function exclusive<T>(rt: AgentRuntime, fn: () => Promise<T>): Promise<T> {
  const run = rt.installLock.then(fn, fn);
  rt.installLock = run.catch(() => undefined);
  return run;
}

/**
 * An install job: one at a time (in this process, and across processes through the storage's lock),
 * started only while the maintenance windows in the settings allow it, with or without the server.
 */
export function installJob(rt: AgentRuntime, job: Job): Promise<boolean> {
  rt.running.add(job.id);
  return exclusive(rt, async () => {
    try {
      const st = await rt.st();
      const s = st.settings;
      const policyId = policyOf(job);
      if (s && !installAllowedAt(s, rt.now(), policyId)) {
        const next = nextInstallOpening(s, rt.now(), policyId);
        await rt.hold(
          job,
          `no maintenance window allows installs now (${next === null ? 'none opens before ' + s.horizon.end : `next opens ${new Date(next).toISOString()}`})`,
        );
        return false;
      }
      let release: (() => Promise<void>) | undefined;
      try {
        release = await rt.o.storage.lockInstalls?.();
      } catch (e) {
        if (!(e instanceof InstallBusyError)) throw e;
        await rt.hold(job, e.message);
        rt.heldLogged.delete(job.id);
        return false;
      }
      try {
        rt.heldLogged.delete(job.id);
        await rt.dequeue(job.id);
        st.jobs[job.id] = 'started';
        await rt.save();
        try {
          await install(rt, job);
        } catch (e) {
          await queueResult(rt, job.id, { status: 'failed', result: { message: (e as Error).message } });
        }
        return true;
      } finally {
        await release?.();
      }
    } finally {
      rt.running.delete(job.id);
    }
  });
}

export async function install(rt: AgentRuntime, job: Job) {
  const st = await rt.st();
  const s = st.settings ?? null;
  const wanted = Array.isArray(job.payload.updates) ? (job.payload.updates as JobUpdate[]) : [];
  const mac = rt.o.backend.name === 'macos';
  if (s?.notifications.beforeInstall)
    await notify(
      rt,
      (mac ? s.notifications.installMessageMac : null) ??
        s.notifications.installMessage ??
        'Patchline is installing updates on this computer.',
    );
  if (wanted.length)
    await reportProgress(rt, job.id, { stage: 'installing', updateIds: wanted.map((w) => w.updateId) });
  const offered = rt.lastScan ?? (await rt.o.backend.scan({ refresh: false }));
  const requests: InstallRequest[] = wanted.map((w) => {
    const name = w.kind === 'kb' ? w.name : (w.packageName ?? w.name);
    const match = offered.updates.find(
      (u) =>
        u.name === name &&
        (w.version === null || u.version === w.version) &&
        (!w.architecture || !u.arch || u.arch === w.architecture),
    );
    return {
      id: match?.id ?? (w.architecture ? `${name}:${w.architecture}` : name),
      name,
      ...(w.version !== null ? { version: w.version } : {}),
      ...(w.architecture ? { arch: w.architecture } : {}),
    };
  });
  const results: (InstallResult | undefined)[] = new Array(wanted.length);
  // updates whose package the catalog knows are downloaded by hash (relays, server, vendor when allowed)
  // and installed from the file, where the backend can; the others through the package manager
  const plain: number[] = [];
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i]!;
    const installFile = rt.o.backend.installFile?.bind(rt.o.backend);
    if (!w.package || !installFile) {
      plain.push(i);
      continue;
    }
    let file: string;
    try {
      file = await fetchPackage(rt, w, s);
    } catch (e) {
      results[i] = {
        id: requests[i]!.id,
        name: requests[i]!.name,
        status: 'failed',
        exitCode: null,
        message: (e as Error).message,
        newVersion: null,
        rebootRequired: false,
      };
      continue;
    }
    try {
      results[i] = await installFile(requests[i]!, file);
    } finally {
      await rm(file, { force: true }).catch(() => undefined);
    }
  }
  if (plain.length) {
    const r = await rt.o.backend.install(plain.map((i) => requests[i]!));
    plain.forEach((i, k) => (results[i] = r[k]));
  }
  // the package manager's database afterwards is the truth: one failing package can make the
  // command fail for others that were installed all the same (apt configures every pending package)
  const after = await rt.o.backend.scan({ refresh: false }).catch(() => undefined);
  const updates = wanted.map((w, i) => {
    let r = results[i];
    if (
      r &&
      r.status === 'failed' &&
      after &&
      w.version !== null &&
      installedCleanly(after, r.name, w.version)
    )
      r = {
        ...r,
        status: 'succeeded',
        newVersion: w.version,
        message: `${r.name} ${w.version} installed (the command reported: ${r.message})`,
      };
    return {
      updateId: w.updateId,
      name: w.name,
      version: w.version,
      status: r?.status ?? 'failed',
      exitCode: r?.exitCode ?? null,
      message: r?.message ?? 'the backend returned no result',
      newVersion: r?.newVersion ?? null,
      rebootRequired: r?.rebootRequired ?? false,
    };
  });
  const failed = updates.filter((u) => u.status !== 'succeeded').length;
  const reboot = await rt.o.backend.rebootRequired();
  await queueResult(rt, job.id, {
    status: failed ? 'failed' : 'succeeded',
    result: { updates, failed, rebootRequired: reboot.required },
  });
  rt.log(`job ${job.id}: installed ${updates.length - failed} of ${updates.length} update(s)`);
  if (after) {
    rt.lastScan = after;
    await queueScan(rt, after, false);
  } else await scanAndQueue(rt, false);
  if (reboot.required) await planRebootAfterInstall(rt);
}

/** the package is at exactly this version, fully installed, and not offered as an update any more */
function installedCleanly(scan: ScanResult, name: string, version: string): boolean {
  const p = scan.inventory.find((x) => x.name === name && x.version === version);
  return !!p && !p.status && !scan.updates.some((u) => u.name === name && u.version === version);
}
