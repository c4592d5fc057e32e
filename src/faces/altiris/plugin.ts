import { invalid } from '../../core/errors.ts';
import { fromAltirisXml } from '../../core/schedule/altiris.ts';
import { createPolicy, updatePolicy, type PolicyView } from '../../services/policies.ts';
import { normalizeGuid, renderGuid } from './guids.ts';
import { policiesOf, policyBody } from './policies.ts';
import { resourceTargets } from './scope.ts';
import { refuseDtd } from './xml.ts';
import { method, type Method } from './table.ts';

// Agent plug-in policies (seed 000: "Software Update Plug-in Policy"): what the agent does on its own,
// when it installs the updates its computer is to receive, how it tells its users. Here a plug-in policy
// is a Patchline patch policy whose rule is 'manual' (it installs the computer's approved updates, which
// software update policies and installation tasks approve) and whose schedule and notifications become
// the agent's settings (core/agent-settings). A software update policy (a 'list' rule) is not one.

const pluginPolicies = async (ctx: Parameters<typeof policiesOf>[0], text: string, param: string) => {
  const list = await policiesOf(ctx, text, param);
  for (const p of list)
    if ((p.rule as { kind: string }).kind !== 'manual')
      throw invalid(
        `${param}: ${renderGuid('policy', p.id)} is a software update policy, not a Software Update Plug-in Policy`,
        [{ path: param, message: 'must list plug-in policies' }],
      );
  return list;
};

const notifications = (p: PolicyView) =>
  (p.behaviour as unknown as { notifications: Record<string, unknown> }).notifications;

export const pluginMethods: Method[] = [
  method(
    'CreateAgentPluginPolicy',
    'string',
    'Creates Patch Agent Plugin policy.',
    ['strName:string', 'productGuid:string', 'parentFolderGuid:string', 'targetGuids:string'],
    async ({ ctx, args }) => {
      if (args.str('productGuid').trim())
        throw invalid("productGuid: not supported; leave it empty to use the 'Patch Core' product", [
          { path: 'productGuid', message: 'must be empty' },
        ]);
      const folder = args.str('parentFolderGuid').trim();
      if (folder && !normalizeGuid(folder))
        throw invalid(`parentFolderGuid: '${folder.slice(0, 80)}' is not a GUID`, [
          { path: 'parentFolderGuid', message: 'must be a GUID' },
        ]);
      const t = await resourceTargets(ctx, args.str('targetGuids'), 'targetGuids', 'CreateAgentPluginPolicy');
      const p = await createPolicy(ctx, {
        organizationId: t.organizationId,
        name: args.str('strName').trim() || 'Software Update Plug-in Policy',
        rule: { kind: 'manual' },
        targets: { groups: t.groups, devices: t.devices },
      });
      return renderGuid('policy', p.id);
    },
  ),
  method(
    'SetPluginPolicySchedules',
    'boolean',
    'Changes Patch plug-in policy schedules.',
    [
      'policyGuids:string',
      'clientSoftwareUpdateSchedule:string',
      'notifySchedule:string',
      'rebootSchedule:string',
    ],
    async ({ ctx, args }) => {
      // notification and restart times follow the installation here: a separate schedule has no equivalent
      for (const p of ['notifySchedule', 'rebootSchedule'] as const)
        if (args.str(p).trim())
          throw invalid(
            `${p}: not supported; notifications and restarts follow the installation schedule here`,
            [{ path: p, message: 'must be empty' }],
          );
      const xml = args.str('clientSoftwareUpdateSchedule');
      refuseDtd(xml, 'clientSoftwareUpdateSchedule');
      const schedule = xml.trim() ? fromAltirisXml(xml) : undefined;
      for (const p of await pluginPolicies(ctx, args.str('policyGuids'), 'policyGuids'))
        if (schedule) await updatePolicy(ctx, p.id, { ...policyBody(p), schedule });
      return true;
    },
  ),
  method(
    'SetPluginPolicyMessages',
    'boolean',
    'Changes the Patch plug-in policy messages (defined in the Notification tab of the policy).',
    [
      'policyGuids:string',
      'turnOnNonEmpty:boolean',
      'msgUpdatePending:string',
      'msgUpdateProgress:string',
      'msgRebootPending:string',
      'msgRebootReminder:string',
      'msgRebootNotification:string',
    ],
    async ({ ctx, args }) => {
      // the installation and restart notifications are Patchline's; the other three have no equivalent
      for (const p of ['msgUpdateProgress', 'msgRebootReminder', 'msgRebootNotification'] as const)
        if (args.str(p).trim())
          throw invalid(
            `${p}: not supported; only msgUpdatePending and msgRebootPending have an equivalent here`,
            [{ path: p, message: 'must be empty' }],
          );
      const turnOn = args.bool('turnOnNonEmpty');
      const install = args.str('msgUpdatePending').trim();
      const reboot = args.str('msgRebootPending').trim();
      for (const p of await pluginPolicies(ctx, args.str('policyGuids'), 'policyGuids')) {
        const n = notifications(p);
        // an empty message leaves the policy's as it is (the seed: a message cannot be emptied)
        await updatePolicy(ctx, p.id, {
          ...policyBody(p),
          behaviour: {
            ...(p.behaviour as unknown as Record<string, unknown>),
            notifications: {
              ...n,
              ...(install ? { installMessage: install, ...(turnOn ? { beforeInstall: true } : {}) } : {}),
              ...(reboot ? { rebootMessage: reboot, ...(turnOn ? { beforeReboot: true } : {}) } : {}),
            },
          },
        });
      }
      return true;
    },
  ),
];
