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

const behaviourOf = (p: PolicyView) => p.behaviour as unknown as Record<string, unknown>;
const notifications = (p: PolicyView) => behaviourOf(p).notifications as Record<string, unknown>;

/** SetPluginPolicyMessages' parameters and the policy's notification each one sets (core/policies/model.ts) */
export const MESSAGES = [
  ['msgUpdatePending', 'installMessage'], // "Software Update Installation Notification"
  ['msgUpdateProgress', 'progressMessage'], // "Software Update Installation Progress"
  ['msgRebootPending', 'rebootMessage'], // "Software Update Restart Notification"
  ['msgRebootReminder', 'rebootReminderMessage'], // "Reboot reminder"
  ['msgRebootNotification', 'deferralMessage'], // "user deferral notification"
] as const;

/** SetPluginPolicyMicrosoftUpdateOptions' parameters and the policy's Windows Update option each sets */
export const WINDOWS_UPDATE_OPTIONS = [
  ['enableConfiguration', 'configure'],
  ['enableAutoUpdate', 'autoUpdate'],
  ['enablePeer2Peer', 'peerToPeer'],
  ['enablePeer2PeerOverInternet', 'peerToPeerOverInternet'],
  ['enableNonOsUpdates', 'nonOsUpdates'],
] as const;

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
      // each schedule is optional: an empty one leaves the policy's as it is; the install schedule is the
      // policy's schedule, the notify and reboot schedules are kept with its behaviour (agent settings)
      const read = (p: string) => {
        const xml = args.str(p);
        refuseDtd(xml, p);
        return xml.trim() ? fromAltirisXml(xml) : undefined;
      };
      const schedule = read('clientSoftwareUpdateSchedule');
      const notifySchedule = read('notifySchedule');
      const rebootSchedule = read('rebootSchedule');
      for (const p of await pluginPolicies(ctx, args.str('policyGuids'), 'policyGuids')) {
        if (!schedule && !notifySchedule && !rebootSchedule) continue;
        await updatePolicy(ctx, p.id, {
          ...policyBody(p),
          ...(schedule ? { schedule } : {}),
          behaviour: {
            ...behaviourOf(p),
            ...(notifySchedule ? { notifySchedule } : {}),
            ...(rebootSchedule ? { rebootSchedule } : {}),
          },
        });
      }
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
      const turnOn = args.bool('turnOnNonEmpty');
      const given = MESSAGES.map(([param, field]) => [field, args.str(param).trim()] as const).filter(
        ([, text]) => text !== '',
      );
      for (const p of await pluginPolicies(ctx, args.str('policyGuids'), 'policyGuids')) {
        // an empty message leaves the policy's as it is (the seed: a message cannot be emptied)
        if (!given.length) continue;
        const fields = Object.fromEntries(given);
        await updatePolicy(ctx, p.id, {
          ...policyBody(p),
          behaviour: {
            ...behaviourOf(p),
            notifications: {
              ...notifications(p),
              ...fields,
              ...(turnOn && fields.installMessage ? { beforeInstall: true } : {}),
              ...(turnOn && fields.rebootMessage ? { beforeReboot: true } : {}),
            },
          },
        });
      }
      return true;
    },
  ),
  method(
    'SetPluginPolicyMicrosoftUpdateOptions',
    'void',
    "Sets options for provided 'Microsoft Update Configuration' policies.",
    [
      'policyGuids:string',
      'enableConfiguration:boolean',
      'enableAutoUpdate:boolean',
      'enablePeer2Peer:boolean',
      'enablePeer2PeerOverInternet:boolean',
      'enableNonOsUpdates:boolean',
    ],
    async ({ ctx, args }) => {
      // the Microsoft Update configuration is a plug-in policy's here: it reaches the agents the policy
      // targets (core/policies/behaviour.ts WindowsUpdateOptions states the Windows setting of each)
      const windowsUpdate = Object.fromEntries(
        WINDOWS_UPDATE_OPTIONS.map(([param, field]) => [field, args.bool(param)]),
      );
      for (const p of await pluginPolicies(ctx, args.str('policyGuids'), 'policyGuids'))
        await updatePolicy(ctx, p.id, {
          ...policyBody(p),
          behaviour: { ...behaviourOf(p), windowsUpdate },
        });
    },
  ),
];
