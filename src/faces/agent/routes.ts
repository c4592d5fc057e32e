import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { unauthenticated } from '../../core/errors.ts';
import { REBOOT_MODES } from '../../core/agent-settings/model.ts';
import { UPDATE_KINDS } from '../../core/updates.ts';
import * as agents from '../../services/agents.ts';
import type { Store } from '../../store/db.ts';
import { bearerToken } from '../native/auth.ts';
import { DateTime, errors, Id, IdParam, Nullable } from '../native/schemas.ts';

// The agent protocol, version 1: HTTP + JSON under /agent/v1, authenticated by the device credential.
const Str = (max = 200) => Type.String({ maxLength: max });
const ReportedUpdate = Type.Object(
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
    detection: Type.Enum(['missing', 'installed', 'not_applicable']),
    installedVersion: Type.Optional(Str(100)),
  },
  { additionalProperties: false },
);

const Interval = { start: DateTime, end: DateTime };
const NullableStr = Nullable(Type.String());

/** the settings an agent keeps and obeys offline (core/agent-settings/model.ts AgentSettings) */
const Settings = Type.Object(
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
    }),
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

/** the device behind the request's credential (every agent route but enrollment) */
export async function authenticatedDevice(store: Store, req: FastifyRequest) {
  const token = bearerToken(req);
  if (!token) throw unauthenticated('send the device credential as "Authorization: Bearer <credential>"');
  return agents.authenticateDevice(store, token);
}

export async function agentRoutes(app: FastifyInstance, store: Store) {
  const tags = ['agent protocol'];
  app.post(
    '/enroll',
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Enroll a device with an organization's install token; returns the device credential once",
        body: Type.Object(
          {
            token: Type.String({ minLength: 1, maxLength: 200 }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            hostname: Type.Optional(Str(255)),
            osFamily: Type.Optional(Type.Enum(['windows', 'linux', 'macos', 'unknown'])),
            osName: Type.Optional(Str()),
            osVersion: Type.Optional(Str(100)),
            architecture: Type.Optional(Str(50)),
            agentVersion: Type.Optional(Str(50)),
            timeZone: Type.Optional(Nullable(Str(64))),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            deviceId: Id,
            credential: Type.String(),
            organizationId: Id,
            checkinIntervalSeconds: Type.Integer(),
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => reply.status(201).send(await agents.enroll(store, req.body as agents.EnrollInput)),
  );

  app.post(
    '/checkin',
    {
      schema: {
        tags,
        summary: 'Heartbeat with what changed; returns pending jobs and current settings',
        body: Type.Object(
          {
            agentVersion: Type.Optional(Str(50)),
            rebootRequired: Type.Optional(Type.Boolean()),
            inventory: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            machineId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            settingsHash: Type.Optional(
              Type.String({
                maxLength: 100,
                description:
                  'the hash of the settings the agent holds; settings come back only when they differ',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            protocol: Type.Integer(),
            serverTime: DateTime,
            scanSequence: Type.Integer(),
            jobs: Type.Array(
              Type.Object({
                id: Id,
                kind: Type.String(),
                payload: Type.Record(Type.String(), Type.Unknown(), {
                  description:
                    'install: {updates: [{updateId, kind, name, packageName, version, architecture, package?: {sha256, sizeBytes, sourceUrl}}], policyId?}',
                }),
                notBefore: Nullable(DateTime),
              }),
            ),
            settingsHash: Type.String({ description: 'the hash of the current settings' }),
            settings: Type.Optional(Settings),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { ctx, device: d, openJobs, settingsRevision } = await authenticatedDevice(store, req);
      return agents.checkIn(ctx, d, req.body as agents.CheckIn, {
        settingsRevision,
        ...(openJobs === undefined ? {} : { openJobs }),
      });
    },
  );

  app.post(
    '/scans',
    {
      schema: {
        tags,
        summary: 'A scan report: a full snapshot or a delta following the last applied sequence number',
        description:
          'A repeated report is acknowledged and ignored (duplicate: true); after a gap the answer asks for a full snapshot (needFull: true).',
        body: Type.Object(
          {
            // beyond 2^53 a JSON number is rounded: later reports would be taken for duplicates
            sequence: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
            full: Type.Boolean(),
            updates: Type.Array(ReportedUpdate, { maxItems: 20000 }),
            rebootRequired: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            accepted: Type.Boolean(),
            duplicate: Type.Boolean(),
            needFull: Type.Boolean(),
            scanSequence: Type.Integer(),
            updates: Type.Optional(Type.Integer()),
            changes: Type.Optional(Type.Integer()),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return agents.reportScan(ctx, d, req.body as agents.ScanReportInput);
    },
  );

  app.post(
    '/jobs/:id/progress',
    {
      schema: {
        tags,
        summary: 'The agent started a job: the job is running, its queued updates are installing; idempotent',
        description:
          'A repeated report changes nothing (duplicate: true); a report about a finished job is ignored. `updateIds` names the updates being installed now (default: all of the job).',
        params: IdParam,
        body: Type.Object(
          {
            stage: Type.Enum(['installing']),
            updateIds: Type.Optional(Type.Array(Id, { maxItems: 10000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            recorded: Type.Boolean(),
            duplicate: Type.Boolean(),
            installing: Type.Integer({ description: 'updates that became installing with this report' }),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return agents.reportJobProgress(
        ctx,
        d,
        (req.params as { id: number }).id,
        req.body as agents.JobProgressInput,
      );
    },
  );

  app.post(
    '/jobs/:id/result',
    {
      schema: {
        tags,
        summary: "A job's outcome; idempotent by job id",
        params: IdParam,
        body: Type.Object(
          {
            status: Type.Enum(['succeeded', 'failed']),
            result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ recorded: Type.Boolean(), duplicate: Type.Boolean() }), ...errors },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return agents.reportJobResult(
        ctx,
        d,
        (req.params as { id: number }).id,
        req.body as { status: 'succeeded' | 'failed' },
      );
    },
  );

  app.post(
    '/credential/rotate',
    {
      schema: {
        tags,
        summary: 'Replace the device credential; the old one stops working',
        response: { 200: Type.Object({ credential: Type.String() }), ...errors },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return agents.rotateCredential(ctx, d);
    },
  );
}
