import { Type, type Static } from 'typebox';
import { REBOOT_MODES, type AgentSettings as CoreAgentSettings } from '../core/agent-settings/model.ts';
import { DETECTIONS } from '../core/status.ts';
import { UPDATE_KINDS, type ReportedUpdate as CoreReportedUpdate } from '../core/updates.ts';
import { DateTime, Id, Nullable, OsFamily } from './common.ts';

// The agent protocol, version 1 (HTTP + JSON under /agent/v1): each message's schema once, used by the
// server's routes to validate and document, and as TypeScript types (Static) by the routes, the services
// and the agent's client. The agent imports only types from here (`import type`), so typebox stays out of
// its bundle.

const Str = (max = 200) => Type.String({ maxLength: max });

/** an update as a scan report describes it */
export const ReportedUpdate = Type.Object(
  {
    kind: Type.Enum([...UPDATE_KINDS]),
    name: Type.String({ minLength: 1, maxLength: 300 }),
    packageName: Type.Optional(Str()),
    version: Type.Optional(Str(100)),
    architecture: Type.Optional(Str(50)),
    kb: Type.Optional(Str(20)),
    classification: Type.Optional(Str(50)),
    isSecurity: Type.Optional(Type.Boolean()),
    isOptional: Type.Optional(Type.Boolean()),
    severity: Type.Optional(Str(20)),
    rebootBehavior: Type.Optional(Type.Enum(['never', 'may', 'always'])),
    sizeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    patchSource: Type.Optional(Str(50)),
    cves: Type.Optional(Type.Array(Str(30), { maxItems: 500 })),
    detection: Type.Enum([...DETECTIONS]),
    installedVersion: Type.Optional(Str(100)),
  },
  { additionalProperties: false },
);
export type ReportedUpdate = Static<typeof ReportedUpdate>;

export const EnrollRequest = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    hostname: Type.Optional(Str(255)),
    osFamily: Type.Optional(OsFamily),
    osName: Type.Optional(Str()),
    osVersion: Type.Optional(Str(100)),
    architecture: Type.Optional(Str(50)),
    agentVersion: Type.Optional(Str(50)),
    timeZone: Type.Optional(Nullable(Str(64))),
  },
  { additionalProperties: false },
);
export type EnrollRequest = Static<typeof EnrollRequest>;

export const EnrollResponse = Type.Object({
  deviceId: Id,
  credential: Type.String(),
  organizationId: Id,
  checkinIntervalSeconds: Type.Integer(),
});
export type EnrollResponse = Static<typeof EnrollResponse>;

export const CheckInRequest = Type.Object(
  {
    agentVersion: Type.Optional(Str(50)),
    rebootRequired: Type.Optional(Type.Boolean()),
    inventory: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    // a stable identity of the machine (/etc/machine-id, the Windows MachineGuid): another machine
    // presenting the same credential is refused (409, a clone)
    machineId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    settingsHash: Type.Optional(
      Type.String({
        maxLength: 100,
        description: 'the hash of the settings the agent holds; settings come back only when they differ',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CheckInRequest = Static<typeof CheckInRequest>;

/** a job handed out at check-in */
export const Job = Type.Object({
  id: Id,
  kind: Type.String(),
  payload: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'install: {updates: [{updateId, kind, name, packageName, version, architecture, package?: {sha256, sizeBytes, sourceUrl}}], policyId?}',
  }),
  notBefore: Nullable(DateTime),
});
export type Job = Static<typeof Job>;

/**
 * An update an install job asks the agent to install, exactly this version (an item of the install job's
 * `payload.updates`; the payload itself travels as an open record).
 */
export const JobUpdate = Type.Object({
  updateId: Id,
  kind: Type.String(),
  name: Type.String(),
  packageName: Nullable(Type.String()),
  version: Nullable(Type.String()),
  architecture: Nullable(Type.String()),
  package: Type.Optional(
    Type.Object(
      { sha256: Type.String(), sizeBytes: Nullable(Type.Integer()), sourceUrl: Nullable(Type.String()) },
      {
        description:
          'the package file, when the catalog knows its SHA-256: the agent downloads it by hash from its relays, then the server, then `sourceUrl` when direct download is allowed',
      },
    ),
  ),
});
export type JobUpdate = Static<typeof JobUpdate>;

const Interval = { start: DateTime, end: DateTime };
const NullableStr = Nullable(Type.String());

/** the settings an agent keeps and obeys offline (core/agent-settings/model.ts AgentSettings) */
export const AgentSettings = Type.Object(
  {
    checkinIntervalSeconds: Type.Integer(),
    timeZone: Type.String({ description: 'the zone the intervals were computed in' }),
    horizon: Type.Object(Interval, {
      description: 'the intervals cover this period; nothing is open after it',
    }),
    maintenance: Type.Object({
      windows: Type.Array(
        Type.Object({
          id: Id,
          name: Type.String(),
          viaGroup: Type.Boolean({
            description: "assigned to the device's group or an ancestor: gates every install",
          }),
          policyIds: Type.Array(Id, { description: 'gates the installs of these policies' }),
        }),
      ),
      overridePolicyIds: Type.Array(Id, { description: 'policies that install outside maintenance windows' }),
      intervals: Type.Array(
        Type.Object({
          windowId: Id,
          ...Interval,
          installs: Type.Boolean({ description: "the window's install schedule is open" }),
          reboots: Type.Boolean({ description: "the window's reboot interval (within-interval) is open" }),
        }),
        { description: 'UTC, half-open [start, end)' },
      ),
    }),
    reboot: Type.Object({
      mode: Type.Enum([...REBOOT_MODES]),
      delayMinutes: Type.Integer(),
      message: NullableStr,
      notify: Type.Boolean(),
      intervals: Type.Array(Type.Object(Interval), {
        description: 'within-interval: when the reboot may happen',
      }),
      source: Nullable(Type.Object({ kind: Type.Enum(['window', 'policy']), id: Id })),
    }),
    notifications: Type.Object({
      beforeInstall: Type.Boolean(),
      beforeReboot: Type.Boolean(),
      installMessage: NullableStr,
      rebootMessage: NullableStr,
      installMessageMac: NullableStr,
      rebootMessageMac: NullableStr,
      deferralPeriodsHours: Type.Array(Type.Integer()),
      maxDeferrals: Nullable(Type.Integer()),
      progressMessage: NullableStr,
      rebootReminderMessage: NullableStr,
      deferralMessage: NullableStr,
    }),
    schedules: Type.Object(
      {
        notify: Type.Array(DateTime, { description: 'announce the installations to come' }),
        reboot: Type.Array(DateTime, { description: 'restart for installed updates that need it' }),
      },
      { description: "instants of the policies' notify and reboot schedules over the horizon, sorted" },
    ),
    windowsUpdate: Nullable(
      Type.Object(
        {
          configure: Type.Boolean(),
          autoUpdate: Type.Boolean(),
          peerToPeer: Type.Boolean(),
          peerToPeerOverInternet: Type.Boolean(),
          nonOsUpdates: Type.Boolean(),
          policyId: Id,
        },
        { description: 'the Windows Update Agent configuration to apply; null: leave it alone' },
      ),
    ),
    packageSources: Type.Object({
      relays: Type.Array(
        Type.Object({
          deviceId: Id,
          name: Type.String(),
          hostname: Type.String(),
          ipAddresses: Type.Array(Type.String()),
        }),
        { description: 'caching servers in priority order; the server comes after them' },
      ),
      directDownload: Type.Boolean({
        description: "the vendor's URL may be used when relays and the server fail",
      }),
    }),
  },
  { description: 'sent only when they differ from the settings whose hash the agent sent' },
);
export type AgentSettings = Static<typeof AgentSettings>;

export const CheckInResponse = Type.Object({
  protocol: Type.Integer(),
  serverTime: DateTime,
  scanSequence: Type.Integer(),
  jobs: Type.Array(Job),
  settingsHash: Type.String({ description: 'the hash of the current settings' }),
  settings: Type.Optional(AgentSettings),
});
/** the settings travel as the domain type, read-only (the schema is checked against it at the end) */
export type CheckInResponse = Omit<Static<typeof CheckInResponse>, 'settings'> & {
  settings?: CoreAgentSettings;
};

export const ScanRequest = Type.Object(
  {
    // beyond 2^53 a JSON number is rounded: later reports would be taken for duplicates
    sequence: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    full: Type.Boolean(),
    updates: Type.Array(ReportedUpdate, { maxItems: 20000 }),
    rebootRequired: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ScanRequest = Static<typeof ScanRequest>;

export const ScanResponse = Type.Object({
  accepted: Type.Boolean(),
  duplicate: Type.Boolean(),
  needFull: Type.Boolean(),
  scanSequence: Type.Integer(),
  updates: Type.Optional(Type.Integer()),
  changes: Type.Optional(Type.Integer()),
});
export type ScanResponse = Static<typeof ScanResponse>;

/** the agent started a job (an install: its updates are being installed) */
export const JobProgressRequest = Type.Object(
  {
    stage: Type.Enum(['installing', 'running'], {
      description: 'installing (install job), running (script job)',
    }),
    // the updates being installed now (default: all of the job)
    updateIds: Type.Optional(Type.Array(Id, { maxItems: 10000 })),
  },
  { additionalProperties: false },
);
export type JobProgressRequest = Static<typeof JobProgressRequest>;

export const JobProgressResponse = Type.Object({
  recorded: Type.Boolean(),
  duplicate: Type.Boolean(),
  installing: Type.Integer({ description: 'updates that became installing with this report' }),
});
export type JobProgressResponse = Static<typeof JobProgressResponse>;

export const JobResultRequest = Type.Object(
  {
    status: Type.Enum(['succeeded', 'failed']),
    result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type JobResultRequest = Static<typeof JobResultRequest>;

/**
 * The payload of a `script` job (core/scripts ScriptStep): the steps to run in order, the limits, and
 * what the run belongs to. A step `when: 'previous-failed'` runs only when the previous step exited
 * non-zero or timed out (a worklet's remediation, a required-software installation).
 */
export const ScriptJobPayload = Type.Object({
  steps: Type.Array(
    Type.Object({
      phase: Type.Enum(['evaluation', 'remediation', 'install', 'run']),
      script: Type.Object({ shell: Type.Enum(['sh', 'bash', 'powershell']), code: Type.String() }),
      when: Type.Enum(['always', 'previous-failed']),
    }),
  ),
  limits: Type.Object({ timeLimitSeconds: Type.Integer(), outputCapBytes: Type.Integer() }),
  policyId: Type.Optional(Id),
  /** the procedure (a named ad-hoc script) the job runs */
  procedureId: Type.Optional(Id),
});
export type ScriptJobPayload = Static<typeof ScriptJobPayload>;

/** `result` of a script job's JobResultRequest: one entry per step that ran (core StepOutcome) */
export const ScriptJobResult = Type.Object({
  steps: Type.Array(
    Type.Object({
      phase: Type.Enum(['evaluation', 'remediation', 'install', 'run']),
      status: Type.Enum(['succeeded', 'failed', 'timed_out']),
      exitCode: Nullable(Type.Integer()),
      stdout: Type.String(),
      stderr: Type.String(),
      truncated: Type.Boolean(),
      startedAt: DateTime,
      finishedAt: DateTime,
      error: Type.Optional(Type.String()),
    }),
  ),
});
export type ScriptJobResult = Static<typeof ScriptJobResult>;

export const JobResultResponse = Type.Object({ recorded: Type.Boolean(), duplicate: Type.Boolean() });
export type JobResultResponse = Static<typeof JobResultResponse>;

export const CredentialResponse = Type.Object({ credential: Type.String() });
export type CredentialResponse = Static<typeof CredentialResponse>;

// The wire types must stay what the domain types say (a field added to one and not the other fails here).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameSettings: Same<AgentSettings, DeepMutable<CoreAgentSettings>> = true;
const reportFitsCore: ReportedUpdate extends CoreReportedUpdate ? true : false = true;
type DeepMutable<T> = T extends readonly (infer U)[]
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;
void sameSettings;
void reportFitsCore;
