import type { FastifyInstance } from 'fastify';
import * as agents from '../../services/agents.ts';
import type { Store } from '../../store/db.ts';
import {
  CheckInRequest,
  CheckInResponse,
  CredentialResponse,
  EnrollRequest,
  EnrollResponse,
  JobProgressRequest,
  JobProgressResponse,
  JobResultRequest,
  JobResultResponse,
  ScanRequest,
  ScanResponse,
} from '../../wire/agent.ts';
import { AuditReport, AuditResponse } from '../../wire/audit.ts';
import { IdParam } from '../../wire/common.ts';
import { reportAudit } from '../../services/audits.ts';
import { errors } from '../native/schemas.ts';
import { authenticatedDevice, deviceCredential } from './device-auth.ts';

// The agent protocol, version 1: HTTP + JSON under /agent/v1, authenticated by the device credential.
// The messages' schemas live in wire/agent.ts, shared with the agent's client.

export async function agentRoutes(app: FastifyInstance, store: Store) {
  const tags = ['agent protocol'];
  app.post(
    '/enroll',
    {
      config: { public: true, scope: 'public' },
      schema: {
        tags,
        summary: "Enroll a device with an organization's install token; returns the device credential once",
        body: EnrollRequest,
        response: { 201: EnrollResponse, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(await agents.enroll(store, req.body as EnrollRequest)),
  );

  app.post(
    '/checkin',
    {
      config: { scope: 'device' },
      schema: {
        tags,
        summary: 'Heartbeat with what changed; returns pending jobs and current settings',
        body: CheckInRequest,
        response: { 200: CheckInResponse, ...errors },
      },
    },
    async (req) =>
      agents.checkInWithCredential(
        store,
        deviceCredential(req),
        req.body as CheckInRequest,
        req.admission ?? undefined,
      ),
  );

  app.post(
    '/scans',
    {
      config: { scope: 'device' },
      schema: {
        tags,
        summary: 'A scan report: a full snapshot or a delta following the last applied sequence number',
        description:
          'A repeated report is acknowledged and ignored (duplicate: true); after a gap the answer asks for a full snapshot (needFull: true).',
        body: ScanRequest,
        response: { 200: ScanResponse, ...errors },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return agents.reportScan(ctx, d, req.body as ScanRequest);
    },
  );

  app.post(
    '/jobs/:id/progress',
    {
      config: { scope: 'device' },
      schema: {
        tags,
        summary: 'The agent started a job: the job is running, its queued updates are installing; idempotent',
        description:
          'A repeated report changes nothing (duplicate: true); a report about a finished job is ignored. `updateIds` names the updates being installed now (default: all of the job).',
        params: IdParam,
        body: JobProgressRequest,
        response: { 200: JobProgressResponse, ...errors },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return agents.reportJobProgress(
        ctx,
        d,
        (req.params as { id: number }).id,
        req.body as JobProgressRequest,
      );
    },
  );

  app.post(
    '/jobs/:id/result',
    {
      config: { scope: 'device' },
      schema: {
        tags,
        summary: "A job's outcome; idempotent by job id",
        params: IdParam,
        body: JobResultRequest,
        response: { 200: JobResultResponse, ...errors },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return agents.reportJobResult(ctx, d, (req.params as { id: number }).id, req.body as JobResultRequest);
    },
  );

  app.post(
    '/audit',
    {
      config: { scope: 'device' },
      schema: {
        tags,
        summary:
          "An audit of the agent's machine (hardware, software, accounts), sent when a scan job asks for one",
        description:
          'Kept as the latest audit; also as the baseline when it is a baseline audit or the first one, as the system-info audit when it is one.',
        body: AuditReport,
        response: { 200: AuditResponse, ...errors },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return reportAudit(ctx, d, req.body as AuditReport);
    },
  );

  app.post(
    '/credential/rotate',
    {
      config: { scope: 'device' },
      schema: {
        tags,
        summary: 'Replace the device credential; the old one stops working',
        response: { 200: CredentialResponse, ...errors },
      },
    },
    async (req) => {
      const { ctx, device: d } = await authenticatedDevice(store, req);
      return agents.rotateCredential(ctx, d);
    },
  );
}
