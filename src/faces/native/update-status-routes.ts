import type { FastifyInstance } from 'fastify';
import { updateStatusGroups } from '../../services/update-statuses.ts';
import { UpdateStatuses } from '../../wire/native.ts';
import { errors } from './schemas.ts';

// GET /update-statuses: the statuses of a device's update and their named groups, served from core so
// that clients (the console's filters) use the server's groups instead of copies that drift.

export function updateStatusRoutes(app: FastifyInstance) {
  app.get(
    '/update-statuses',
    {
      config: { scope: 'catalog' },
      schema: {
        tags: ['devices'],
        summary: "The statuses of a device's update and their named groups (outstanding, installed, …)",
        response: { 200: UpdateStatuses, ...errors },
      },
    },
    async (req) => updateStatusGroups(req.ctx),
  );
}
