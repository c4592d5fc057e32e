import { invalid, notFound } from '../../core/errors.ts';
import { toAltirisXml } from '../../core/schedule/altiris.ts';
import type { Schedule } from '../../core/schedule/model.ts';
import { getBulletin, listUpdates, setBulletinEnabled } from '../../services/catalog.ts';
import type { Context } from '../../services/context.ts';
import { getDevice } from '../../services/devices.ts';
import { getGroup } from '../../services/groups.ts';
import { getPolicy, setPolicyEnabled, updatePolicy, type PolicyView } from '../../services/policies.ts';
import { editTask, getTask } from '../../services/tasks.ts';
import { checkBulletins } from './catalog.ts';
import {
  KIND_NAMES,
  listEntries,
  normalizeGuid,
  parseGuid,
  parseGuidList,
  renderGuids,
  type GuidKind,
} from './guids.ts';
import { MESSAGES, WINDOWS_UPDATE_OPTIONS } from './plugin.ts';
import { policyBody } from './policies.ts';
import { resourceTargets } from './scope.ts';
import { checkUpdates } from './updates.ts';
import { method, type Call, type Method } from './table.ts';

// The generic item properties of seed 000 (GetProperty, SetProperty, SetProperties,
// SetGuidCollectionProperty, AddGuids) over a whitelist: the tables below are every property each kind
// of item has here, and how it maps to Patchline's model. Names are matched without regard to case. A
// property not in the table is a client fault naming the item's kind and the properties it has.

interface Prop {
  get(ctx: Context, id: number): Promise<string>;
  set?(call: Call, id: number, value: string, param: string): Promise<void>;
}
interface GuidProp {
  get(ctx: Context, id: number): Promise<string>;
  set(call: Call, id: number, guids: string, param: string): Promise<void>;
}

const bool = (value: string, param: string): boolean => {
  const t = value.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw invalid(`${param}: '${value.slice(0, 40)}' is not a valid Boolean (true or false, 1 or 0)`, [
    { path: param, message: 'must be true or false' },
  ]);
};
const oneOf = <T extends string>(value: string, param: string, allowed: Record<string, T>): T => {
  const hit = Object.entries(allowed).find(([k]) => k.toLowerCase() === value.trim().toLowerCase());
  if (!hit)
    throw invalid(`${param}: '${value.slice(0, 40)}' must be one of ${Object.keys(allowed).join(', ')}`, [
      { path: param, message: `must be one of ${Object.keys(allowed).join(', ')}` },
    ]);
  return hit[1];
};

/** changes a policy through its whole body (services/policies.ts updatePolicy) */
async function patchPolicy(ctx: Context, id: number, change: (p: PolicyView) => Record<string, unknown>) {
  const p = await getPolicy(ctx, id);
  await updatePolicy(ctx, id, { ...policyBody(p), ...change(p) });
}
const behaviourOf = (p: PolicyView) => p.behaviour as unknown as Record<string, unknown>;
const listRule = (p: PolicyView) => {
  const r = p.rule as unknown as { kind: string; bulletins?: number[]; updates?: number[] };
  if (r.kind !== 'list')
    throw invalid(`policy ${p.id} does not list bulletins or updates (its rule is '${r.kind}')`);
  return r as { kind: 'list'; bulletins: number[]; updates: number[] };
};

const PENDING_MODES = {
  Default: 'default',
  InstallAnyway: 'install-anyway',
  WaitUntilReboot: 'wait-until-reboot',
} as const;

/** Software update policies: CurrentAdvertismentSet.* are the seed's SetProperty examples */
const POLICY: Record<string, Prop> = {
  Name: {
    get: async (ctx, id) => (await getPolicy(ctx, id)).name,
    set: async ({ ctx }, id, v) => patchPolicy(ctx, id, () => ({ name: v })),
  },
  Description: {
    get: async (ctx, id) => (await getPolicy(ctx, id)).notes,
    set: async ({ ctx }, id, v) => patchPolicy(ctx, id, () => ({ notes: v })),
  },
  Enabled: {
    get: async (ctx, id) => String((await getPolicy(ctx, id)).enabled),
    set: async ({ ctx }, id, v, param) => void (await setPolicyEnabled(ctx, id, bool(v, param))),
  },
  // 0 default, 1 run as soon as possible (a missed schedule runs at once), 2 scheduled
  'CurrentAdvertismentSet.InstallOptions': {
    get: async (ctx, id) => {
      const p = await getPolicy(ctx, id);
      return behaviourOf(p).runMissedAsap ? '1' : p.schedule ? '2' : '0';
    },
    set: async ({ ctx }, id, v, param) => {
      const asap = oneOf(v, param, { '0': 'no', '1': 'yes', '2': 'no' }) === 'yes';
      await patchPolicy(ctx, id, (p) => ({ behaviour: { ...behaviourOf(p), runMissedAsap: asap } }));
    },
  },
  'CurrentAdvertismentSet.OverrideMaintenanceWindows': {
    get: async (ctx, id) => String(behaviourOf(await getPolicy(ctx, id)).overrideMaintenanceWindows === true),
    set: async ({ ctx }, id, v, param) => {
      const on = bool(v, param);
      await patchPolicy(ctx, id, (p) => ({
        behaviour: { ...behaviourOf(p), overrideMaintenanceWindows: on },
      }));
    },
  },
  // 1 allows an immediate restart when an update needs one, 0 clears it
  'CurrentAdvertismentSet.RebootOptions': {
    get: async (ctx, id) => (behaviourOf(await getPolicy(ctx, id)).autoReboot ? '1' : '0'),
    set: async ({ ctx }, id, v, param) => {
      const on = oneOf(v, param, { '0': 'off', '1': 'on' }) === 'on';
      await patchPolicy(ctx, id, (p) => ({
        behaviour: { ...behaviourOf(p), autoReboot: on, ...(on ? { suppressReboot: false } : {}) },
      }));
    },
  },
  // what SetAdvertisementCustomCmdLine kept ('' when none)
  'CurrentAdvertismentSet.CustomCommandLine': {
    get: async (ctx, id) => String(behaviourOf(await getPolicy(ctx, id)).installCommandLine ?? ''),
  },
  'CurrentAdvertismentSet.DoNotInstallIfRebootPending': {
    get: async (ctx, id) => {
      const mode = behaviourOf(await getPolicy(ctx, id)).whenRebootPending;
      return Object.entries(PENDING_MODES).find(([, m]) => m === mode)?.[0] ?? 'Default';
    },
    set: async ({ ctx }, id, v, param) => {
      const mode = oneOf(v, param, PENDING_MODES);
      await patchPolicy(ctx, id, (p) => ({ behaviour: { ...behaviourOf(p), whenRebootPending: mode } }));
    },
  },
};

// Plug-in policies: what SetPluginPolicyMessages, SetPluginPolicyMicrosoftUpdateOptions and
// SetPluginPolicySchedules set, read back under their parameters' names (read-only; set them with those
// methods). Schedules read as NS schedule XML, '' when none.
const scheduleXml = (s: unknown) => (s ? toAltirisXml(s as Schedule) : '');
const PLUGIN: Record<string, Prop> = {
  ...Object.fromEntries(
    MESSAGES.map(([param, field]) => [
      param,
      {
        get: async (ctx: Context, id: number) =>
          String(
            (behaviourOf(await getPolicy(ctx, id)).notifications as Record<string, unknown>)[field] ?? '',
          ),
      },
    ]),
  ),
  ...Object.fromEntries(
    WINDOWS_UPDATE_OPTIONS.map(([param, field]) => [
      param,
      {
        get: async (ctx: Context, id: number) => {
          const wu = behaviourOf(await getPolicy(ctx, id)).windowsUpdate as Record<string, boolean> | null;
          return String(wu?.[field] ?? false);
        },
      },
    ]),
  ),
  clientSoftwareUpdateSchedule: { get: async (ctx, id) => scheduleXml((await getPolicy(ctx, id)).schedule) },
  notifySchedule: {
    get: async (ctx, id) => scheduleXml(behaviourOf(await getPolicy(ctx, id)).notifySchedule),
  },
  rebootSchedule: {
    get: async (ctx, id) => scheduleXml(behaviourOf(await getPolicy(ctx, id)).rebootSchedule),
  },
};

const POLICY_GUIDS: Record<string, GuidProp> = {
  ResourceTargets: {
    get: async (ctx, id) => {
      const t = (await getPolicy(ctx, id)).targets;
      return [renderGuids('group', t.groups), renderGuids('device', t.devices)].filter(Boolean).join(',');
    },
    set: async ({ ctx }, id, guids, param) => {
      const p = await getPolicy(ctx, id);
      const t = await resourceTargets(ctx, guids, param, 'SetGuidCollectionProperty');
      if (t.groups.length + t.devices.length && t.organizationId !== p.organizationId)
        throw invalid(`${param}: the targets are in another organization than the policy`);
      await updatePolicy(ctx, id, {
        ...policyBody(p),
        targets: { groups: t.groups, devices: t.devices, deviceFilter: null },
      });
    },
  },
  Bulletins: {
    get: async (ctx, id) => renderGuids('bulletin', listRule(await getPolicy(ctx, id)).bulletins),
    set: async ({ ctx }, id, guids, param) => {
      const ids = await checkBulletins(ctx, guidIds('bulletin', guids, param));
      await patchPolicy(ctx, id, (p) => ({ rule: { ...listRule(p), bulletins: ids } }));
    },
  },
  Updates: {
    get: async (ctx, id) => renderGuids('update', listRule(await getPolicy(ctx, id)).updates),
    set: async (call, id, guids, param) => {
      const ids = await checkUpdates(call, guidIds('update', guids, param), param);
      await patchPolicy(call.ctx, id, (p) => ({ rule: { ...listRule(p), updates: ids } }));
    },
  },
};

const BULLETIN: Record<string, Prop> = {
  Name: { get: async (ctx, id) => (await getBulletin(ctx, id)).externalId },
  Title: { get: async (ctx, id) => (await getBulletin(ctx, id)).title },
  Severity: { get: async (ctx, id) => (await getBulletin(ctx, id)).severity },
  Enabled: {
    get: async (ctx, id) => String((await getBulletin(ctx, id)).enabled),
    set: async ({ ctx }, id, v, param) => void (await setBulletinEnabled(ctx, id, bool(v, param))),
  },
  // the seed's "Download packages" recipe sets IsDisabledByUser false and Enabled true
  IsDisabledByUser: {
    get: async (ctx, id) => String(!(await getBulletin(ctx, id)).enabled),
    set: async ({ ctx }, id, v, param) => void (await setBulletinEnabled(ctx, id, !bool(v, param))),
  },
};

async function updateRow(ctx: Context, id: number) {
  const r = await listUpdates(ctx, { ids: [id] }, { limit: 1, offset: 0, sort: ['id'] });
  const u = r.items[0];
  if (!u) throw notFound('software update', renderGuids('update', [id]));
  return u;
}
const UPDATE: Record<string, Prop> = {
  Name: { get: async (ctx, id) => (await updateRow(ctx, id)).name },
  Version: { get: async (ctx, id) => (await updateRow(ctx, id)).version ?? '' },
  Severity: { get: async (ctx, id) => (await updateRow(ctx, id)).severity ?? '' },
  Bulletin: {
    get: async (ctx, id) => {
      const b = (await updateRow(ctx, id)).bulletin;
      return b ? renderGuids('bulletin', [b.id]) : '';
    },
  },
};

const TASK: Record<string, Prop> = {
  Name: {
    get: async (ctx, id) => (await getTask(ctx, id)).name,
    set: async ({ ctx }, id, v) => void (await editTask(ctx, id, { name: v })),
  },
};
const TASK_GUIDS: Record<string, GuidProp> = {
  // what the task runs on: groups or computers (Patchline's task target), empty for the whole organization
  ResourceTargets: {
    get: async (ctx, id) => {
      const t = (await getTask(ctx, id)).parameters.target as { kind?: string; ids?: number[] } | undefined;
      if (t?.kind === 'groups') return renderGuids('group', t.ids ?? []);
      if (t?.kind === 'devices') return renderGuids('device', t.ids ?? []);
      return '';
    },
    set: async ({ ctx }, id, guids, param) => {
      const task = await getTask(ctx, id);
      const t = await resourceTargets(ctx, guids, param, 'SetGuidCollectionProperty');
      if (t.groups.length && t.devices.length)
        throw invalid(`${param}: a task targets groups or computers, not both`, [
          { path: param, message: 'must list groups or computers, not both' },
        ]);
      if (t.groups.length + t.devices.length && t.organizationId !== task.organizationId)
        throw invalid(`${param}: the targets are in another organization than the task`, [
          { path: param, message: "must be in the task's organization" },
        ]);
      const target = t.groups.length
        ? { kind: 'groups', ids: t.groups }
        : t.devices.length
          ? { kind: 'devices', ids: t.devices }
          : { kind: 'organization' };
      await editTask(ctx, id, { parameters: { target } });
    },
  },
  Updates: {
    get: async (ctx, id) => {
      const ids = (await getTask(ctx, id)).parameters.updateIds;
      return Array.isArray(ids) ? renderGuids('update', ids as number[]) : '';
    },
    set: async (call, id, guids, param) => {
      const ids = await checkUpdates(call, guidIds('update', guids, param), param);
      await editTask(call.ctx, id, { parameters: { updateIds: ids } });
    },
  },
};

const GROUP: Record<string, Prop> = { Name: { get: async (ctx, id) => (await getGroup(ctx, id)).name } };
const DEVICE: Record<string, Prop> = { Name: { get: async (ctx, id) => (await getDevice(ctx, id)).name } };

/** every property an item kind has */
export const PROPERTIES: Partial<Record<GuidKind, Record<string, Prop>>> = {
  policy: { ...POLICY, ...PLUGIN },
  bulletin: BULLETIN,
  update: UPDATE,
  task: TASK,
  group: GROUP,
  device: DEVICE,
};
/** every GUID collection property an item kind has */
export const GUID_PROPERTIES: Partial<Record<GuidKind, Record<string, GuidProp>>> = {
  policy: POLICY_GUIDS,
  task: TASK_GUIDS,
};

function guidIds(kind: GuidKind, text: string, param: string): number[] {
  const out: number[] = [];
  for (const g of parseGuidList(text, param)) {
    if (g.kind !== kind)
      throw invalid(`${param}: must list ${KIND_NAMES[kind]} GUIDs`, [
        { path: param, message: `must list ${kind} GUIDs` },
      ]);
    if (!out.includes(g.id)) out.push(g.id);
  }
  return out;
}

function item(text: string, param: string): { kind: GuidKind; id: number } {
  const g = parseGuid(text, param);
  if (g.kind === 'wellKnown')
    throw invalid(`${param}: the well-known item ${normalizeGuid(text)} has no properties here`);
  return g;
}

function lookup<T>(
  table: Partial<Record<GuidKind, Record<string, T>>>,
  kind: GuidKind,
  name: string,
  what: string,
): T {
  const props = table[kind] ?? {};
  const key = Object.keys(props).find((k) => k.toLowerCase() === name.trim().toLowerCase());
  if (key === undefined) {
    const known = Object.keys(props);
    throw invalid(
      `name: a ${KIND_NAMES[kind]} has no ${what} '${name.slice(0, 80)}'${known.length ? `; it has ${known.join(', ')}` : ''}`,
      [{ path: 'name', message: `unknown ${what}` }],
    );
  }
  return props[key]!;
}

async function setOne(call: Call, itemText: string, name: string, value: string, param: string) {
  const it = item(itemText, param);
  const prop = lookup(PROPERTIES, it.kind, name, 'property');
  if (!prop.set) {
    await prop.get(call.ctx, it.id); // not found first, for an item the caller cannot see
    throw invalid(`name: the property '${name}' of a ${KIND_NAMES[it.kind]} is read-only`);
  }
  await prop.set(call, it.id, value, 'value');
}

export const propertyMethods: Method[] = [
  method(
    'GetProperty',
    'string',
    'Very generic API to get property of any NS item.',
    ['guidItem:string', 'name:string'],
    async ({ ctx, args }) => {
      const it = item(args.str('guidItem'), 'guidItem');
      const props = PROPERTIES[it.kind] ?? {};
      const guidProps = GUID_PROPERTIES[it.kind] ?? {};
      const name = args.str('name').trim().toLowerCase();
      const g = Object.keys(guidProps).find((k) => k.toLowerCase() === name);
      if (g !== undefined && !Object.keys(props).some((k) => k.toLowerCase() === name))
        return guidProps[g]!.get(ctx, it.id);
      return lookup(PROPERTIES, it.kind, args.str('name'), 'property').get(ctx, it.id);
    },
  ),
  method(
    'SetProperty',
    'boolean',
    'Very generic API to change one property of NS items. To set list of objects as value see SetGuidCollectionProperty',
    ['itemGuids:string', 'name:string', 'value:string'],
    async (call) => {
      const items = listEntries(call.args.str('itemGuids'));
      if (!items.length)
        throw invalid('itemGuids: give at least one item GUID', [{ path: 'itemGuids', message: 'is empty' }]);
      for (const i of items)
        await setOne(call, i, call.args.str('name'), call.args.str('value'), 'itemGuids');
      return true;
    },
  ),
  method(
    'SetProperties',
    'void',
    'Very generic API to change properties of NS items.',
    ['guidItem:string', 'nameValueList:string'],
    async (call) => {
      const pairs = listEntries(call.args.str('nameValueList')).map((p) => {
        const eq = p.indexOf('=');
        if (eq <= 0)
          throw invalid(`nameValueList: '${p.slice(0, 80)}' is not <name>=<value>`, [
            { path: 'nameValueList', message: 'entries must be <name>=<value>' },
          ]);
        return [p.slice(0, eq).trim(), p.slice(eq + 1)] as const;
      });
      if (!pairs.length)
        throw invalid('SetProperties: nameValueList must hold at least one <name>=<value>', [
          { path: 'nameValueList', message: 'is empty' },
        ]);
      // every name is checked before anything changes
      const it = item(call.args.str('guidItem'), 'guidItem');
      for (const [name] of pairs) lookup(PROPERTIES, it.kind, name, 'property');
      for (const [name, value] of pairs)
        await setOne(call, call.args.str('guidItem'), name, value, 'guidItem');
    },
  ),
  method(
    'SetGuidCollectionProperty',
    'boolean',
    'Generic API to change assigned list of objects to provided property. Another generic method : see SetProperty',
    ['itemGuids:string', 'name:string', 'valueGuids:string'],
    async (call) => {
      const items = listEntries(call.args.str('itemGuids'));
      if (!items.length)
        throw invalid('itemGuids: give at least one item GUID', [{ path: 'itemGuids', message: 'is empty' }]);
      for (const i of items) {
        const it = item(i, 'itemGuids');
        const prop = lookup(GUID_PROPERTIES, it.kind, call.args.str('name'), 'GUID collection property');
        await prop.set(call, it.id, call.args.str('valueGuids'), 'valueGuids');
      }
      return true;
    },
  ),
  method(
    'AddGuids',
    'boolean',
    "This is generic API to append GUID or list of GUID's to some property of NS item.",
    ['guidItem:string', 'name:string', 'guidList:string', 'setback:boolean'],
    async (call) => {
      const it = item(call.args.str('guidItem'), 'guidItem');
      const prop = lookup(GUID_PROPERTIES, it.kind, call.args.str('name'), 'GUID collection property');
      const have = listEntries(await prop.get(call.ctx, it.id));
      const added = listEntries(call.args.str('guidList'));
      for (const g of added) parseGuid(g, 'guidList');
      const merged = [...new Set([...have, ...added.map((g) => normalizeGuid(g)!)])].join(',');
      // setback false: the collection is checked but not written back (there is no item held in memory)
      if (call.args.bool('setback')) await prop.set(call, it.id, merged, 'guidList');
      return true;
    },
  ),
];
