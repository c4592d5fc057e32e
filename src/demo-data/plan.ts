// The shape of the demo data set (`patchline demo`): three organizations, their groups, and which kind of
// machine sits in each group. Plain data; services/demo.ts builds it through the services.
import type { OsFamily as SimulatedFamily } from '../core/simulation/machine.ts';

export interface MachineKind {
  /** the simulated backend's OS feed */
  readonly family: SimulatedFamily;
  readonly version: string;
  /** the device's OS as the console shows it */
  readonly osFamily: 'windows' | 'linux' | 'macos';
  readonly osName: string;
  readonly osVersion: string;
  readonly architecture: string;
  /** how device names look: `{prefix}{n}` */
  readonly prefix: string;
  /** new releases the OS feed publishes per day */
  readonly updatesPerDay: number;
}

const debian = (prefix: string): MachineKind => ({
  family: 'debian',
  version: '12',
  osFamily: 'linux',
  osName: 'Debian GNU/Linux',
  osVersion: '12 (bookworm)',
  architecture: 'x86_64',
  prefix,
  updatesPerDay: 0.35,
});
const ubuntu = (prefix: string, version: '24.04' | '22.04'): MachineKind => ({
  family: 'ubuntu',
  version,
  osFamily: 'linux',
  osName: 'Ubuntu',
  osVersion: `${version} LTS`,
  architecture: 'x86_64',
  prefix,
  updatesPerDay: 0.35,
});
const rhel = (prefix: string): MachineKind => ({
  family: 'rhel',
  version: '9.4',
  osFamily: 'linux',
  osName: 'Red Hat Enterprise Linux',
  osVersion: '9.4',
  architecture: 'x86_64',
  prefix,
  updatesPerDay: 0.3,
});
const suse = (prefix: string): MachineKind => ({
  family: 'suse',
  version: '15-SP5',
  osFamily: 'linux',
  osName: 'SUSE Linux Enterprise Server',
  osVersion: '15 SP5',
  architecture: 'x86_64',
  prefix,
  updatesPerDay: 0.3,
});
const windows = (prefix: string): MachineKind => ({
  family: 'windows',
  version: '11-24H2',
  osFamily: 'windows',
  osName: 'Windows 11 Pro',
  osVersion: '24H2 (26100)',
  architecture: 'x64',
  prefix,
  updatesPerDay: 0.12,
});
const macos = (prefix: string): MachineKind => ({
  family: 'macos',
  version: '14.6',
  osFamily: 'macos',
  osName: 'macOS Sonoma',
  osVersion: '14.6',
  architecture: 'arm64',
  prefix,
  updatesPerDay: 0.08,
});

export interface GroupPlan {
  readonly name: string;
  readonly description: string;
  readonly children?: readonly GroupPlan[];
  /** machines directly in this group: [kind, share of the organization's devices] */
  readonly machines?: readonly (readonly [MachineKind, number])[];
  readonly tags?: readonly string[];
}

export interface OrganizationPlan {
  readonly name: string;
  readonly ref: string;
  readonly timeZone: string;
  /** share of all demo devices */
  readonly share: number;
  /** second octet of the devices' addresses */
  readonly net: number;
  readonly groups: readonly GroupPlan[];
  /** an administrator approves every update at organization level, except a share of the newest ones held
   * back for testing (every critical one among them too); 0: none held back */
  readonly holdBack: number;
  /** the maintenance window its devices install in: weekdays (0 = Sunday), hours */
  readonly window: {
    readonly name: string;
    readonly days: readonly number[];
    readonly from: number;
    readonly to: number;
  };
  /** its patch policies: name, severities approved by the rule, weekly days, time */
  readonly policies: readonly {
    readonly name: string;
    readonly severities?: readonly string[];
    readonly days: readonly string[];
    readonly time: string;
    /** the policy targets the groups with these names */
    readonly groups: readonly string[];
  }[];
}

export const DEMO_ORGANIZATIONS: readonly OrganizationPlan[] = [
  {
    name: 'Northwind Traders',
    ref: 'northwind',
    timeZone: 'Europe/London',
    share: 0.5,
    net: 10,
    holdBack: 0.25,
    window: { name: 'Nightly', days: [0, 1, 2, 3, 4, 5, 6], from: 0, to: 6 },
    policies: [
      {
        name: 'Security updates, Wednesday nights',
        severities: ['critical', 'high'],
        days: ['wed'],
        time: '01:00',
        groups: ['Servers', 'Workstations', 'Laptops'],
      },
      { name: 'Everything else, Saturday', days: ['sat'], time: '03:00', groups: ['Workstations'] },
    ],
    groups: [
      {
        name: 'Servers',
        description: 'Data centre in Slough',
        tags: ['production'],
        children: [
          {
            name: 'Web',
            description: 'Public web shop',
            machines: [[debian('nw-web-'), 0.12]],
            tags: ['production', 'pci'],
          },
          {
            name: 'Database',
            description: 'PostgreSQL and Oracle hosts',
            machines: [[rhel('nw-db-'), 0.1]],
            tags: ['production'],
          },
        ],
      },
      {
        name: 'Workstations',
        description: 'Office desktops',
        children: [
          { name: 'Finance', description: 'Accounts and payroll', machines: [[windows('NW-FIN-PC'), 0.2]] },
          {
            name: 'Engineering',
            description: 'Developers',
            machines: [
              [ubuntu('nw-eng-lx', '24.04'), 0.16],
              [windows('NW-ENG-PC'), 0.12],
            ],
          },
        ],
      },
      {
        name: 'Laptops',
        description: 'Sales and management on the road',
        machines: [
          [macos('nw-mbp-'), 0.18],
          [windows('NW-LT'), 0.12],
        ],
      },
    ],
  },
  {
    name: 'Contoso Health',
    ref: 'contoso',
    timeZone: 'America/New_York',
    share: 1 / 3,
    net: 20,
    holdBack: 0.1,
    window: { name: 'Weekend nights', days: [0, 6], from: 1, to: 5 },
    policies: [
      {
        name: 'Clinics: critical only, Sunday',
        severities: ['critical'],
        days: ['sun'],
        time: '02:00',
        groups: ['Clinics'],
      },
      { name: 'Data center: all updates, Saturday', days: ['sat'], time: '01:30', groups: ['Data center'] },
    ],
    groups: [
      {
        name: 'Clinics',
        description: 'Reception and examination rooms',
        children: [
          {
            name: 'Front desk',
            description: 'Reception PCs',
            machines: [[windows('CH-FD-'), 0.35]],
            tags: ['hipaa'],
          },
          {
            name: 'Imaging',
            description: 'Radiology workstations',
            machines: [[windows('CH-IMG-'), 0.15]],
            tags: ['hipaa', 'medical-device'],
          },
        ],
      },
      {
        name: 'Data center',
        description: 'Electronic health records',
        machines: [
          [suse('ch-ehr-'), 0.15],
          [rhel('ch-app-'), 0.15],
        ],
        tags: ['production', 'hipaa'],
      },
      { name: 'Administration', description: 'Managers’ laptops', machines: [[macos('ch-mac-'), 0.2]] },
    ],
  },
  {
    name: 'Fabrikam Logistics',
    ref: 'fabrikam',
    timeZone: 'Europe/Berlin',
    share: 1 / 6,
    net: 30,
    holdBack: 0,
    window: { name: 'Weeknights', days: [1, 2, 3, 4, 5], from: 19, to: 23 },
    policies: [
      {
        name: 'All updates, weeknights',
        days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        time: '20:00',
        groups: ['Warehouse', 'Office'],
      },
    ],
    groups: [
      {
        name: 'Warehouse',
        description: 'Scanners and label printers',
        machines: [[ubuntu('fab-wh-', '22.04'), 0.4]],
        tags: ['shop-floor'],
      },
      { name: 'Office', description: 'Hamburg office', machines: [[windows('FAB-OFF-'), 0.4]] },
      {
        name: 'Edge',
        description: 'Gateways in the depots',
        machines: [[debian('fab-gw-'), 0.2]],
        tags: ['production'],
      },
    ],
  },
];

/** the operator the demo creates: Operator, scoped to the first organization */
export const DEMO_OPERATOR = { username: 'olivia', displayName: 'Olivia Operator' } as const;
