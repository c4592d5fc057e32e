// Privileges carried by roles. Which use case needs which privilege is decided in services.
export const PRIVILEGES = [
  'read', // see devices, updates, policies, events within scope
  'approve', // approve, ignore, do nothing, retry updates
  'manage_policies', // policies, maintenance windows, schedules, tasks
  'manage_devices', // groups, devices, enrollment, scans
  'import_catalog', // catalog imports, bulletins, staging
  'administer', // organizations, users, roles, scopes, API keys of others
  'run_scripts', // run scripts on devices: worklet and required-software policies, ad-hoc scripts (0013)
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

export const isPrivilege = (p: string): p is Privilege => (PRIVILEGES as readonly string[]).includes(p);

/** The roles every installation starts with. */
export const BUILTIN_ROLES: readonly {
  name: string;
  description: string;
  privileges: readonly Privilege[];
}[] = [
  {
    name: 'Administrator',
    description: 'Everything, including users and organizations',
    privileges: PRIVILEGES,
  },
  {
    name: 'Operator',
    description: 'Manages devices, policies and approvals',
    privileges: ['read', 'approve', 'manage_policies', 'manage_devices', 'import_catalog', 'run_scripts'],
  },
  {
    name: 'Approver',
    description: 'Reads everything in scope and decides approvals',
    privileges: ['read', 'approve'],
  },
  { name: 'Viewer', description: 'Reads everything in scope', privileges: ['read'] },
];
