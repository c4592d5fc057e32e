import { createHash } from 'node:crypto';
import { ancestorsOf } from '../core/access.ts';
import {
  buildAgentSettings,
  mergeDownload,
  settingsHorizon,
  type PolicySource,
  type WindowSource,
} from '../core/agent-settings/build.ts';
import type { AgentSettings } from '../core/agent-settings/model.ts';
import type { PolicyBehaviour } from '../core/policies/model.ts';
import { effectiveZone, isValidZoneName } from '../core/schedule/zones.ts';
import type { MaintenanceWindowSettings } from '../core/windows/model.ts';
import * as repo from '../store/repos/agents-repo.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import { getOrganization } from '../store/repos/organizations-repo.ts';
import { windowsAssignedTo } from '../store/repos/policies-repo.ts';
import type { Row } from '../store/schema.ts';
import { noteSettings } from './agent-devices.ts';
import type { Context } from './context.ts';
import { serverZone } from './policies.ts';
import { packageSources } from './staging.ts';

// A device's agent settings behind a hash. The settings (core/agent-settings) follow from the windows,
// policies, relays and group tree of the device's organization; triggers bump the organization's
// settings revision when any of those change (migration 0009). A device row remembers the key its
// settings were last computed for (revision, group, zone, interval, horizon day) and their hash, both
// read by the credential lookup the check-in runs anyway: when the key still holds and the agent sends
// that hash, the check-in answers the hash alone without another query. Otherwise the settings are
// computed (a few queries, once per organization and group: settingsOf), their hash stored (in batches),
// and they go out when the agent's hash differs.

/** the server's zone, read once (Intl is slow enough to matter on the idle path) */
const SERVER_ZONE = serverZone();

/** the zone a device's settings are computed in: its own, else its organization's, else the server's */
function zoneOf(device: Pick<Row<'devices'>, 'time_zone'>, orgZone: string | null | undefined): string {
  // a device reports its zone itself: never trust it blindly
  const valid = (z: string | null | undefined) => (z && isValidZoneName(z) ? z : null);
  return effectiveZone({
    device: valid(device.time_zone),
    organization: valid(orgZone),
    server: SERVER_ZONE,
  });
}

/** what a device's settings depend on besides the organization's data */
export function settingsKey(
  device: Pick<Row<'devices'>, 'id' | 'group_id' | 'time_zone' | 'checkin_interval_seconds'>,
  revision: number,
  now: Date,
): string {
  const { epoch } = settingsHorizon(now.getTime(), device.id);
  return [
    revision,
    device.group_id,
    device.time_zone ?? '',
    SERVER_ZONE,
    device.checkin_interval_seconds,
    epoch,
  ].join(':');
}

export const settingsHash = (s: AgentSettings) =>
  createHash('sha256').update(JSON.stringify(s)).digest('base64url').slice(0, 32);

/** computes a device's settings from the store (the check-in's path when they may have changed) */
export async function computeDeviceSettings(
  ctx: Context,
  device: Row<'devices'>,
  now: Date,
): Promise<AgentSettings> {
  const db = ctx.store.db;
  const org = await getOrganization(db, device.organization_id);
  const zone = zoneOf(device, org?.time_zone);
  const tree = await groupTree(db, device.organization_id);
  const chain = [device.group_id, ...ancestorsOf(tree, device.group_id)];
  const policyRows = await repo.policiesTargeting(db, device.organization_id, device.id, chain);
  const policies: PolicySource[] = policyRows.map((p) => ({
    id: p.id,
    behaviour: p.behaviour as unknown as PolicyBehaviour,
  }));
  const windows = new Map<number, WindowSource & { policyIds: number[] }>();
  for (const r of await windowsAssignedTo(
    db,
    chain,
    policies.map((p) => p.id),
  )) {
    const w = windows.get(r.id) ?? {
      id: r.id,
      name: r.name,
      settings: r.settings as unknown as MaintenanceWindowSettings,
      groupDepth: null,
      policyIds: [],
    };
    if (r.group_id !== null) {
      const depth = chain.indexOf(r.group_id);
      if (depth >= 0 && (w.groupDepth === null || depth < w.groupDepth))
        Object.assign(w, { groupDepth: depth });
    }
    if (r.policy_id !== null && !w.policyIds.includes(r.policy_id)) w.policyIds.push(r.policy_id);
    windows.set(r.id, w);
  }
  const sources = await packageSources(ctx, device.id, mergeDownload([...windows.values()], policies), {
    skipUnknown: true,
  });
  const horizon = settingsHorizon(now.getTime(), device.id);
  return buildAgentSettings({
    checkinIntervalSeconds: device.checkin_interval_seconds,
    zone,
    serverZone: SERVER_ZONE,
    horizon: { from: horizon.from, to: horizon.to },
    windows: [...windows.values()],
    policies,
    packageSources: {
      relays: sources.flatMap((s) =>
        s.kind === 'relay'
          ? [{ deviceId: s.deviceId, name: s.name, hostname: s.hostname, ipAddresses: s.ipAddresses }]
          : [],
      ),
      directDownload: sources.some((s) => s.kind === 'direct'),
    },
  });
}

// settings by hash: devices of one group usually share them, so an agent that sends no hash (or an old
// one) is answered from here without recomputing, as long as its device row's key still holds
const INTERNED_MAX = 4096;
const interned = new Map<string, AgentSettings>();
function intern(hash: string, s: AgentSettings) {
  interned.delete(hash);
  interned.set(hash, s);
  if (interned.size > INTERNED_MAX) interned.delete(interned.keys().next().value as string);
}

export interface CheckInSettings {
  settingsHash: string;
  /** present when the agent's hash differs */
  settings?: AgentSettings;
  /** what changed on the device row (for the caller's cached copy) */
  stored?: { settings_key: string; settings_hash: string };
}

// Settings worked out once per organization and group: the settings of a device that is no relay and no
// policy targets by itself follow from its organization (at a revision), group, zone, interval and horizon
// (which starts at one of 24 hours of the day, by device id), so its group's devices share them. The first
// check-ins after enrollment or a restart then cost a lookup in here instead of several queries each.
// Kept per store: ids and revisions mean nothing across databases.
const SHARED_MAX = 20_000;
interface Shared {
  /** organization:revision:group:zone:interval:horizon start → settings */
  settings: Map<string, { settings: AgentSettings; hash: string }>;
  /** per organization: the devices policies target by themselves, at a settings revision */
  direct: Map<number, { revision: number; devices: Set<number> }>;
}
const sharedByStore = new WeakMap<Context['store'], Shared>();
function sharedOf(ctx: Context): Shared {
  let s = sharedByStore.get(ctx.store);
  if (!s) sharedByStore.set(ctx.store, (s = { settings: new Map(), direct: new Map() }));
  return s;
}

async function targetedDirectly(ctx: Context, organizationId: number, revision: number) {
  const { direct } = sharedOf(ctx);
  const known = direct.get(organizationId);
  if (known && known.revision >= revision) return known.devices;
  const devices = new Set(await repo.devicesTargetedDirectly(ctx.store.db, organizationId));
  if (direct.size >= SHARED_MAX) direct.clear();
  direct.set(organizationId, { revision, devices });
  return devices;
}

/** a device's settings and their hash, from its group's when it shares them */
async function settingsOf(ctx: Context, device: Row<'devices'>, revision: number, now: Date) {
  const plain =
    !device.is_relay && !(await targetedDirectly(ctx, device.organization_id, revision)).has(device.id);
  const groupKey = plain
    ? [
        device.organization_id,
        revision,
        device.group_id,
        device.time_zone ?? '',
        device.checkin_interval_seconds,
        settingsHorizon(now.getTime(), device.id).from,
      ].join(':')
    : undefined;
  const shared = sharedOf(ctx).settings;
  const known = groupKey === undefined ? undefined : shared.get(groupKey);
  if (known) return known;
  const settings = await computeDeviceSettings(ctx, device, now);
  const r = { settings, hash: settingsHash(settings) };
  if (groupKey !== undefined) {
    if (shared.size >= SHARED_MAX) shared.delete(shared.keys().next().value as string);
    shared.set(groupKey, r);
  }
  return r;
}

/**
 * The settings part of a check-in: the current hash always, the settings when the agent's hash differs.
 * `revision` is the organization's settings revision the credential lookup read.
 */
export async function settingsForCheckIn(
  ctx: Context,
  device: Row<'devices'>,
  revision: number,
  agentHash: string | undefined,
): Promise<CheckInSettings> {
  const now = ctx.now();
  const key = settingsKey(device, revision, now);
  const known = device.settings_key === key ? device.settings_hash : null;
  if (known && agentHash === known) return { settingsHash: known }; // the idle path: nothing to do
  const cached = known ? interned.get(known) : undefined;
  if (known && cached) {
    intern(known, cached);
    return { settingsHash: known, settings: cached };
  }
  const { settings, hash } = await settingsOf(ctx, device, revision, now);
  intern(hash, settings);
  let stored: CheckInSettings['stored'];
  if (device.settings_key !== key || device.settings_hash !== hash) {
    noteSettings(ctx.store, device.id, key, hash);
    stored = { settings_key: key, settings_hash: hash };
  }
  return {
    settingsHash: hash,
    ...(agentHash === hash ? {} : { settings }),
    ...(stored ? { stored } : {}),
  };
}
