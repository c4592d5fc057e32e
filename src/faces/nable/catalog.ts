import type { Context } from '../../services/context.ts';
import {
  deviceMonitoringDetails,
  listClients,
  listDevicesAtClient,
  listServers,
  listSites,
  listWorkstations,
} from './directory.ts';
import { patchDecision, patchListAll, patchRetry } from './patches.ts';
import type { Params } from './params.ts';
import type { XmlElement } from './xml.ts';

// The services Patchline answers at /api/, each with what describe=1 tells about it: its parameters and
// the fields of its output (N-sight's reference pages, in short).

export interface ParamSpec {
  readonly name: string;
  readonly type: 'integer' | 'number' | 'string' | 'boolean';
  readonly required: boolean;
  readonly description: string;
}
export interface FieldSpec {
  readonly name: string;
  readonly type: string;
  readonly description: string;
}
export interface ServiceSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: readonly ParamSpec[];
  readonly output: readonly FieldSpec[];
  /** the answer's root element: <result> with the content inside, or another (patch_list_all's <patches>) */
  readonly root?: string;
  run(ctx: Context, p: Params): Promise<XmlElement[]>;
}

const describeParam: ParamSpec = {
  name: 'describe',
  type: 'boolean',
  required: false,
  description: 'Returns a description of the service instead of running it.',
};
const deviceid: ParamSpec = {
  name: 'deviceid',
  type: 'number',
  required: true,
  description: 'The deviceid must be a valid id.',
};
const patchids: ParamSpec = {
  name: 'patchids',
  type: 'string',
  required: true,
  description: "A comma separated sequence of patchid's as patch_list_all returns them in <patchid>.",
};
const clientid: ParamSpec = {
  name: 'clientid',
  type: 'integer',
  required: true,
  description: 'The clientid must be a valid id.',
};
const siteid: ParamSpec = {
  name: 'siteid',
  type: 'integer',
  required: true,
  description: 'The siteid must be a valid id.',
};
const devicetype = (required: boolean): ParamSpec => ({
  name: 'devicetype',
  type: 'string',
  required,
  description: 'server, workstation or mobile_device.',
});

const f = (name: string, type: string, description: string): FieldSpec => ({ name, type, description });

const DEVICE_FIELDS = [
  f('id', 'integer', 'The device id (deviceid of other services).'),
  f('name', 'string', 'The device name.'),
  f('description', 'string', 'The host name.'),
  f('online', 'integer', '1 when the agent checked in recently, else 0.'),
  f('os', 'string', 'The operating system.'),
  f('osversion', 'string', 'The version of the operating system.'),
  f('ip', 'string', 'The IP addresses the agent reported.'),
  f('lastresponse', 'datetime', 'When the agent last checked in.'),
  f('device_type', 'string', 'server or workstation.'),
];

const PATCH_FIELDS = [
  f('patchid', 'integer', 'The patch id (patchids of the patch services).'),
  f('policy', 'integer', 'Ignore 1, Approve 2, Do Nothing 4; 65, 66, 68 when set by a user on the device.'),
  f('policyLabel', 'string', 'The policy in words.'),
  f(
    'status',
    'integer',
    'Missing 1, Pending 2, Queued 4, Installed 8, Failed 16, Ignored 23, Reboot Required 64.',
  ),
  f('statusLabel', 'string', 'The status in words.'),
  f('title', 'string', 'The title of the patch.'),
  f('kbid', 'string', 'The knowledge base id (Windows), empty otherwise.'),
  f('package', 'string', 'The package name (Linux, macOS), empty otherwise.'),
  f('version', 'string', 'The version offered.'),
  f('severity', 'string', 'critical, high, medium, low, none or unknown.'),
  f('category', 'string', 'The classification of the update.'),
  f('security', 'integer', '1 for a security update.'),
  f('reboot', 'string', 'never, may or required.'),
  f('discovered', 'datetime', 'When a scan first found the patch on the device (UTC).'),
  f('installed_date', 'datetime', 'When it was installed (UTC), empty when not installed.'),
  f('status_changed', 'datetime', 'When its status last changed (UTC).'),
  f('attempts', 'integer', 'Install attempts since the last success or retry.'),
  f('error', 'string', 'The last install error, empty when none.'),
];

const decision = (name: string, what: string, run: ServiceSpec['run']): ServiceSpec => ({
  name,
  description: `${what} for the specified device. All ids must be patches of the device, or nothing changes.`,
  parameters: [describeParam, deviceid, patchids],
  output: [],
  run,
});

const retry = (name: string): ServiceSpec => ({
  name,
  description:
    'Retry failed patches on the specified device: they install at the next install time; the others are named as already applied.',
  parameters: [describeParam, deviceid, patchids],
  output: [f('msg', 'string', 'Retrying patches: ids. Patches already applied: ids.')],
  run: patchRetry,
});

export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'list_clients',
    description: 'Lists all clients; with devicetype, only those with devices of that type.',
    parameters: [describeParam, devicetype(false)],
    output: [
      f('name', 'string', 'The client name.'),
      f('clientid', 'integer', 'The client id.'),
      f('server_count', 'integer', 'Servers of the client.'),
      f('workstation_count', 'integer', 'Workstations of the client.'),
      f('mobile_device_count', 'integer', 'Always 0.'),
      f('device_count', 'integer', 'All devices of the client.'),
    ],
    run: listClients,
  },
  {
    name: 'list_sites',
    description: 'Lists the sites of a client.',
    parameters: [describeParam, clientid],
    output: [f('siteid', 'integer', 'The site id.'), f('name', 'string', 'The site name.')],
    run: listSites,
  },
  {
    name: 'list_servers',
    description: 'Lists the servers of a site.',
    parameters: [describeParam, siteid],
    output: DEVICE_FIELDS,
    run: listServers,
  },
  {
    name: 'list_workstations',
    description: 'Lists the workstations of a site.',
    parameters: [describeParam, siteid],
    output: DEVICE_FIELDS,
    run: listWorkstations,
  },
  {
    name: 'list_devices_at_client',
    description: 'Lists the devices of one type at a client, site by site.',
    parameters: [describeParam, clientid, devicetype(true)],
    output: [
      f('clientid', 'integer', 'The client id.'),
      f('siteid', 'integer', 'The id of each site.'),
      ...DEVICE_FIELDS,
    ],
    run: listDevicesAtClient,
  },
  {
    name: 'list_device_monitoring_details',
    description: 'The details of one device.',
    parameters: [describeParam, deviceid],
    output: [
      ...DEVICE_FIELDS,
      f('clientid', 'integer', 'Its client.'),
      f('siteid', 'integer', 'Its site.'),
      f('agent_version', 'string', 'The agent version.'),
    ],
    run: deviceMonitoringDetails,
  },
  {
    name: 'patch_list_all',
    description: 'Lists all software patches for the specified device, missing and installed.',
    parameters: [describeParam, deviceid],
    output: PATCH_FIELDS,
    root: 'patches',
    run: patchListAll,
  },
  decision('patch_approve', 'Approve specific software patches', patchDecision('approve')),
  decision('patch_ignore', 'Ignore specific software patches', patchDecision('ignore')),
  decision('patch_do_nothing', 'Set specific software patches to Do Nothing', patchDecision('none')),
  decision(
    'patch_inherit',
    "Remove the device's own policy on specific software patches (the inherited policy applies)",
    patchDecision('inherit'),
  ),
  retry('patch_retry'),
  retry('patch_reprocess'),
];

export const serviceNamed = (name: string): ServiceSpec | undefined => SERVICES.find((s) => s.name === name);
