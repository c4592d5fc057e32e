import { readFileSync } from 'node:fs';
import { SimulatedMachine } from '../core/simulation/machine.ts';
import { deltaOf, reportedUpdate, snapshotOf, type Snapshot } from '../core/simulation/report.ts';
import type { AvailableUpdate, BackendName, InstallRequest } from '../core/simulation/types.ts';
import { conflict, invalid } from '../core/errors.ts';
import { demoBulletins, demoKevCatalog, unit, type OfferedUpdate } from '../demo-data/bulletins.ts';
import {
  DEMO_OPERATOR,
  DEMO_ORGANIZATIONS,
  type GroupPlan,
  type MachineKind,
  type OrganizationPlan,
} from '../demo-data/plan.ts';
import type { Store } from '../store/db.ts';
import { getDevice as getDeviceRow, updateDevice as updateDeviceRow } from '../store/repos/devices-repo.ts';
import { newToken, tokenHash } from './secrets.ts';
import { getRoleByName, getUserByName } from '../store/repos/identity-repo.ts';
import {
  AGENT_PROTOCOL_VERSION,
  checkIn,
  deviceActor,
  flushLastSeen,
  reportJobResult,
  reportScan,
  type JobUpdate,
} from './agents.ts';
import { applyApproval } from './approvals.ts';
import { userActor } from './auth.ts';
import { listUpdates, upsertCatalogBulletins } from './catalog.ts';
import { Context, systemContext } from './context.ts';
import { createDevice } from './devices.ts';
import { createGroup } from './groups.ts';
import { createScope, createUser } from './identity.ts';
import { importAdvisories } from './importers.ts';
import { createOrganization } from './organizations.ts';
import { createPolicy } from './policies.ts';
import { statusCounts } from './status.ts';
import { runNow } from './tasks.ts';
import { createWindow, windowOccurrences } from './windows.ts';

// `patchline demo`: a living data set built through the services, as if six weeks had passed. Three
// organizations with groups; simulated machines (the agent's simulated backend: real-looking packages,
// KBs, versions, CVEs) that scan, get their updates approved, install them in their maintenance window
// in patch rounds run as tasks (some installs fail, some machines wait for a reboot, a few stop checking
// in); bulletins and CVEs for what they were offered; policies and windows; an operator scoped to one
// organization. Every step goes through the same use cases the faces call, with the clock of that day.

import { DEMO_DEVICES, MAX_DEMO_DEVICES } from '../core/simulation/demo-size.ts';

export { DEMO_DEVICES, MAX_DEMO_DEVICES };
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** devices simulated at once: their service calls overlap with the store's work */
const CONCURRENCY = 4;

export interface DemoOptions {
  /** how many simulated devices (default 300) */
  devices?: number;
  /** the password of the operator the demo creates */
  operatorPassword: string;
  /** the demo's "today" (default now) */
  now?: Date;
  /** one pass of the task engine: turns task instances into device jobs */
  runEngine: () => Promise<unknown>;
  onProgress?: (message: string) => void;
}

export interface DemoSummary {
  organizations: number;
  groups: number;
  devices: number;
  missingUpdates: number;
  bulletins: number;
  knownExploited: number;
  policies: number;
  windows: number;
  patchRounds: number;
  installs: { succeeded: number; failed: number };
  operator: { username: string; organization: string };
  /** the devices that still check in, each with a device credential: what brings them to life as agents */
  agents: DemoAgent[];
}

/**
 * A demo device as a simulated agent takes it over (`patchline demo --agents`, `npm run fleet`): its
 * credential and the simulated machine it was built from (same seed, OS feed and feed start).
 */
export interface DemoAgent {
  deviceId: number;
  organizationId: number;
  name: string;
  credential: string;
  machine: {
    seed: number;
    family: MachineKind['family'];
    version: string;
    packageCount: number;
    updatesPerDay: number;
    feedStart: number;
  };
}

/** a store the demo may fill: no organization and no device yet */
export async function demoCanFill(ctx: Context): Promise<boolean> {
  const s = await statusCounts(ctx);
  return s.organizations === 0 && s.devices === 0;
}

interface DemoDevice {
  id: number;
  name: string;
  organizationId: number;
  machine: DemoAgent['machine'];
  org: OrganizationPlan;
  kind: MachineKind;
  backend: SimulatedMachine;
  /** this device's clock (devices run a few at a time, each at its own moment) */
  now: number;
  sequence: number;
  /** what the last scan report said, for the next one's delta */
  snapshot?: Snapshot;
  /** stops checking in after this patch round (a machine that went missing) */
  lastRound: number;
  /** reboots right after installing; the others wait for someone to reboot them */
  rebootsPromptly: boolean;
}

/** the protocol backend name whose update kinds the simulated OS's updates take (deb, rpm, kb, macos) */
const BACKEND_OF: Record<MachineKind['family'], BackendName> = {
  debian: 'apt',
  ubuntu: 'apt',
  rhel: 'dnf',
  suse: 'zypper',
  windows: 'windows',
  macos: 'macos',
};

/** spreads `total` over weighted parts so that the counts add up exactly */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const raw = weights.map((w) => (total * w) / sum);
  const out = raw.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export async function buildDemo(store: Store, o: DemoOptions): Promise<DemoSummary> {
  const total = o.devices ?? DEMO_DEVICES;
  if (!Number.isInteger(total) || total < DEMO_ORGANIZATIONS.length * 3 || total > MAX_DEMO_DEVICES)
    throw invalid(`the demo takes from ${DEMO_ORGANIZATIONS.length * 3} to ${MAX_DEMO_DEVICES} devices`, [
      {
        path: '/devices',
        message: `must be an integer from ${DEMO_ORGANIZATIONS.length * 3} to ${MAX_DEMO_DEVICES}`,
      },
    ]);
  const now = o.now ?? new Date();
  const progress = o.onProgress ?? (() => {});
  let clock = now.getTime() - 42 * DAY;
  const at = () => new Date(clock);

  const admin = await getUserByName(store.db, 'admin');
  const adminActor = admin ? await userActor(store, admin) : systemContext(store, 'admin').actor;
  const adminCtx = new Context(store, adminActor, at);
  if (!(await demoCanFill(adminCtx)))
    throw conflict('this instance already has organizations or devices: the demo fills only an empty one');

  // ---- organizations, groups, windows, the operator ----
  const orgIds = new Map<OrganizationPlan, number>();
  const groupIds = new Map<OrganizationPlan, Map<string, number>>();
  const windowIds = new Map<OrganizationPlan, number>();
  const slots: {
    org: OrganizationPlan;
    groupId: number;
    kind: MachineKind;
    weight: number;
    tags: string[];
  }[] = [];
  let groups = 0;
  for (const org of DEMO_ORGANIZATIONS) {
    const created = await createOrganization(adminCtx, {
      name: org.name,
      ref: org.ref,
      timeZone: org.timeZone,
    });
    orgIds.set(org, created.id);
    const byName = new Map<string, number>();
    groupIds.set(org, byName);
    const walk = async (list: readonly GroupPlan[], parentId: number | null, inherited: string[]) => {
      for (const g of list) {
        const row = await createGroup(adminCtx, {
          organizationId: created.id,
          parentId,
          name: g.name,
          description: g.description,
        });
        groups++;
        byName.set(g.name, row.id);
        const tags = [...new Set([...inherited, ...(g.tags ?? [])])];
        for (const [kind, share] of g.machines ?? [])
          slots.push({ org, groupId: row.id, kind, weight: org.share * share, tags });
        await walk(g.children ?? [], row.id, tags);
      }
    };
    await walk(org.groups, null, []);
    const w = org.window;
    const start = Math.floor(Date.UTC(at().getUTCFullYear(), at().getUTCMonth(), at().getUTCDate()) / 1000);
    const schedule = {
      format: 'gravityzone-scheduler',
      value: {
        recurrence: 3,
        startDate: start,
        between: { startHour: w.from, startMinute: 0, endHour: w.to, endMinute: 0 },
        weeklyRecurrence: { every: 1, days: [...w.days] },
      },
    };
    const win = await createWindow(adminCtx, {
      organizationId: created.id,
      name: w.name,
      settings: {
        scan: { enabled: true, scheduleFormat: 'current', sameScheduleForAll: true, schedule },
        install: {
          enabled: true,
          security: { enabled: true },
          nonSecurity: { enabled: true },
          manuallyApproved: { enabled: true },
          rebootPostponement: { mode: 'user-may-postpone' },
        },
      },
      assignments: { groups: [created.rootGroupId!] },
    });
    windowIds.set(org, win.id);
  }
  const first = DEMO_ORGANIZATIONS[0]!;
  const operatorRole = await getRoleByName(store.db, 'Operator');
  const scope = await createScope(adminCtx, {
    name: `${first.name} only`,
    description: `Everything in ${first.name}, nothing else`,
    entries: [{ organizationId: orgIds.get(first)!, groupId: null }],
  });
  await createUser(adminCtx, {
    username: DEMO_OPERATOR.username,
    displayName: DEMO_OPERATOR.displayName,
    password: o.operatorPassword,
    roleId: operatorRole!.id,
    scopeId: scope.id,
  });
  const operatorRow = await getUserByName(store.db, DEMO_OPERATOR.username);
  const operatorCtx = new Context(store, await userActor(store, operatorRow!), at);
  progress(
    `${DEMO_ORGANIZATIONS.length} organizations, ${groups} groups, their maintenance windows and the operator '${DEMO_OPERATOR.username}'`,
  );

  // ---- devices: registered, first check-in, first full scan ----
  clock = now.getTime() - 40 * DAY;
  const counts = apportion(
    total,
    slots.map((s) => s.weight),
  );
  const devices: DemoDevice[] = [];
  const offered = new Map<string, OfferedUpdate>();
  const numbering = new Map<string, number>();
  const feedStart = now.getTime() - 46 * DAY;
  for (const [i, slot] of slots.entries()) {
    for (let k = 0; k < counts[i]!; k++) {
      const n = (numbering.get(slot.kind.prefix) ?? 0) + 1;
      numbering.set(slot.kind.prefix, n);
      const seed = devices.length + 1;
      const name = `${slot.kind.prefix}${pad(n, slot.kind.osFamily === 'windows' ? 3 : 2)}`;
      const device = { org: slot.org, kind: slot.kind, now: clock, sequence: 0 } as DemoDevice;
      const view = await createDevice(adminCtx, {
        organizationId: orgIds.get(slot.org)!,
        groupId: slot.groupId,
        name,
        hostname: slot.kind.osFamily === 'windows' ? name : `${name}.${slot.org.ref}.example`,
        osFamily: slot.kind.osFamily,
        osName: slot.kind.osName,
        osVersion: slot.kind.osVersion,
        architecture: slot.kind.architecture,
        ipAddresses: [`10.${slot.org.net}.${(slot.groupId % 200) + 1}.${(n % 250) + 2}`],
        tags: slot.tags,
      });
      const machine = {
        seed: seed * 7919,
        family: slot.kind.family,
        version: slot.kind.version,
        packageCount: 36 + Math.floor(unit(`${name}/pkgs`) * 12),
        updatesPerDay: slot.kind.updatesPerDay,
        feedStart,
      };
      const backend = new SimulatedMachine({
        seed: machine.seed,
        os: { family: machine.family, version: machine.version },
        packageCount: machine.packageCount,
        updatesPerDay: machine.updatesPerDay,
        failureRate: 0.06,
        feedStart,
        backlog: 4,
        clock: () => device.now,
      });
      // a few machines have a package whose installs always fail (a held package, a full disk)
      if (unit(`${name}/broken`) < 0.05)
        backend.setBroken(slot.kind.osFamily === 'windows' ? 'Microsoft Edge' : 'nginx', true);
      const r = unit(`${name}/fate`);
      device.id = view.id;
      device.name = name;
      device.organizationId = orgIds.get(slot.org)!;
      device.machine = machine;
      device.backend = backend;
      device.lastRound = r < 0.05 ? 1 : r < 0.09 ? 2 : Number.POSITIVE_INFINITY;
      device.rebootsPromptly = unit(`${name}/reboot`) > 0.3;
      devices.push(device);
      clock += 20_000;
    }
  }
  progress(`${devices.length} devices registered`);

  /** when the fleet first reported each update (kind:name:version): organizations that defer approve later */
  const firstSeen = new Map<string, number>();
  const seen = (d: DemoDevice, u: AvailableUpdate) => {
    const id = u.advisoryIds[0];
    if (id && !offered.has(id))
      offered.set(id, {
        family: d.kind.family,
        osVersion: d.kind.version,
        update: u,
        seenAt: new Date(d.now),
      });
  };
  /** a scan report, after a check-in when `checkingIn` (the install rounds' check-ins stamp the others) */
  const scan = async (d: DemoDevice, checkingIn: boolean) => {
    const result = await d.backend.scan();
    for (const u of result.updates) seen(d, u);
    const current = result.updates.map((u) => reportedUpdate(BACKEND_OF[d.kind.family], u));
    for (const u of current) {
      const key = `${u.kind}:${u.name}:${u.version ?? ''}`;
      if (!firstSeen.has(key)) firstSeen.set(key, d.now);
    }
    const { row, ctx } = await deviceCtx(store, d);
    const reboot = (await d.backend.rebootRequired()).required;
    if (d.sequence === 0)
      await checkIn(ctx, row, { agentVersion: `${AGENT_PROTOCOL_VERSION}.0-demo`, rebootRequired: reboot });
    else if (checkingIn) await checkIn(ctx, row, { rebootRequired: reboot });
    // as the agent does: a full snapshot first, then what changed since the last report
    const full = d.snapshot === undefined;
    const updates = full ? current : deltaOf(d.snapshot!, current);
    d.snapshot = snapshotOf(current);
    d.sequence++;
    await reportScan(ctx, row, { sequence: d.sequence, full, updates, rebootRequired: reboot });
  };
  /** each device at its own moment (start + i·step), a few at a time */
  const stagger = async (
    list: DemoDevice[],
    start: number,
    step: number,
    fn: (d: DemoDevice) => Promise<void>,
  ) => {
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const i = next++;
        const d = list[i]!;
        d.now = start + i * step;
        await fn(d);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await flushLastSeen(store);
  };

  // two machines enrolled but never scanned (a fresh install, an agent that cannot reach its mirror)
  const scanned = devices.filter((_, i) => i % 150 !== 149);
  await stagger(scanned, now.getTime() - 40 * DAY, 20_000, (d) => scan(d, true));
  progress(`patch round 1: ${scanned.length} devices scanned for the first time`);

  // ---- patch rounds: scan, approve what the organization's rule allows, install in its window, reboot ----
  // The first round starts with the first scans, six weeks ago; the second ends in the organization's
  // last maintenance window before today (its scan the day before), so today's scan finds little new.
  const ROUNDS = 2;
  const installs = { succeeded: 0, failed: 0 };
  const approved = new Set<string>();
  const windowAt = async (org: OrganizationPlan, from: number, days: number) =>
    (await windowOccurrences(adminCtx, windowIds.get(org)!, { from: new Date(from), days })).occurrences;
  for (let round = 0; round < ROUNDS; round++) {
    const plans: { org: OrganizationPlan; scanAt: number; opens: number; closes: number }[] = [];
    for (const org of DEMO_ORGANIZATIONS) {
      let occ;
      if (round === 0) occ = (await windowAt(org, now.getTime() - 40 * DAY + 3 * HOUR, 8))[0];
      else
        occ = (await windowAt(org, now.getTime() - 10 * DAY, 10))
          .filter((w) => (w.end ?? w.start).getTime() < now.getTime() - 4 * HOUR)
          .at(-1);
      const opens = occ!.start.getTime() + 10 * 60_000;
      const closes = (occ!.end?.getTime() ?? opens + HOUR) - 10 * 60_000;
      plans.push({ org, scanAt: round === 0 ? now.getTime() - 40 * DAY : opens - 20 * HOUR, opens, closes });
    }
    plans.sort((x, y) => x.opens - y.opens);
    for (const { org, scanAt, opens, closes } of plans) {
      const orgDevices = scanned.filter((d) => d.org === org && round < d.lastRound);
      if (round > 0) await stagger(orgDevices, scanAt, 15_000, (d) => scan(d, false));
      clock = scanAt + 2 * HOUR;
      // in the last round an organization that tests first holds back some of what is new, every critical one among it
      const roundStart = round === 0 ? 0 : now.getTime() - 30 * DAY;
      await approveRound(adminCtx, org, orgIds.get(org)!, approved, (u) => {
        const key = `${u.kind}:${u.name}:${u.version ?? ''}`;
        if (!org.holdBack || (firstSeen.get(key) ?? 0) < roundStart) return false;
        return u.severity === 'critical' || unit(`${key}/hold`) < org.holdBack;
      });
      if (round === 0 && org === first) await operatorDecisions(operatorCtx, groupIds.get(first)!);
      // the round's install task, run as an administrator would from the console
      clock = scanAt + 3 * HOUR;
      await runNow(adminCtx, {
        organizationId: orgIds.get(org)!,
        kind: 'install',
        name: `Patch round ${round + 1}: approved updates`,
      });
      await runEngineUntilIdle(o.runEngine);
      // the devices pick their jobs up inside the maintenance window
      const step = Math.max(1000, Math.floor((closes - opens) / Math.max(1, orgDevices.length)));
      await stagger(orgDevices, opens, step, async (d) => {
        const r = await installJobs(store, d);
        installs.succeeded += r.succeeded;
        installs.failed += r.failed;
      });
      // most machines restart the next morning; after the last round some still wait for a reboot
      const last = round === ROUNDS - 1;
      const needing: DemoDevice[] = [];
      for (const d of orgDevices) if ((await d.backend.rebootRequired()).required) needing.push(d);
      await stagger(needing, closes + 6 * HOUR, 5_000, async (d) => {
        const waits = last && !d.rebootsPromptly;
        if (!waits) d.backend.reboot();
        const { row, ctx } = await deviceCtx(store, d);
        await checkIn(ctx, row, { rebootRequired: waits });
      });
    }
    progress(
      `patch round ${round + 1}: installs so far ${installs.succeeded} succeeded, ${installs.failed} failed`,
    );
  }

  // ---- today: the last scan of every machine still checking in ----
  const today = scanned.filter((d) => d.lastRound > ROUNDS);
  await stagger(today, now.getTime() - 3 * HOUR, 30_000, (d) => scan(d, true));
  progress(`today: ${today.length} devices scanned; ${scanned.length - today.length} stopped checking in`);

  // ---- the catalog: bulletins and CVEs for every update offered, known exploited ones ----
  clock = now.getTime() - 2 * HOUR;
  const catalogCtx = new Context(store, adminActor, at);
  const bulletins = demoBulletins(offered.values());
  for (let i = 0; i < bulletins.length; i += 500)
    await upsertCatalogBulletins(catalogCtx, bulletins.slice(i, i + 500));
  const kev = await importAdvisories(catalogCtx, {
    format: 'kev',
    bytes: demoKevCatalog(bulletins, now),
    fileName: 'demo-known-exploited.json',
  });
  // and a real excerpt of CISA's catalog (src/demo-data/README.md says where it comes from)
  const excerpt = await importAdvisories(catalogCtx, {
    format: 'kev',
    bytes: new Uint8Array(readFileSync(new URL('../demo-data/kev-excerpt.json', import.meta.url))),
    fileName: 'kev-excerpt.json',
  });
  progress(
    `catalog: ${bulletins.length} bulletins, ${kev.imported} known exploited demo CVEs (+${excerpt.imported} from CISA's catalog)`,
  );

  // ---- policies for the coming weeks ----
  // scheduled from the moment they are created (the fill takes a while), so no next run is already past
  clock = o.now ? now.getTime() : Math.max(now.getTime(), Date.now());
  let policies = 0;
  for (const org of DEMO_ORGANIZATIONS) {
    const byName = groupIds.get(org)!;
    const startDate = new Date(clock).toISOString().slice(0, 10);
    for (const p of org.policies) {
      await createPolicy(adminCtx, {
        organizationId: orgIds.get(org)!,
        name: p.name,
        rule: p.severities ? { kind: 'severity', severities: [...p.severities] } : { kind: 'all' },
        targets: { groups: p.groups.map((g) => byName.get(g)!) },
        schedule: {
          recurrence: { kind: 'weekly', every: 1, days: [...p.days] },
          start: `${startDate}T${p.time}`,
          zone: { kind: 'named', name: org.timeZone },
          end: { kind: 'never' },
        },
      });
      policies++;
    }
  }
  progress(`${policies} patch policies scheduled`);

  // ---- a credential for every device that still checks in, for live simulated agents ----
  const agents: DemoAgent[] = [];
  await store.transaction(async (tx) => {
    for (const d of devices) {
      if (Number.isFinite(d.lastRound)) continue; // the machines that went missing stay missing
      const credential = newToken('pld');
      await updateDeviceRow(tx, d.id, { credential_hash: tokenHash(credential), credential_generation: 1 });
      agents.push({
        deviceId: d.id,
        organizationId: d.organizationId,
        name: d.name,
        credential,
        machine: d.machine,
      });
    }
  });

  const status = await statusCounts(adminCtx);
  return {
    agents,
    organizations: status.organizations,
    groups,
    devices: status.devices,
    missingUpdates: status.missingUpdates,
    bulletins: bulletins.length,
    knownExploited: kev.imported,
    policies,
    windows: windowIds.size,
    patchRounds: ROUNDS,
    installs,
    operator: { username: DEMO_OPERATOR.username, organization: first.name },
  };
}

async function runEngineUntilIdle(runEngine: () => Promise<unknown>) {
  for (let i = 0; i < 20; i++) if (!(await runEngine())) return;
}

/** the new updates an organization approves, decided at organization level by an administrator */
async function approveRound(
  adminCtx: Context,
  org: OrganizationPlan,
  orgId: number,
  done: Set<string>,
  heldBack: (u: { kind: string; name: string; version: string | null; severity: string }) => boolean,
) {
  const all = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await listUpdates(adminCtx, {}, { limit: 1000, offset, sort: ['id'] });
    all.push(...page.items);
    if (page.items.length < 1000) break;
  }
  const ids = all
    .filter((u) => !done.has(`${org.ref}:${u.id}`))
    .filter((u) => !heldBack(u))
    .map((u) => u.id);
  for (const id of ids) done.add(`${org.ref}:${id}`);
  if (ids.length) await applyApproval(adminCtx, { organizationId: orgId }, ids, 'approve');
}

/** the operator's own decisions in their organization: firmware left alone on developer machines */
async function operatorDecisions(ctx: Context, groups: Map<string, number>) {
  const firmware = await listUpdates(
    ctx,
    { packageName: 'linux-firmware' },
    { limit: 100, offset: 0, sort: ['id'] },
  );
  const engineering = groups.get('Engineering');
  if (engineering && firmware.items.length)
    await applyApproval(
      ctx,
      { groupId: engineering },
      firmware.items.map((u) => u.id),
      'ignore',
    );
}

/** the device as the agent protocol's use cases take it, acting at the device's own moment */
async function deviceCtx(store: Store, d: DemoDevice) {
  const row = (await getDeviceRow(store.db, d.id))!;
  return { row, ctx: new Context(store, deviceActor(row), () => new Date(d.now)) };
}

/** one check-in of a device inside its window: runs the install jobs it is handed, reports the results */
async function installJobs(store: Store, d: DemoDevice): Promise<{ succeeded: number; failed: number }> {
  const { row, ctx } = await deviceCtx(store, d);
  const response = await checkIn(ctx, row, {});
  const out = { succeeded: 0, failed: 0 };
  for (const job of response.jobs) {
    if (job.kind !== 'install') {
      await reportJobResult(ctx, row, job.id, { status: 'succeeded', result: {} });
      continue;
    }
    const wanted = Array.isArray(job.payload.updates) ? (job.payload.updates as JobUpdate[]) : [];
    const offered = (await d.backend.scan()).updates;
    const requests: InstallRequest[] = wanted.map((w) => {
      const name = w.kind === 'kb' ? w.name : (w.packageName ?? w.name);
      const match = offered.find((u) => u.name === name && (w.version === null || u.version === w.version));
      return { id: match?.id ?? name, name, ...(w.version !== null ? { version: w.version } : {}) };
    });
    const results = requests.length ? await d.backend.install(requests) : [];
    const updates = wanted.map((w, i) => ({
      updateId: w.updateId,
      status: results[i]?.status ?? 'failed',
      rebootRequired: results[i]?.rebootRequired ?? false,
      message: results[i]?.message ?? 'no result',
    }));
    const failed = updates.filter((u) => u.status !== 'succeeded').length;
    out.failed += failed;
    out.succeeded += updates.length - failed;
    const reboot = (await d.backend.rebootRequired()).required;
    await reportJobResult(ctx, row, job.id, {
      status: failed ? 'failed' : 'succeeded',
      result: { updates, failed, rebootRequired: reboot },
    });
  }
  return out;
}
