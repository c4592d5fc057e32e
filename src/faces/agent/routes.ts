import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { unauthenticated } from '../../core/errors.ts';
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
                payload: Type.Record(Type.String(), Type.Unknown()),
                notBefore: Nullable(DateTime),
              }),
            ),
            settings: Type.Object({ checkinIntervalSeconds: Type.Integer() }),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { ctx, device: d, openJobs } = await authenticatedDevice(store, req);
      return agents.checkIn(ctx, d, req.body as agents.CheckIn, openJobs === undefined ? {} : { openJobs });
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
            sequence: Type.Integer({ minimum: 1 }),
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
