import { conflict, invalid, notFound, unauthenticated } from '../core/errors.ts';
import { canTransition, type UpdateStatus } from '../core/status.ts';
import type { ReportedUpdate } from '../core/updates.ts';
import type { Db, Store } from '../store/db.ts';
import * as repo from '../store/repos/agents.ts';
import { getDevice, insertDevice, updateDevice } from '../store/repos/devices.ts';
import { getGroup } from '../store/repos/groups.ts';
import { getOrganization } from '../store/repos/organizations.ts';
import { deviceUpdateStates, getUpdate, setDeviceUpdateStatus } from '../store/repos/updates.ts';
import type { Row } from '../store/schema.ts';
import { Context, type Actor } from './context.ts';
import { settingsForCheckIn } from './agent-settings.ts';
import { record, type EventInput } from './events.ts';
import { ingestScan } from './scans.ts';
import { installAllowedAt } from './windows.ts';
import { newToken, tokenHash } from './secrets.ts';

// The agent's use cases: enrollment with an organization's install token, check-in, scan reports with
// sequence numbers, idempotent job results, credential rotation.

export const AGENT_PROTOCOL_VERSION = 1;

/** an install token for an organization (optionally enrolling into a group); shown once */
export async function createInstallToken(
  ctx: Context,
  input: { organizationId: number; groupId?: number | null; name?: string; expiresAt?: Date | null },
) {
  ctx.seeOrganization(input.organizationId);
  ctx.authorize('manage_devices');
  // a scope that covers every organization sees ids that name none: found here, not by the foreign key
  if (!(await getOrganization(ctx.store.db, input.organizationId)))
    throw notFound('organization', input.organizationId);
  if (!ctx.ownsOrganization(input.organizationId) && input.groupId == null)
    throw invalid('your scope covers only some groups of this organization', [
      { path: '/groupId', message: 'name a group inside your scope' },
    ]);
  if (input.groupId != null) {
    const g = await getGroup(ctx.db, input.groupId);
    if (!g || !ctx.seesGroup(g.organization_id, g.id)) throw notFound('group', input.groupId);
    if (g.organization_id !== input.organizationId)
      throw invalid('the group belongs to another organization', [
        { path: '/groupId', message: 'must be a group of the organization' },
      ]);
  }
  const token = newToken('plt');
  const row = await ctx.store.transaction(async (tx) => {
    const r = await repo.insertInstallToken(tx, {
      organization_id: input.organizationId,
      group_id: input.groupId ?? null,
      name: input.name ?? '',
      token_hash: tokenHash(token),
      expires_at: input.expiresAt ?? null,
    });
    await record(ctx, tx, {
      kind: 'install_token.created',
      organizationId: input.organizationId,
      subjectType: 'install_token',
      subjectId: r.id,
      data: { name: input.name ?? '', groupId: input.groupId ?? null },
    });
    return r;
  });
  return {
    id: row.id,
    token,
    organizationId: input.organizationId,
    groupId: input.groupId ?? null,
    createdAt: row.created_at,
  };
}

export interface EnrollInput {
  token: string;
  name: string;
  hostname?: string;
  osFamily?: string;
  osName?: string;
  osVersion?: string;
  architecture?: string;
  agentVersion?: string;
  timeZone?: string | null;
}

/** Enrolls a device with an install token; returns the device's own credential (shown once). */
export async function enroll(store: Store, input: EnrollInput) {
  const t = await repo.getInstallTokenByHash(store.db, tokenHash(input.token));
  if (!t || t.revoked_at || (t.expires_at && t.expires_at <= new Date()))
    throw unauthenticated('the install token is unknown, revoked or expired');
  const org = await getOrganization(store.db, t.organization_id);
  if (!org?.root_group_id) throw unauthenticated('the install token’s organization no longer exists');
  const credential = newToken('pld');
  const deviceId = await store.transaction(async (tx) => {
    const { id } = await insertDevice(tx, {
      organization_id: t.organization_id,
      group_id: t.group_id ?? org.root_group_id!,
      name: input.name,
      hostname: input.hostname ?? input.name,
      os_family: input.osFamily ?? 'unknown',
      os_name: input.osName ?? '',
      os_version: input.osVersion ?? '',
      architecture: input.architecture ?? '',
      agent_version: input.agentVersion ?? null,
      time_zone: input.timeZone ?? null,
      credential_hash: tokenHash(credential),
      credential_generation: 1,
      enrolled_at: new Date(),
      last_seen_at: new Date(),
    });
    const ctx = new Context(
      store,
      deviceActor({
        id,
        organization_id: t.organization_id,
        group_id: t.group_id ?? org.root_group_id!,
        name: input.name,
      }),
    );
    await record(ctx, tx, {
      kind: 'device.enrolled',
      organizationId: t.organization_id,
      subjectType: 'device',
      subjectId: id,
      deviceId: id,
      data: { name: input.name, installTokenId: t.id },
    });
    return id;
  });
  return { deviceId, credential, organizationId: t.organization_id, checkinIntervalSeconds: 300 };
}

/** a device acts only on itself */
export function deviceActor(d: Pick<Row<'devices'>, 'id' | 'organization_id' | 'group_id' | 'name'>): Actor {
  return {
    type: 'device',
    id: String(d.id),
    name: d.name,
    privileges: new Set(['read', 'manage_devices']),
    access: {
      all: false,
      organizations: new Set(),
      groups: new Map([[d.organization_id, new Set([d.group_id])]]),
    },
  };
}

export interface AuthenticatedDevice {
  ctx: Context;
  device: Row<'devices'>;
  /** the organization's settings revision (read with the device, cached with it) */
  settingsRevision: number;
  /** whether a job waits; known only when the lookup ran now (never cached) */
  openJobs?: boolean;
}

export async function authenticateDevice(store: Store, credential: string): Promise<AuthenticatedDevice> {
  const hash = tokenHash(credential);
  const c = cacheOf(store);
  const now = Date.now();
  let hit = c.devices.get(hash);
  if (hit && hit.until <= now) hit = undefined;
  let openJobs: boolean | undefined;
  if (!hit) {
    // one query: the device, whether a job waits (never cached: a new job must go out at once) and the
    // organization's settings revision
    const found = await repo.getDeviceByCredentialWithJobs(store.db, hash);
    if (found) {
      const { has_open_jobs, org_settings_revision, ...row } = found;
      openJobs = Boolean(has_open_jobs);
      // entries are kept in expiry order: drop the expired ones from the front, and the oldest when full
      for (const [k, e] of c.devices) {
        if (e.until > now && c.devices.size < CREDENTIAL_CACHE_MAX) break;
        c.devices.delete(k);
      }
      c.devices.delete(hash);
      hit = { device: row, revision: org_settings_revision, until: now + CREDENTIAL_CACHE_MS };
      c.devices.set(hash, hit);
    } else c.devices.delete(hash);
  }
  if (!hit || hit.device.status === 'retired')
    throw unauthenticated('unknown or revoked device credential: enroll again');
  return {
    ctx: new Context(store, deviceActor(hit.device)),
    device: hit.device,
    settingsRevision: hit.revision,
    ...(openJobs === undefined ? {} : { openJobs }),
  };
}

export interface CheckIn {
  agentVersion?: string;
  rebootRequired?: boolean;
  inventory?: Record<string, unknown>;
  /** a stable identity of the machine (e.g. /etc/machine-id, the Windows MachineGuid); see checkMachine */
  machineId?: string;
  /** the hash of the settings the agent holds; the answer carries settings only when they differ */
  settingsHash?: string;
}

/** where the first machine id a device presented is kept (the inventory, which the agent does not own) */
const MACHINE_ID = 'machineId';

/**
 * Cloned agents: a device's credential belongs to one machine. The first machine id presented is
 * remembered; another one with the same credential is a copied agent (an imaged VM, a copied state
 * directory). It is recorded as `device.clone_suspected` and refused with 409, telling the clone to enroll.
 */
async function checkMachine(ctx: Context, device: Row<'devices'>, machineId: string) {
  const known = device.inventory?.[MACHINE_ID];
  if (typeof known !== 'string' || !known) {
    const inventory = { ...(device.inventory ?? {}), [MACHINE_ID]: machineId };
    await updateDevice(ctx.db, device.id, { inventory });
    touchCached(ctx.store, device.id, { inventory });
    return;
  }
  if (known === machineId) return;
  await ctx.store.transaction((tx) =>
    record(ctx, tx, {
      kind: 'device.clone_suspected',
      organizationId: device.organization_id,
      subjectType: 'device',
      subjectId: device.id,
      deviceId: device.id,
      data: { knownMachineId: known, presentedMachineId: machineId },
    }),
  );
  throw conflict(
    `this device credential belongs to another machine (machine id ${known}, this one presented ${machineId}): ` +
      'this agent looks like a clone; delete its state and enroll again with an install token',
  );
}

/**
 * Heartbeat: returns the jobs waiting and the settings hash (with the settings when the agent's hash
 * differs), in one round trip. An idle check-in (nothing reported, no job, settings unchanged) costs the
 * credential lookup and nothing else.
 */
export async function checkIn(
  ctx: Context,
  device: Row<'devices'>,
  c: CheckIn,
  /** what authenticateDevice learnt in the same query: openJobs false = skip the jobs query */
  known: { openJobs?: boolean; settingsRevision?: number } = {},
) {
  const now = ctx.now();
  if (c.machineId !== undefined) await checkMachine(ctx, device, c.machineId);
  const patch: Parameters<typeof updateDevice>[2] = {};
  if (c.agentVersion !== undefined && c.agentVersion !== device.agent_version)
    patch.agent_version = c.agentVersion;
  if (c.rebootRequired !== undefined && c.rebootRequired !== device.reboot_required)
    patch.reboot_required = c.rebootRequired;
  if (c.inventory !== undefined) {
    const known = device.inventory?.[MACHINE_ID];
    patch.inventory = known === undefined ? c.inventory : { ...c.inventory, [MACHINE_ID]: known };
  }
  if (Object.keys(patch).length) {
    await updateDevice(ctx.db, device.id, { ...patch, last_seen_at: now });
    touchCached(ctx.store, device.id, patch as Partial<Row<'devices'>>);
  } else noteSeen(ctx.store, device.id, now); // the idle path: one buffered stamp, written in batches
  const open = known.openJobs === false ? [] : await repo.openJobs(ctx.db, device.id);
  // an install waits for a maintenance window that allows it (unless its policy overrides windows)
  const held = new Set<number>();
  for (const j of open)
    if (j.kind === 'install' && j.status === 'pending') {
      const policyId = typeof j.payload.policyId === 'number' ? j.payload.policyId : undefined;
      if (!(await installAllowedAt(ctx.db, device.id, now, policyId === undefined ? {} : { policyId })))
        held.add(j.id);
    }
  const jobs = open.filter((j) => !held.has(j.id));
  const fresh = jobs.filter((j) => j.status === 'pending');
  await repo.markDelivered(
    ctx.db,
    fresh.map((j) => j.id),
  );
  for (const j of fresh) if (j.kind === 'install') j.payload = await queueInstall(ctx, device, j);
  const revision = known.settingsRevision ?? (await repo.settingsRevision(ctx.db, device.organization_id));
  const s = await settingsForCheckIn(ctx, device, revision, c.settingsHash);
  if (s.stored) touchCached(ctx.store, device.id, s.stored);
  return {
    protocol: AGENT_PROTOCOL_VERSION,
    serverTime: now,
    scanSequence: device.scan_sequence,
    jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, payload: j.payload, notBefore: j.not_before })),
    settingsHash: s.settingsHash,
    ...(s.settings ? { settings: s.settings } : {}),
  };
}

export interface ScanReportInput {
  sequence: number;
  full: boolean;
  updates: ReportedUpdate[];
  rebootRequired?: boolean;
}

/** an update an install job asks the agent to install: exactly this version */
export interface JobUpdate {
  updateId: number;
  kind: string;
  name: string;
  packageName: string | null;
  version: string | null;
  architecture: string | null;
  /**
   * the package file, when the catalog knows its SHA-256: the agent downloads it by hash from its relays,
   * then the server, then `sourceUrl` when direct download is allowed
   */
  package?: { sha256: string; sizeBytes: number | null; sourceUrl: string | null };
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * When an install job is first handed out, it takes the device's approved missing updates (status
 * pending; only those named in `updateIds` when the task gave some) into its payload and queues them:
 * the agent installs exactly that list, and the job's result settles each of them.
 */
async function queueInstall(
  ctx: Context,
  device: Row<'devices'>,
  job: { id: number; payload: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  if (Array.isArray(job.payload.updates)) return job.payload;
  const only = Array.isArray(job.payload.updateIds) ? (job.payload.updateIds as number[]) : undefined;
  return ctx.store.transaction(async (tx) => {
    const states = (await deviceUpdateStates(tx, [device.id], only)).filter((s) => s.status === 'pending');
    const updates: JobUpdate[] = [];
    const events: EventInput[] = [];
    for (const s of states) {
      const u = await getUpdate(tx, s.update_id);
      if (!u) continue;
      const sha256 = u.sha256?.trim().toLowerCase() ?? '';
      updates.push({
        updateId: u.id,
        kind: u.kind,
        name: u.name,
        packageName: u.package_name,
        version: u.version,
        architecture: u.architecture,
        ...(SHA256.test(sha256)
          ? { package: { sha256, sizeBytes: u.size_bytes, sourceUrl: u.source_url } }
          : {}),
      });
      await setDeviceUpdateStatus(tx, device.id, u.id, 'queued');
      events.push(updateStatusEvent(device, u.id, 'pending', 'queued', `job ${job.id}`));
    }
    const payload = { ...job.payload, updates };
    await repo.setJobPayload(tx, job.id, payload);
    if (events.length) await record(ctx, tx, events);
    return payload;
  });
}

const updateStatusEvent = (
  device: Row<'devices'>,
  updateId: number,
  from: UpdateStatus,
  to: UpdateStatus,
  reason: string,
): EventInput => ({
  kind: 'device_update.status',
  organizationId: device.organization_id,
  subjectType: 'device_update',
  subjectId: `${device.id}:${updateId}`,
  deviceId: device.id,
  updateId,
  data: { from, to, reason },
});

/**
 * A scan report. Sequence numbers make a lost or repeated message visible: a full snapshot is always
 * taken; a delta must follow the last applied report exactly, a repeated one is acknowledged and
 * ignored, and after a gap the agent is told to send a full snapshot.
 */
export async function reportScan(ctx: Context, device: Row<'devices'>, r: ScanReportInput) {
  const current = (await getDevice(ctx.db, device.id))?.scan_sequence ?? 0;
  if (r.sequence <= current)
    return { accepted: false, duplicate: true, scanSequence: current, needFull: false };
  if (!r.full && r.sequence !== current + 1)
    return { accepted: false, duplicate: false, scanSequence: current, needFull: true };
  const result = await ingestScan(ctx, device.id, {
    full: r.full,
    updates: r.updates,
    rebootRequired: r.rebootRequired,
  });
  await updateDevice(ctx.db, device.id, { scan_sequence: r.sequence });
  touchCached(ctx.store, device.id, { scan_sequence: r.sequence });
  return { accepted: true, duplicate: false, scanSequence: r.sequence, needFull: false, ...result };
}

/** A job's outcome, idempotent by job id: a repeated report changes nothing. */
export async function reportJobResult(
  ctx: Context,
  device: Row<'devices'>,
  jobId: number,
  outcome: { status: 'succeeded' | 'failed'; result?: Record<string, unknown> },
) {
  const job = await repo.getJob(ctx.db, jobId);
  if (!job || job.device_id !== device.id) throw notFound('job', jobId);
  const first = await ctx.store.transaction(async (tx) => {
    const changed = await repo.finishJob(tx, jobId, outcome.status, outcome.result ?? {});
    if (changed)
      await record(ctx, tx, {
        kind: `job.${outcome.status}`,
        organizationId: device.organization_id,
        subjectType: 'job',
        subjectId: jobId,
        deviceId: device.id,
        data: { kind: job.kind },
      });
    if (changed && job.kind === 'install') await settleInstall(ctx, tx, device, job, outcome);
    return changed;
  });
  return { recorded: first, duplicate: !first };
}

export interface JobProgressInput {
  /** what the agent is doing: `installing` (the only stage so far) */
  stage: 'installing';
  /** the job's updates being installed now; default all of them */
  updateIds?: number[];
}

/**
 * The agent started a job. Idempotent: the first report moves the job to running (`job.started`), and for
 * an install the named updates (all by default) from queued to installing; a repeat changes nothing
 * except updates not yet installing; a report about a finished job is acknowledged and ignored.
 */
export async function reportJobProgress(
  ctx: Context,
  device: Row<'devices'>,
  jobId: number,
  p: JobProgressInput,
) {
  const job = await repo.getJob(ctx.db, jobId);
  if (!job || job.device_id !== device.id) throw notFound('job', jobId);
  const asked =
    job.kind === 'install' && Array.isArray(job.payload.updates) ? (job.payload.updates as JobUpdate[]) : [];
  if (p.updateIds) {
    const known = new Set(asked.map((u) => u.updateId));
    const strangers = p.updateIds.filter((id) => !known.has(id));
    if (strangers.length)
      throw invalid(
        `job ${jobId} does not install update(s) ${strangers.join(', ')}`,
        strangers.map((id) => ({ path: '/updateIds', message: `update ${id} is not part of job ${jobId}` })),
      );
  }
  return ctx.store.transaction(async (tx) => {
    const started = await repo.startJob(tx, jobId);
    const events: EventInput[] = [];
    if (started)
      events.push({
        kind: 'job.started',
        organizationId: device.organization_id,
        subjectType: 'job',
        subjectId: jobId,
        deviceId: device.id,
        data: { kind: job.kind, stage: p.stage },
      });
    const finished = !started && !['delivered', 'pending', 'running'].includes(job.status);
    let installing = 0;
    if (!finished && asked.length) {
      const only = new Set(p.updateIds ?? asked.map((u) => u.updateId));
      const states = await deviceUpdateStates(
        tx,
        [device.id],
        asked.map((u) => u.updateId).filter((id) => only.has(id)),
      );
      for (const st of states) {
        const from = st.status as UpdateStatus;
        if (from !== 'queued' || !canTransition(from, 'installing')) continue; // a scan or a person moved it
        await setDeviceUpdateStatus(tx, device.id, st.update_id, 'installing');
        events.push(updateStatusEvent(device, st.update_id, from, 'installing', `job ${jobId}`));
        installing++;
      }
    }
    if (events.length) await record(ctx, tx, events);
    return { recorded: started || installing > 0, duplicate: !started && installing === 0, installing };
  });
}

/**
 * Settles the updates an install job carried (queued or installing) from the agent's per-update results
 * (`result.updates: [{updateId, status: succeeded | failed, rebootRequired?, message?}]`); an update the
 * result does not mention takes the job's status.
 */
async function settleInstall(
  ctx: Context,
  tx: Db,
  device: Row<'devices'>,
  job: { id: number; payload: Record<string, unknown> },
  outcome: { status: 'succeeded' | 'failed'; result?: Record<string, unknown> },
) {
  const asked = Array.isArray(job.payload.updates) ? (job.payload.updates as JobUpdate[]) : [];
  if (!asked.length) return;
  type Reported = { updateId?: unknown; status?: unknown; rebootRequired?: unknown; message?: unknown };
  const reported = new Map<number, Reported>();
  const list = outcome.result?.updates;
  if (Array.isArray(list))
    for (const r of list as Reported[]) if (typeof r?.updateId === 'number') reported.set(r.updateId, r);
  const states = new Map(
    (
      await deviceUpdateStates(
        tx,
        [device.id],
        asked.map((u) => u.updateId),
      )
    ).map((s) => [s.update_id, s.status as UpdateStatus]),
  );
  const events: EventInput[] = [];
  for (const u of asked) {
    const from = states.get(u.updateId);
    if (from !== 'queued' && from !== 'installing') continue; // a scan or a person moved it meanwhile
    const r = reported.get(u.updateId);
    const ok = (r?.status ?? outcome.status) === 'succeeded';
    const to: UpdateStatus = !ok ? 'failed' : r?.rebootRequired === true ? 'reboot_required' : 'installed';
    if (!canTransition(from, to)) continue;
    const message = typeof r?.message === 'string' ? r.message.slice(0, 2000) : null;
    await setDeviceUpdateStatus(tx, device.id, u.updateId, to, {
      ...(ok ? { installed_at: ctx.now(), last_error: null } : { last_error: message ?? 'install failed' }),
    });
    await repo.countInstallAttempt(tx, device.id, u.updateId);
    events.push({
      ...updateStatusEvent(device, u.updateId, from, to, `job ${job.id}`),
      data: { from, to, reason: `job ${job.id}`, ...(message ? { message } : {}) },
    });
  }
  if (events.length) await record(ctx, tx, events);
}

/** Replaces the device's credential; the old one stops working at once. */
export async function rotateCredential(ctx: Context, device: Row<'devices'>) {
  const credential = newToken('pld');
  await ctx.store.transaction(async (tx) => {
    await updateDevice(tx, device.id, {
      credential_hash: tokenHash(credential),
      credential_generation: device.credential_generation + 1,
    });
    await record(ctx, tx, {
      kind: 'device.credential_rotated',
      organizationId: device.organization_id,
      subjectType: 'device',
      subjectId: device.id,
      deviceId: device.id,
      data: { generation: device.credential_generation + 1 },
    });
  });
  forgetDevice(ctx.store, device.id);
  return { credential };
}

// ---- the idle check-in path: a short-lived credential cache and batched last_seen_at writes ----

/** how long a credential → device lookup is trusted; other replicas' rotations and retirements show after it */
export const CREDENTIAL_CACHE_MS = 3000;
const CREDENTIAL_CACHE_MAX = 200_000;
/** how often the buffered last_seen_at stamps are written */
export const LAST_SEEN_FLUSH_MS = 2000;

interface StoreCache {
  devices: Map<string, { device: Row<'devices'>; revision: number; until: number }>;
  lastSeen: Map<number, Date>;
  timer: NodeJS.Timeout | undefined;
}
const caches = new Map<Store, StoreCache>();
const cacheOf = (store: Store): StoreCache => {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = { devices: new Map(), lastSeen: new Map(), timer: undefined }));
  return c;
};

/** forgets the cached credential lookups of a device (its credential changed or it was retired here) */
export function forgetDevice(store: Store, deviceId: number) {
  const c = caches.get(store);
  if (!c) return;
  for (const [hash, e] of c.devices) if (e.device.id === deviceId) c.devices.delete(hash);
}

/** keeps a cached device row in step with a change this process made */
function touchCached(store: Store, deviceId: number, patch: Partial<Row<'devices'>>) {
  const c = caches.get(store);
  if (!c) return;
  for (const e of c.devices.values()) if (e.device.id === deviceId) Object.assign(e.device, patch);
}

function noteSeen(store: Store, deviceId: number, at: Date) {
  const c = cacheOf(store);
  c.lastSeen.set(deviceId, at);
  if (!c.timer) {
    c.timer = setTimeout(() => {
      c.timer = undefined;
      flushLastSeen(store).catch(() => {
        /* the next check-in stamps it again */
      });
    }, LAST_SEEN_FLUSH_MS);
    c.timer.unref();
  }
}

/** writes the buffered last_seen_at stamps of a store in one statement */
export async function flushLastSeen(store: Store) {
  const c = caches.get(store);
  if (!c) return 0;
  if (c.timer) clearTimeout(c.timer);
  c.timer = undefined;
  const batch = [...c.lastSeen];
  c.lastSeen.clear();
  if (batch.length) await repo.setLastSeen(store.db, batch);
  return batch.length;
}

/** writes a store's buffered stamps and forgets its caches: call before that store closes */
export async function closeCheckins(store: Store) {
  try {
    await flushLastSeen(store);
  } finally {
    caches.delete(store);
  }
}
