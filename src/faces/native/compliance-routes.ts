import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { invalid } from '../../core/errors.ts';
import { complianceSummary, type ComplianceTarget } from '../../services/compliance.ts';
import { Compliance } from '../../wire/native.ts';
import { errors, Id } from './schemas.ts';

// Compliance views: GET /compliance?organizationId=…|groupId=…|deviceId=…

export function complianceRoutes(app: FastifyInstance) {
  app.get(
    '/compliance',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['compliance'],
        summary:
          'Compliance of an organization, a group (with its subgroups) or a device: updates missing, pending, ' +
          'failed and installed by severity, devices needing a reboot, fully patched or not seen recently, open CVEs',
        querystring: Type.Object(
          {
            organizationId: Type.Optional(Id),
            groupId: Type.Optional(Id),
            deviceId: Type.Optional(Id),
            notSeenDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
            topCves: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Compliance, ...errors },
      },
    },
    async (req) => {
      const q = req.query as {
        organizationId?: number;
        groupId?: number;
        deviceId?: number;
        notSeenDays?: number;
        topCves?: number;
      };
      const given = (['organizationId', 'groupId', 'deviceId'] as const).filter((k) => q[k] !== undefined);
      if (given.length !== 1)
        throw invalid(
          'give exactly one of organizationId, groupId and deviceId',
          (given.length ? given : ['organizationId']).map((k) => ({
            path: `/${k}`,
            message: given.length
              ? `given together with ${given.filter((x) => x !== k).join(', ')}`
              : 'missing',
          })),
        );
      const target = { [given[0]!]: q[given[0]!] } as ComplianceTarget;
      return complianceSummary(req.ctx, target, { notSeenDays: q.notSeenDays, topCves: q.topCves });
    },
  );
}
