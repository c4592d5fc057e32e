import { SORT_KEYS } from '../../services/sort-keys.ts';
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DEFAULT_DOWNLOAD } from '../../core/policies/behaviour.ts';
import { authenticatedDevice } from '../agent/device-auth.ts';
import * as staging from '../../services/staging.ts';
import type { Store } from '../../store/db.ts';
import { DateTime, errors, Id, IdParam, ListOf, Nullable, pageOf, PageQuery } from './schemas.ts';

// The package cache through the native API (register under /api/v1), and the download of cached
// packages by agents (register agentPackageRoutes under /agent/v1).
const IdList = Type.Array(Id, { minItems: 1, maxItems: 1000 });

// response shapes (services/staging.ts); the serializer writes exactly these fields
const StagedPackage = Type.Object({
  updateId: Id,
  sha256: Type.String(),
  sizeBytes: Type.Integer(),
  fileName: Type.String(),
});
const StagingResult = Type.Object({
  staged: Type.Array(StagedPackage, { description: 'downloaded, verified and cached now' }),
  alreadyStaged: Type.Array(StagedPackage, { description: 'in the cache already' }),
  errors: Type.Array(Type.Object({ updateId: Id, name: Type.String(), message: Type.String() }), {
    description: 'updates that could not be staged, and why',
  }),
});
const StagingUpdate = Type.Object({
  id: Id,
  name: Type.String(),
  kind: Type.String(),
  kb: Nullable(Type.String()),
  version: Nullable(Type.String()),
  sha256: Nullable(Type.String()),
  sizeBytes: Nullable(Type.Integer()),
  sourceUrl: Nullable(Type.String()),
  staged: Type.Boolean(),
});
const UpdateStaging = Type.Object({
  updateId: Id,
  staged: Type.Boolean(),
  packages: Type.Array(
    Type.Object({
      sha256: Type.String(),
      sizeBytes: Type.Integer(),
      fileName: Type.String(),
      storedAt: DateTime,
    }),
  ),
});
const PackageSource = Type.Union([
  Type.Object({
    kind: Type.Literal('relay'),
    deviceId: Id,
    name: Type.String(),
    hostname: Type.String(),
    ipAddresses: Type.Array(Type.String()),
  }),
  Type.Object({ kind: Type.Literal('server') }),
  Type.Object({ kind: Type.Literal('direct') }),
]);

export function stagingRoutes(app: FastifyInstance, options: staging.StagingOptions) {
  const tags = ['staging'];
  app.post(
    '/staging/ensure',
    {
      config: { scope: 'global' },
      schema: {
        tags,
        summary:
          'Download, verify (SHA-256 and size) and cache the packages of some updates or of every update of some bulletins',
        body: Type.Object(
          { updateIds: Type.Optional(IdList), bulletinIds: Type.Optional(IdList) },
          { additionalProperties: false },
        ),
        response: { 200: StagingResult, ...errors },
      },
    },
    async (req) => staging.ensureStaged(req.ctx, req.body as staging.StageTarget, options),
  );
  app.get(
    '/staging/updates',
    {
      config: { scope: 'catalog' },
      schema: {
        tags,
        summary: 'Updates whose package is staged (staged=true, the default) or not staged (staged=false)',
        querystring: Type.Object({
          ...PageQuery,
          staged: Type.Optional(Type.Boolean()),
          downloadable: Type.Optional(Type.Boolean()),
          bulletinId: Type.Optional(Id),
        }),
        response: { 200: ListOf(StagingUpdate), ...errors },
      },
    },
    async (req) => {
      const q = req.query as {
        staged?: boolean;
        downloadable?: boolean;
        bulletinId?: number;
        limit?: number;
        offset?: number;
        sort?: string;
      };
      return staging.listStagingUpdates(
        req.ctx,
        { staged: q.staged ?? true, downloadable: q.downloadable, bulletinId: q.bulletinId },
        pageOf(q, SORT_KEYS.staging),
      );
    },
  );
  app.get(
    '/staging/updates/:id',
    {
      config: { scope: 'catalog' },
      schema: {
        tags,
        summary: "Whether an update's package is staged",
        params: IdParam,
        response: { 200: UpdateStaging, ...errors },
      },
    },
    async (req) => staging.stagingOf(req.ctx, (req.params as { id: number }).id, options),
  );
  app.get(
    '/devices/:id/package-sources',
    {
      config: { scope: 'group' },
      schema: {
        tags,
        summary:
          'Where a device gets packages, in order: relays, this server, then direct download when allowed (default download settings)',
        params: IdParam,
        response: { 200: Type.Object({ items: Type.Array(PackageSource) }), ...errors },
      },
    },
    async (req) => ({
      items: await staging.packageSources(req.ctx, (req.params as { id: number }).id, DEFAULT_DOWNLOAD),
    }),
  );
}

export function agentPackageRoutes(
  app: FastifyInstance,
  store: Store,
  options: Pick<staging.StagingOptions, 'dir'>,
) {
  app.get(
    '/packages/:sha256',
    {
      config: { scope: 'device' },
      schema: {
        tags: ['agent protocol'],
        summary: 'Download a staged, verified package by its SHA-256 (device credential)',
        params: Type.Object({ sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }) }),
      },
    },
    async (req, reply) => {
      await authenticatedDevice(store, req);
      const p = await staging.servablePackage(store, options.dir, (req.params as { sha256: string }).sha256);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', p.sizeBytes)
        .header('etag', `"${p.sha256}"`)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .send(createReadStream(p.path));
    },
  );
}
