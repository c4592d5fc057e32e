import { SORT_KEYS } from '../../services/sort-keys.ts';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { invalid } from '../../core/errors.ts';
import type { CustomSeverity as CustomSeverityInput } from '../../core/severity.ts';
import * as catalog from '../../services/catalog.ts';
import { IMPORT_FORMATS, importAdvisories, type ImportFormat } from '../../services/importers.ts';
import { errors, Id, IdParam, pageOf, PageQuery } from './schemas.ts';

// The patch catalog: bulletins, updates, CVEs, imports, and an organization's custom severities.
const SeverityList = Type.Optional(
  Type.String({ pattern: '^[a-z]+(,[a-z]+)*$', description: 'comma-separated severities' }),
);
const CveParam = Type.Object({ id: Type.String({ pattern: '^[Cc][Vv][Ee]-\\d{4}-\\d{4,}$' }) });
const CustomSeverity = Type.Object(
  {
    // the column (custom_severities.position) is a 32-bit integer
    order: Type.Integer({ minimum: 0, maximum: 2_147_483_647 }),
    name: Type.String({ maxLength: 200 }),
    level: Type.Enum(['unknown', 'none', 'low', 'medium', 'high', 'critical']),
  },
  { additionalProperties: false },
);
const ZIP_FORMATS: readonly string[] = ['osv'];

export function catalogRoutes(app: FastifyInstance) {
  app.get(
    '/bulletins',
    {
      config: { scope: 'catalog' },
      schema: {
        tags: ['catalog'],
        summary: 'Search bulletins',
        querystring: Type.Object({
          ...PageQuery,
          q: Type.Optional(Type.String({ maxLength: 200 })),
          vendorId: Type.Optional(Id),
          cve: Type.Optional(Type.String({ maxLength: 40 })),
          severity: SeverityList,
          enabled: Type.Optional(Type.Boolean()),
          releasedFrom: Type.Optional(Type.String({ format: 'date-time' })),
          releasedTo: Type.Optional(Type.String({ format: 'date-time' })),
          organizationId: Type.Optional(
            Type.Integer({
              minimum: 1,
              description: "show each bulletin's custom severity in this organization (customSeverity)",
            }),
          ),
        }),
        response: errors,
      },
    },
    async (req) => {
      const q = req.query as Record<string, string | number | boolean | undefined>;
      return catalog.listBulletins(
        req.ctx,
        {
          q: q.q as string | undefined,
          vendorId: q.vendorId as number | undefined,
          cve: q.cve as string | undefined,
          severity: q.severity ? String(q.severity).split(',') : undefined,
          enabled: q.enabled as boolean | undefined,
          releasedFrom: q.releasedFrom ? new Date(String(q.releasedFrom)) : undefined,
          releasedTo: q.releasedTo ? new Date(String(q.releasedTo)) : undefined,
        },
        pageOf(q as { limit?: number; offset?: number; sort?: string }, SORT_KEYS.bulletins),
        { organizationId: q.organizationId as number | undefined },
      );
    },
  );
  app.get(
    '/bulletins/:id',
    {
      config: { scope: 'catalog' },
      schema: {
        tags: ['catalog'],
        summary: 'Get a bulletin with packages, supersedence and updates',
        params: IdParam,
        querystring: Type.Object({
          organizationId: Type.Optional(
            Type.Integer({ minimum: 1, description: 'show its custom severity in this organization' }),
          ),
        }),
        response: errors,
      },
    },
    async (req) =>
      catalog.getBulletin(req.ctx, (req.params as { id: number }).id, {
        organizationId: (req.query as { organizationId?: number }).organizationId,
      }),
  );
  for (const action of ['enable', 'disable'] as const)
    app.post(
      `/bulletins/:id/${action}`,
      {
        config: { scope: 'global' },
        schema: {
          tags: ['catalog'],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a bulletin for every organization`,
          params: IdParam,
          response: errors,
        },
      },
      async (req) =>
        catalog.setBulletinEnabled(req.ctx, (req.params as { id: number }).id, action === 'enable'),
    );
  app.get(
    '/updates',
    {
      config: { scope: 'catalog' },
      schema: {
        tags: ['catalog'],
        summary: 'Search updates in the catalog',
        querystring: Type.Object({
          ...PageQuery,
          q: Type.Optional(Type.String({ maxLength: 200 })),
          kb: Type.Optional(Type.String({ maxLength: 40 })),
          packageName: Type.Optional(Type.String({ maxLength: 200 })),
          bulletinId: Type.Optional(Id),
          kind: Type.Optional(Type.String({ maxLength: 20 })),
          cve: Type.Optional(Type.String({ maxLength: 40 })),
        }),
        response: errors,
      },
    },
    async (req) => {
      const q = req.query as catalog.UpdateFilter & { limit?: number; offset?: number; sort?: string };
      const { limit: _l, offset: _o, sort: _s, ...filter } = q;
      return catalog.listUpdates(req.ctx, filter, pageOf(q, SORT_KEYS.updates));
    },
  );
  app.get(
    '/cves',
    {
      config: { scope: 'catalog' },
      schema: {
        tags: ['catalog'],
        summary: 'Search CVEs',
        querystring: Type.Object({
          ...PageQuery,
          q: Type.Optional(Type.String({ maxLength: 40 })),
          knownExploited: Type.Optional(Type.Boolean()),
          epssAtLeast: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          severity: SeverityList,
        }),
        response: errors,
      },
    },
    async (req) => {
      const q = req.query as {
        q?: string;
        knownExploited?: boolean;
        epssAtLeast?: number;
        severity?: string;
        limit?: number;
        offset?: number;
        sort?: string;
      };
      return catalog.listCves(
        req.ctx,
        {
          q: q.q,
          knownExploited: q.knownExploited,
          epssAtLeast: q.epssAtLeast,
          severity: q.severity ? q.severity.split(',') : undefined,
        },
        pageOf(q, SORT_KEYS.cves),
      );
    },
  );
  app.get(
    '/cves/:id',
    {
      config: { scope: 'catalog' },
      schema: {
        tags: ['catalog'],
        summary:
          'A CVE with the bulletins that fix it, the initial set, and the exposed devices in your scope',
        params: CveParam,
        response: errors,
      },
    },
    async (req) => catalog.getCve(req.ctx, (req.params as { id: string }).id),
  );
  app.post(
    '/catalog/import',
    {
      config: { scope: 'global' },
      schema: {
        tags: ['catalog'],
        summary: 'Import an advisory file (OSV json or zip, Debian tracker, CSAF, KEV, EPSS, CVE JSON 5)',
        description: '`content` is the file as text, or base64 when `encoding` is `base64` (zip archives).',
        body: Type.Object(
          {
            format: Type.Enum([...IMPORT_FORMATS]),
            fileName: Type.String({ minLength: 1, maxLength: 255 }),
            content: Type.String(),
            encoding: Type.Optional(Type.Enum(['text', 'base64'])),
          },
          { additionalProperties: false },
        ),
        response: errors,
      },
    },
    async (req) => {
      const b = req.body as { format: ImportFormat; fileName: string; content: string; encoding?: string };
      const base64 = b.encoding === 'base64' || b.fileName.toLowerCase().endsWith('.zip');
      if (base64 && b.fileName.toLowerCase().endsWith('.zip') && !ZIP_FORMATS.includes(b.format))
        throw invalid(`a zip archive can only be imported as osv, not ${b.format}`, [
          { path: '/format', message: 'zip archives hold OSV records' },
        ]);
      const bytes = base64 ? new Uint8Array(Buffer.from(b.content, 'base64')) : b.content;
      return importAdvisories(req.ctx, { format: b.format, fileName: b.fileName, bytes });
    },
  );
  app.get(
    '/organizations/:id/custom-severities',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['catalog'],
        summary: "An organization's custom severities",
        params: IdParam,
        response: errors,
      },
    },
    async (req) => catalog.listCustomSeverities(req.ctx, (req.params as { id: number }).id),
  );
  app.put(
    '/organizations/:id/custom-severities',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['catalog'],
        summary: "Replace an organization's custom severities",
        params: IdParam,
        body: Type.Array(CustomSeverity, { maxItems: 100 }),
        response: errors,
      },
    },
    async (req) =>
      catalog.replaceCustomSeverities(
        req.ctx,
        (req.params as { id: number }).id,
        req.body as CustomSeverityInput[],
      ),
  );
  app.put(
    '/organizations/:id/bulletin-custom-severities',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['catalog'],
        summary:
          "Give bulletins one of the organization's custom severities, or take it away (name null); " +
          'the compliance views count their updates under it',
        params: IdParam,
        body: Type.Object(
          {
            bulletinIds: Type.Array(Id, { minItems: 1, maxItems: 1000 }),
            name: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
          },
          { additionalProperties: false },
        ),
        response: errors,
      },
    },
    async (req) => {
      const b = req.body as { bulletinIds: number[]; name: string | null };
      return catalog.setBulletinCustomSeverity(
        req.ctx,
        (req.params as { id: number }).id,
        b.bulletinIds,
        b.name,
      );
    },
  );
}
