import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

// The Kysely view of the schema in migrations/. Keep the two in step.
type Id = Generated<number>;
type Stamp = ColumnType<Date, Date | string | undefined, Date | string>;
type StampNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T = Record<string, unknown>> = ColumnType<T, T | string | undefined, T | string>;
type Def<T> = ColumnType<T, T | undefined, T>;

export interface OrganizationsTable {
  id: Id;
  ref: string;
  name: string;
  parent_id: number | null;
  time_zone: string | null;
  attributes: Json;
  /** bumped by triggers when anything its devices' agent settings follow from changes (migration 0009) */
  settings_revision: Def<number>;
  /** agents of the organization may run scripts (worklets, required software, ad hoc); off by default (0013) */
  scripts_enabled: Def<boolean>;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface GroupsTable {
  id: Id;
  organization_id: number;
  parent_id: number | null;
  name: string;
  description: Def<string>;
  is_root: Def<boolean>;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface DevicesTable {
  id: Id;
  organization_id: number;
  group_id: number;
  name: string;
  hostname: Def<string>;
  os_family: Def<string>;
  os_name: Def<string>;
  os_version: Def<string>;
  architecture: Def<string>;
  ip_addresses: Def<string[]>;
  mac_addresses: Def<string[]>;
  time_zone: string | null;
  agent_version: string | null;
  status: Def<string>;
  tags: Def<string[]>;
  inventory: Json;
  is_relay: Def<boolean>;
  reboot_required: Def<boolean>;
  credential_hash: string | null;
  credential_generation: Def<number>;
  enrolled_at: StampNull;
  last_seen_at: StampNull;
  last_scan_at: StampNull;
  scan_sequence: Def<number>;
  checkin_interval_seconds: Def<number>;
  /** what the device's agent settings were last computed for, and their hash (migration 0009) */
  settings_key: Def<string | null>;
  settings_hash: Def<string | null>;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface InstallTokensTable {
  id: Id;
  organization_id: number;
  group_id: number | null;
  name: Def<string>;
  token_hash: string;
  expires_at: StampNull;
  revoked_at: StampNull;
  created_at: Stamp;
}
export interface SavedDeviceFiltersTable {
  id: Id;
  organization_id: number;
  name: string;
  definition: Json;
  created_at: Stamp;
}
export interface RolesTable {
  id: Id;
  name: string;
  description: Def<string>;
  privileges: Def<string[]>;
  builtin: Def<boolean>;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface ScopesTable {
  id: Id;
  name: string;
  description: Def<string>;
  all_organizations: Def<boolean>;
  created_at: Stamp;
}
export interface ScopeEntriesTable {
  scope_id: number;
  organization_id: number;
  group_id: number | null;
}
export interface UsersTable {
  id: Id;
  username: string;
  display_name: Def<string>;
  email: Def<string>;
  password_hash: string;
  role_id: number;
  scope_id: number;
  disabled: Def<boolean>;
  time_zone: string | null;
  /** hex SHA-256 of password + username, for Kaseya's hashed sign-in (migration 0006) */
  kaseya_verifier: Def<string | null>;
  /** Kaseya's "ask before executing" a quick launch agent procedure, per user (migration 0016) */
  ask_before_quick_launch: Def<boolean>;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface ApiKeysTable {
  id: Id;
  user_id: number;
  name: string;
  prefix: string;
  secret_hash: string;
  expires_at: StampNull;
  revoked_at: StampNull;
  last_used_at: StampNull;
  created_at: Stamp;
}
export interface SessionsTable {
  id: Id;
  user_id: number;
  token_hash: string;
  face: Def<string>;
  data: Json;
  expires_at: Stamp;
  revoked_at: StampNull;
  last_seen_at: Stamp;
  created_at: Stamp;
  /** the API key the session was opened with; the session ends with it (migration 0011) */
  api_key_id: ColumnType<number | null, number | null | undefined, number | null>;
}
/** sign-in attempts counted per throttled subject (migration 0011) */
export interface LoginAttemptsTable {
  key: string;
  attempts: number;
  last_at: Stamp;
  previous_at: StampNull;
}
export interface UsedNoncesTable {
  face: string;
  nonce: string;
  expires_at: Stamp;
}
export interface VendorsTable {
  id: Id;
  name: string;
  created_at: Stamp;
}
export interface ProductsTable {
  id: Id;
  vendor_id: number;
  name: string;
  os_family: string | null;
  created_at: Stamp;
}
export interface CvesTable {
  id: string;
  description: Def<string>;
  cvss_score: string | null;
  cvss_vector: string | null;
  severity: Def<string>;
  known_exploited: Def<boolean>;
  kev_added_at: StampNull;
  kev_due_at: StampNull;
  epss_probability: number | null;
  epss_percentile: number | null;
  epss_date: StampNull;
  published_at: StampNull;
  modified_at: StampNull;
  updated_at: Stamp;
  /** an import knows it: shared by every organization (migration 0012) */
  vendor_known: Def<boolean>;
}
/** organizations whose devices reported an update / a CVE no advisory knows (migration 0012) */
export interface UpdateLearnedByTable {
  update_id: number;
  organization_id: number;
}
export interface CveLearnedByTable {
  cve_id: string;
  organization_id: number;
}
export interface BulletinsTable {
  id: Id;
  source: string;
  external_id: string;
  vendor_id: number | null;
  title: Def<string>;
  summary: Def<string>;
  severity: Def<string>;
  cvss_score: string | null;
  released_at: StampNull;
  modified_at: StampNull;
  url: string | null;
  enabled: Def<boolean>;
  enabled_changed_by: string | null;
  enabled_changed_at: StampNull;
  data: Json;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface BulletinCvesTable {
  bulletin_id: number;
  cve_id: string;
}
export interface BulletinSupersedenceTable {
  bulletin_id: number;
  superseded_by_id: number;
}
/** what an advisory says about one package (migration 0003) */
export interface BulletinPackagesTable {
  bulletin_id: number;
  ecosystem: string;
  scheme: string | null;
  name: string;
  status: string;
  fixed_version: string | null;
  cves: string[] | null;
}
export interface UpdatesTable {
  id: Id;
  natural_key: string;
  kind: string;
  name: string;
  kb: string | null;
  package_name: string | null;
  version: string | null;
  architecture: string | null;
  os_family: string | null;
  product_id: number | null;
  bulletin_id: number | null;
  classification: Def<string>;
  category: Def<string>;
  is_security: Def<boolean>;
  is_optional: Def<boolean>;
  severity: Def<string>;
  reboot_behavior: Def<string>;
  size_bytes: number | null;
  sha256: string | null;
  sha1: string | null;
  source_url: string | null;
  install_switches: string | null;
  patch_source: Def<string>;
  released_at: StampNull;
  data: Json;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface UpdateCvesTable {
  update_id: number;
  cve_id: string;
}
export interface UpdateSupersedenceTable {
  update_id: number;
  superseded_by_id: number;
}
export interface CustomSeveritiesTable {
  organization_id: number;
  position: number;
  name: string;
  level: string;
}
export interface BulletinCustomSeveritiesTable {
  organization_id: number;
  bulletin_id: number;
  name: string;
}
export interface PackagesTable {
  sha256: string;
  size_bytes: number;
  path: string;
  source_url: string | null;
  stored_at: Stamp;
}
export interface UpdatePackagesTable {
  update_id: number;
  sha256: string;
  file_name: string;
  source_url: string | null;
}
export interface DeviceUpdatesTable {
  device_id: number;
  update_id: number;
  organization_id: number;
  detection: string;
  status: string;
  installed_version: string | null;
  available_version: string | null;
  first_detected_at: Stamp;
  last_detected_at: Stamp;
  status_changed_at: Stamp;
  installed_at: StampNull;
  attempts: Def<number>;
  last_error: string | null;
  job_id: number | null;
}
/** per-device compliance counts kept by triggers on device_updates (migration 0005) */
type ComplianceCountColumns = {
  [
    K in `${'missing' | 'pending' | 'failed' | 'installed'}_${'unknown' | 'none' | 'low' | 'medium' | 'high' | 'critical'}`
  ]: number;
};
export interface DeviceComplianceTable extends ComplianceCountColumns {
  device_id: number;
  organization_id: number;
  outstanding: number;
  reboot_pending: number;
}
export interface ApprovalsTable {
  id: Id;
  organization_id: number;
  level: string;
  group_id: number | null;
  device_id: number | null;
  update_id: number;
  action: string;
  source: Def<string>;
  policy_id: number | null;
  set_by: string;
  set_at: Stamp;
}
export interface PoliciesTable {
  id: Id;
  organization_id: number;
  name: string;
  kind: Def<string>;
  enabled: Def<boolean>;
  rule: Json;
  schedule: Json<unknown> | null;
  behaviour: Json;
  /** a script policy's own settings (core WorkletPolicy / RequiredSoftwarePolicy); null for patch (0013) */
  payload: Json | null;
  /** 0023: a patch policy targeting a rollout plan instead of groups and devices */
  rollout_plan_id: Def<number | null>;
  notes: Def<string>;
  created_by: Def<string>;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface PolicyTargetsTable {
  policy_id: number;
  group_id: number | null;
  device_id: number | null;
  filter_id: number | null;
}
export interface MaintenanceWindowsTable {
  id: Id;
  organization_id: number;
  name: string;
  settings: Json;
  /** GravityZone's allowChangeByOtherUsers (migration 0014) */
  allow_change_by_other_users: Generated<boolean>;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface WindowAssignmentsTable {
  window_id: number;
  policy_id: number | null;
  group_id: number | null;
}
export interface SchedulesTable {
  id: Id;
  organization_id: number | null;
  owner_type: string;
  owner_id: number;
  definition: Json<unknown>;
  enabled: Def<boolean>;
  next_due_at: StampNull;
  last_fired_at: StampNull;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface TasksTable {
  id: Id;
  organization_id: number | null;
  kind: string;
  name: string;
  parameters: Json;
  schedule_id: number | null;
  enabled: Def<boolean>;
  created_by: Def<string>;
  created_at: Stamp;
  updated_at: Stamp;
}
export interface TaskInstancesTable {
  id: Id;
  task_id: number | null;
  organization_id: number | null;
  kind: string;
  occurrence_at: StampNull;
  status: Def<string>;
  progress: Def<number>;
  parameters: Json;
  outputs: Json;
  error: string | null;
  lease_owner: string | null;
  lease_expires_at: StampNull;
  attempts: Def<number>;
  created_by: Def<string>;
  created_at: Stamp;
  started_at: StampNull;
  finished_at: StampNull;
}
export interface TaskInstanceDevicesTable {
  instance_id: number;
  device_id: number;
  status: Def<string>;
  result: Json;
  updated_at: Stamp;
}
export interface JobsTable {
  id: Id;
  organization_id: number;
  device_id: number;
  instance_id: number | null;
  kind: string;
  payload: Json;
  status: Def<string>;
  not_before: StampNull;
  expires_at: StampNull;
  result: Json | null;
  created_at: Stamp;
  delivered_at: StampNull;
  /** when the agent reported it started the job (migration 0009) */
  started_at: StampNull;
  completed_at: StampNull;
}
export interface EventsTable {
  id: Id;
  at: Stamp;
  organization_id: number | null;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  kind: string;
  subject_type: string;
  subject_id: string | null;
  device_id: number | null;
  update_id: number | null;
  data: Json;
}

/** one step an agent ran, or was refused (migration 0013) */
export interface ScriptRunsTable {
  id: Id;
  organization_id: number;
  device_id: number;
  source: string;
  policy_id: number | null;
  policy_name: string | null;
  job_id: number | null;
  phase: string;
  status: Def<string>;
  shell: string;
  code: string;
  time_limit_seconds: number;
  output_cap_bytes: number;
  exit_code: number | null;
  stdout: Def<string>;
  stderr: Def<string>;
  truncated: Def<boolean>;
  error: string | null;
  started_by: string;
  started_by_id: string | null;
  created_at: Stamp;
  started_at: StampNull;
  finished_at: StampNull;
  /** the procedure it ran, and its name as it was then (migration 0016) */
  procedure_id: Def<number | null>;
  procedure_name: Def<string | null>;
}

/** an organization's named script (a Kaseya agent procedure), migration 0016 */
export interface ProceduresTable {
  id: Id;
  organization_id: number;
  name: string;
  folder: Def<string>;
  description: string | null;
  shell: string;
  code: string;
  time_limit_seconds: number;
  output_cap_bytes: number;
  quick_launch: Def<boolean>;
  portal: Def<boolean>;
  created_by: string;
  created_at: Stamp;
  updated_at: Stamp;
}

/** a human resource group of an organization (migration 0016) */
export interface DepartmentsTable {
  id: Id;
  organization_id: number;
  parent_id: number | null;
  name: string;
  ref: string | null;
  manager_id: number | null;
  attributes: Json;
  created_at: Stamp;
  updated_at: Stamp;
}

/** an audit an agent reported, per device and snapshot (migration 0015) */
export interface DeviceAuditsTable {
  device_id: number;
  organization_id: number;
  snapshot: string;
  collected_at: Stamp;
  received_at: Stamp;
  report: Json;
}
/** an asset custom field: global (organization_id null) or one organization's (migration 0015) */
export interface AssetCustomFieldsTable {
  id: Id;
  organization_id: number | null;
  name: string;
  field_type: Def<string>;
  created_at: Stamp;
}
export interface DeviceWarrantiesTable {
  device_id: number;
  purchase_date: StampNull;
  warranty_expire_date: StampNull;
  updated_at: Stamp;
}
export interface AssetCustomValuesTable {
  field_id: number;
  device_id: number;
  value: string;
  updated_at: Stamp;
}
/** 0019: a plan's rings in the shape of core/rollout's Ring */
export interface RolloutPlansTable {
  id: Id;
  /** null (0023): a plan across organizations, of a provider */
  organization_id: number | null;
  /** 0023: every organization the plan's rings name */
  organizations: Def<number[]>;
  name: string;
  rings: Json<unknown[]>;
  created_by: Def<string>;
  created_at: Stamp;
  updated_at: Stamp;
}
/** 0019: one update approved into one plan; progress holds core/rollout's RingProgress list */
export interface RolloutsTable {
  id: Id;
  plan_id: number;
  /** null (0023): a rollout of a plan across organizations */
  organization_id: number | null;
  update_id: number;
  /** 0023: the policy whose selection started the rollout (a ring start queues its installs) */
  policy_id: Def<number | null>;
  state: Def<string>;
  progress: Json<unknown[]>;
  reason: string | null;
  approved_by: Def<string>;
  approved_at: Stamp;
  updated_at: Stamp;
}
/** 0019: core/auto-approval.ts's rules, ordered by position */
export interface AutoApprovalRulesTable {
  id: Id;
  organization_id: number;
  position: number;
  name: string;
  enabled: Def<boolean>;
  conditions: Json;
  action: string;
  plan_id: number | null;
  created_by: Def<string>;
  created_at: Stamp;
  updated_at: Stamp;
}
/** what needs attention in an organization (migration 0020) */
export interface AlertsTable {
  id: Id;
  organization_id: number;
  kind: string;
  dedupe_key: string;
  device_id: number | null;
  update_id: number | null;
  subject: string;
  message: Def<string>;
  data: Json;
  state: Def<string>;
  source_event_id: number | null;
  created_at: Stamp;
  closed_at: StampNull;
  closed_by: string | null;
  close_notes: string | null;
}
/** where an organization's alerts go (migration 0020) */
export interface AlertSubscriptionsTable {
  id: Id;
  organization_id: number;
  name: string;
  kinds: string[];
  channel: string;
  url: string | null;
  secret: string | null;
  recipients: Def<string[]>;
  options: Json;
  enabled: Def<boolean>;
  created_at: Stamp;
  updated_at: Stamp;
}
/** one alert for one subscription: its sending attempts and outcome (migration 0020) */
export interface AlertDeliveriesTable {
  id: Id;
  subscription_id: number;
  alert_id: number;
  organization_id: number;
  channel: string;
  status: Def<string>;
  attempts: Def<number>;
  next_attempt_at: Stamp;
  last_attempt_at: StampNull;
  delivered_at: StampNull;
  response_status: number | null;
  response_excerpt: string | null;
  error: string | null;
  batch: string | null;
  created_at: Stamp;
}
/** how far a consumer has read the event log (migration 0020) */
export interface AlertCursorsTable {
  name: string;
  last_event_id: Def<number>;
  checked_at: StampNull;
}
/** the user name and password an import task fetches its URL with (migration 0021); never rendered */
export interface TaskCredentialsTable {
  task_id: number;
  user_name: string;
  password: string;
  updated_at: Stamp;
}

export interface Database {
  organizations: OrganizationsTable;
  groups: GroupsTable;
  devices: DevicesTable;
  install_tokens: InstallTokensTable;
  saved_device_filters: SavedDeviceFiltersTable;
  roles: RolesTable;
  scopes: ScopesTable;
  scope_entries: ScopeEntriesTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  used_nonces: UsedNoncesTable;
  vendors: VendorsTable;
  products: ProductsTable;
  cves: CvesTable;
  bulletins: BulletinsTable;
  bulletin_cves: BulletinCvesTable;
  bulletin_supersedence: BulletinSupersedenceTable;
  bulletin_packages: BulletinPackagesTable;
  updates: UpdatesTable;
  update_cves: UpdateCvesTable;
  update_learned_by: UpdateLearnedByTable;
  cve_learned_by: CveLearnedByTable;
  update_supersedence: UpdateSupersedenceTable;
  custom_severities: CustomSeveritiesTable;
  bulletin_custom_severities: BulletinCustomSeveritiesTable;
  packages: PackagesTable;
  update_packages: UpdatePackagesTable;
  device_updates: DeviceUpdatesTable;
  device_compliance: DeviceComplianceTable;
  approvals: ApprovalsTable;
  policies: PoliciesTable;
  policy_targets: PolicyTargetsTable;
  script_runs: ScriptRunsTable;
  device_audits: DeviceAuditsTable;
  asset_custom_fields: AssetCustomFieldsTable;
  asset_custom_values: AssetCustomValuesTable;
  device_warranties: DeviceWarrantiesTable;
  procedures: ProceduresTable;
  departments: DepartmentsTable;
  maintenance_windows: MaintenanceWindowsTable;
  window_assignments: WindowAssignmentsTable;
  schedules: SchedulesTable;
  tasks: TasksTable;
  task_instances: TaskInstancesTable;
  task_instance_devices: TaskInstanceDevicesTable;
  jobs: JobsTable;
  events: EventsTable;
  rollout_plans: RolloutPlansTable;
  rollouts: RolloutsTable;
  auto_approval_rules: AutoApprovalRulesTable;
  alerts: AlertsTable;
  alert_subscriptions: AlertSubscriptionsTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_cursors: AlertCursorsTable;
  task_credentials: TaskCredentialsTable;
}

export type Row<T extends keyof Database> = Selectable<Database[T]>;
export type NewRow<T extends keyof Database> = Insertable<Database[T]>;
export type RowPatch<T extends keyof Database> = Updateable<Database[T]>;
