import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { COMPLIANCE_BUCKETS, UPDATE_STATUSES } from '../../core/status.ts';
import { updateStatusGroups } from '../../services/update-statuses.ts';
import { errors } from './schemas.ts';

// GET /update-statuses: the statuses of a device's update and their named groups, served from core so
// that clients (the console's filters) use the server's groups instead of copies that drift.

const Status = Type.Enum([...UPDATE_STATUSES]);
const Group = (description: string) => Type.Array(Status, { description });

const UpdateStatuses = Type.Object({
  statuses: Type.Array(Status, { description: 'every status, in workflow order' }),
  groups: Type.Object({
    outstanding: Group('the device still needs the update: a device with none is fully patched'),
    inFlight: Group('an install is under way'),
    notInstalled: Group('outstanding, or ignored by a decision'),
    installable: Group('an install job may be queued for these'),
    installed: Group('installed, whether or not a reboot is still pending'),
    history: Group('the outcomes a patch history lists'),
    settled: Group('a scan that sees the update installed or not applicable leaves these'),
    complianceBuckets: Type.Object(
      Object.fromEntries(Object.keys(COMPLIANCE_BUCKETS).map((b) => [b, Group(`counted as ${b}`)])),
      { description: 'the statuses each compliance count adds up' },
    ),
  }),
});

export function updateStatusRoutes(app: FastifyInstance) {
  app.get(
    '/update-statuses',
    {
      schema: {
        tags: ['devices'],
        summary: "The statuses of a device's update and their named groups (outstanding, installed, …)",
        response: { 200: UpdateStatuses, ...errors },
      },
    },
    async (req) => updateStatusGroups(req.ctx),
  );
}
