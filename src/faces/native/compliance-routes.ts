import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { invalid } from '../../core/errors.ts';
import { complianceSummary, type ComplianceTarget } from '../../services/compliance.ts';
import { SEVERITIES } from '../../core/severity.ts';
import { BUCKETS } from '../../core/status.ts';
import { DateTime, errors, Id, Nullable } from './schemas.ts';

// Compliance views: GET /compliance?organizationId=…|groupId=…|deviceId=…

const Count = Type.Integer({ minimum: 0 });
/** update counts in the four buckets (missing; pending = approved, queued, installing; failed; installed) */
const buckets = (description?: string) =>
  Type.Object(Object.fromEntries(BUCKETS.map((b) => [b, Count])), description ? { description } : {});
const Buckets = buckets();
const Summary = Type.Object({
  scope: Type.Object({
    kind: Type.Enum(['organization', 'group', 'device']),
    id: Id,
    organizationId: Id,
  }),
  devices: Type.Object({
    devices: Count,
    scanned: Count,
    fullyPatched: Count,
    needingReboot: Count,
    notSeenRecently: Count,
  }),
  updates: Type.Object({
    totals: Buckets,
    bySeverity: Type.Object(Object.fromEntries(SEVERITIES.map((s) => [s, Buckets]))),
    byCustomSeverity: Type.Array(
      Type.Object({
        order: Type.Integer(),
        name: Type.String(),
        level: Type.Enum([...SEVERITIES]),
        counts: Buckets,
      }),
      { description: "the organization's custom severities in their order, with their updates' counts" },
    ),
    withoutCustomSeverity: buckets("updates whose bulletin has none of the organization's custom severities"),
  }),
  cves: Type.Object({
    open: Count,
    top: Type.Array(
      Type.Object({
        id: Type.String(),
        severity: Type.String(),
        cvssScore: Nullable(Type.Number()),
        knownExploited: Type.Boolean(),
        epssProbability: Nullable(Type.Number()),
        devices: Count,
      }),
    ),
  }),
  notSeenSince: DateTime,
});
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
        response: { 200: Summary, ...errors },
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
