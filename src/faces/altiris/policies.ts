import { invalid, notFound } from '../../core/errors.ts';
import { fromAltirisXml } from '../../core/schedule/altiris.ts';
import { whoAmI } from '../../services/auth.ts';
import {
  getPolicy,
  revisePolicyWithVendorChanges,
  updatePolicy,
  type PolicyView,
} from '../../services/policies.ts';
import { getInstance, runNow } from '../../services/tasks.ts';
import type { Context } from '../../services/context.ts';
import { bulletinsOf } from './catalog.ts';
import { guidListOf, normalizeGuid, parseGuid, renderGuid, WELL_KNOWN } from './guids.ts';
import { resourceTargets } from './scope.ts';
import { checkUpdates } from './updates.ts';
import { refuseDtd } from './xml.ts';
import { method, type Call, type Method } from './table.ts';

// Software update policies (seed 000). CreateUpdatePolicy(ViaUpdates) starts a "Distribute Software
// Updates" instance (a distribute task instance, engine/distribute.ts) whose outputs name the policy it
// created, as the product does; the policy's rule lists the bulletins or updates, its targets are the
// resource targets (groups and computers). Schedules are NS schedule XML, converted by the core.

export const policyBody = (p: PolicyView) => ({
  name: p.name,
  notes: p.notes,
  enabled: p.enabled,
  rule: p.rule,
  targets: p.targets,
  schedule: p.schedule,
  behaviour: p.behaviour,
});

async function distribute(call: Call, m: string, rule: { bulletins: number[]; updates: number[] }) {
  const { ctx, args } = call;
  const name = args.str('name').trim();
  if (!name) throw invalid(`${m}: name must not be empty`, [{ path: 'name', message: 'must not be empty' }]);
  if (!rule.bulletins.length && !rule.updates.length)
    throw invalid(`${m}: give at least one ${m === 'CreateUpdatePolicy' ? 'bulletin' : 'update'}`);
  const t = await resourceTargets(ctx, args.str('targetGuids'), 'targetGuids', m);
  const policy = {
    name,
    enabled: args.bool('enabled'),
    rule: { kind: 'list', ...rule },
    targets: { groups: t.groups, devices: t.devices },
  };
  const instance = await runNow(ctx, {
    organizationId: t.organizationId,
    kind: 'distribute',
    name: `Distribute Software Updates: ${name}`,
    parameters: { policy },
  });
  return renderGuid('instance', instance.id);
}

/** the policies of a GUID list, each visible to the caller */
export async function policiesOf(ctx: Context, text: string, param: string): Promise<PolicyView[]> {
  const out: PolicyView[] = [];
  for (const id of guidListOf('policy', text, param)) out.push(await getPolicy(ctx, id));
  if (!out.length)
    throw invalid(`${param}: give at least one policy GUID`, [{ path: param, message: 'is empty' }]);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** how long GetPolicyIdFromTaskInstance(sync=true) waits for the instance, at most */
const SYNC_WAIT_MS = 10_000;

export const policyMethods: Method[] = [
  method(
    'CreateUpdatePolicy',
    'string',
    'Creates a Software Update policy. To set additional policy options see SetProperty',
    ['name:string', 'bulletinGuids:string', 'targetGuids:string', 'enabled:boolean'],
    async (call) =>
      distribute(call, 'CreateUpdatePolicy', {
        bulletins: await bulletinsOf(call.ctx, call.args.str('bulletinGuids'), 'bulletinGuids'),
        updates: [],
      }),
  ),
  method(
    'CreateUpdatePolicyViaUpdates',
    'string',
    'Creates a Software Update policy based on list of updates.',
    ['name:string', 'updateGuids:string', 'targetGuids:string', 'enabled:boolean'],
    async (call) =>
      distribute(call, 'CreateUpdatePolicyViaUpdates', {
        bulletins: [],
        updates: await checkUpdates(
          call,
          guidListOf('update', call.args.str('updateGuids'), 'updateGuids'),
          'updateGuids',
        ),
      }),
  ),
  method(
    'GetPolicyIdFromTaskInstance',
    'string',
    'Gets the PolicyId from output parameters of the Task Instance (completed)',
    ['taskInstanceId:string', 'sync:boolean'],
    async ({ ctx, args }) => {
      const g = parseGuid(args.str('taskInstanceId'), 'taskInstanceId');
      if (g.kind !== 'instance')
        throw notFound(
          'task instance',
          normalizeGuid(args.str('taskInstanceId')) ?? args.str('taskInstanceId'),
        );
      const deadline = Date.now() + (args.bool('sync') ? SYNC_WAIT_MS : 0);
      for (;;) {
        const i = await getInstance(ctx, g.id);
        if (i.kind !== 'distribute')
          throw invalid('taskInstanceId: the instance is not a "Distribute Software Updates" instance');
        if (typeof i.outputs.policyId === 'number') return renderGuid('policy', i.outputs.policyId);
        if (i.status === 'Completed' || i.status === 'Failed' || Date.now() >= deadline) return '';
        await sleep(100);
      }
    },
  ),
  method(
    'SetSoftwareUpdatePolicySchedule',
    'boolean',
    'Changes the Software Update policy scheduling.',
    ['policyGuids:string', 'installSchedule:string'],
    async ({ ctx, args }) => {
      const xml = args.str('installSchedule');
      refuseDtd(xml, 'installSchedule');
      // an empty schedule removes it: the policy then installs only when a task is run
      const schedule = xml.trim() ? fromAltirisXml(xml) : null;
      for (const p of await policiesOf(ctx, args.str('policyGuids'), 'policyGuids'))
        await updatePolicy(ctx, p.id, { ...policyBody(p), schedule });
      return true;
    },
  ),
  method(
    'SetSoftwareUpdatePolicyTargets',
    'boolean',
    'Changes the targets for policies.',
    ['policyGuids:string', 'targetGuids:string'],
    async ({ ctx, args }) => {
      const policies = await policiesOf(ctx, args.str('policyGuids'), 'policyGuids');
      const t = await resourceTargets(
        ctx,
        args.str('targetGuids'),
        'targetGuids',
        'SetSoftwareUpdatePolicyTargets',
      );
      for (const p of policies) {
        if (t.groups.length + t.devices.length && p.organizationId !== t.organizationId)
          throw invalid(
            'SetSoftwareUpdatePolicyTargets: the targets are in another organization than the policy',
            [{ path: 'targetGuids', message: "must be in the policy's organization" }],
          );
        await updatePolicy(ctx, p.id, {
          ...policyBody(p),
          targets: { groups: t.groups, devices: t.devices, deviceFilter: null },
        });
      }
      return true;
    },
  ),
  method(
    'UpdateSoftwareUpdatePolicy',
    'boolean',
    'Revises Software Update policies with vendor changes.',
    ['policyGuids:string', 'enableNewAdverts:boolean'],
    async ({ ctx, args }) => {
      // a listed bulletin brings its current updates whenever the policy is evaluated; the vendors'
      // changes are the bulletins that supersede the listed ones (services/policies.ts)
      const distributeNew = args.bool('enableNewAdverts');
      for (const p of await policiesOf(ctx, args.str('policyGuids'), 'policyGuids'))
        await revisePolicyWithVendorChanges(ctx, p.id, distributeNew);
      return true;
    },
  ),
  // an advertisement is a software update policy here (its GUID is the policy's); the command line is
  // kept with the policy (behaviour.installCommandLine) and shown by GetProperty
  // CurrentAdvertismentSet.CustomCommandLine; Patchline's agents install through their package managers
  method(
    'SetAdvertisementCustomCmdLine',
    'boolean',
    'Sets custom command line for SoftwareUpdateAdvertisement.',
    ['AdvertGuid:string', 'cmdLine:string'],
    async ({ ctx, args }) => {
      const [p] = await policiesOf(ctx, args.str('AdvertGuid'), 'AdvertGuid');
      const rule = p!.rule as { kind: string } | null;
      if (rule?.kind !== 'list')
        throw invalid('AdvertGuid: must be a software update policy (made by CreateUpdatePolicy…)', [
          { path: 'AdvertGuid', message: 'must be a software update policy' },
        ]);
      const line = args.str('cmdLine').trim();
      const { installCommandLine: _old, ...behaviour } = p!.behaviour as unknown as Record<string, unknown>;
      await updatePolicy(ctx, p!.id, {
        ...policyBody(p!),
        behaviour: { ...behaviour, ...(line ? { installCommandLine: line } : {}) },
      });
      return true;
    },
  ),
  method(
    'UpdateResourceTargets',
    'int',
    'Updates all resource targets that belong to particular product.',
    ['guidProduct:string'],
    async ({ ctx, args }) => {
      const g = parseGuid(args.str('guidProduct'), 'guidProduct');
      const products: string[] = [
        WELL_KNOWN.productCore,
        WELL_KNOWN.productWindows,
        WELL_KNOWN.productLinux,
        WELL_KNOWN.productMac,
      ];
      if (g.kind !== 'wellKnown' || !products.includes(WELL_KNOWN[g.name])) return -1;
      whoAmI(ctx); // any signed-in caller may ask
      // Patchline's targets are groups and computers evaluated when a task runs: none needs updating
      return 0;
    },
  ),
];
