import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import type { Db } from '../db.ts';
import { paginate, type Page } from '../paging.ts';
import type { Row } from '../schema.ts';
import { updateVisible } from './catalog-repo.ts';

// The package cache: `packages` holds each verified file once (by SHA-256), `update_packages` says which
// update it belongs to. A row exists only for a file whose hash and size were checked.

export type StagingCandidate = Pick<Row<'updates'>, 'id' | 'name' | 'sha256' | 'size_bytes' | 'source_url'>;

/** the updates among `ids` that the scope sees (another tenant's learned update is not there) */
export const updatesForStaging = (
  db: Db,
  access: Access,
  ids: readonly number[],
): Promise<StagingCandidate[]> =>
  db
    .selectFrom('updates as u')
    .select(['u.id', 'u.name', 'u.sha256', 'u.size_bytes', 'u.source_url'])
    .where('u.id', 'in', ids.length ? [...ids] : [0])
    .where(updateVisible(access))
    .orderBy('u.id')
    .execute();

export const getPackage = (db: Db, sha256: string) =>
  db.selectFrom('packages').selectAll().where('sha256', '=', sha256).executeTakeFirst();

/** records a verified file and links it to its update */
export async function recordPackage(
  db: Db,
  p: { sha256: string; sizeBytes: number; path: string; sourceUrl: string | null },
  link: { updateId: number; fileName: string },
) {
  await db
    .insertInto('packages')
    .values({ sha256: p.sha256, size_bytes: p.sizeBytes, path: p.path, source_url: p.sourceUrl })
    .onConflict((oc) =>
      oc.column('sha256').doUpdateSet({ size_bytes: p.sizeBytes, path: p.path, stored_at: new Date() }),
    )
    .execute();
  await db
    .insertInto('update_packages')
    .values({ update_id: link.updateId, sha256: p.sha256, file_name: link.fileName, source_url: p.sourceUrl })
    .onConflict((oc) => oc.columns(['update_id', 'sha256']).doNothing())
    .execute();
}

/** the staged packages of some updates */
export const stagedPackagesOf = (db: Db, updateIds: readonly number[]) =>
  db
    .selectFrom('update_packages as up')
    .innerJoin('packages as p', 'p.sha256', 'up.sha256')
    .select(['up.update_id', 'up.file_name', 'p.sha256', 'p.size_bytes', 'p.path', 'p.stored_at'])
    .where('up.update_id', 'in', updateIds.length ? [...updateIds] : [0])
    .execute();

export interface StagingFilter {
  staged: boolean;
  /** only updates that have a source URL to download from (for the non-staged list) */
  downloadable?: boolean;
  bulletinId?: number;
}
export const stagingSort = { name: 'u.name', id: 'u.id', releasedAt: 'u.released_at' };

const isStaged = sql<boolean>`exists (select 1 from update_packages up join packages p on p.sha256 = up.sha256 where up.update_id = u.id)`;

/** the updates the scope sees, staged or not */
export function listStagingUpdates(db: Db, access: Access, f: StagingFilter, page: Page) {
  let q = db
    .selectFrom('updates as u')
    .select(['u.id', 'u.name', 'u.kind', 'u.kb', 'u.version', 'u.sha256', 'u.size_bytes', 'u.source_url'])
    .where(f.staged ? isStaged : sql<boolean>`not ${isStaged}`)
    .where(updateVisible(access));
  if (f.downloadable) q = q.where('u.source_url', 'is not', null);
  if (f.bulletinId !== undefined) q = q.where('u.bulletin_id', '=', f.bulletinId);
  return paginate(q, page, stagingSort, 'u.id', (r) => r);
}

/** relay devices of an organization (active, not the asking device), by name then id */
export const relaysOf = (db: Db, organizationId: number) =>
  db
    .selectFrom('devices')
    .select(['id', 'name', 'hostname', 'ip_addresses', 'last_seen_at'])
    .where('organization_id', '=', organizationId)
    .where('is_relay', '=', true)
    .where('status', '=', 'active')
    .orderBy('name')
    .orderBy('id')
    .execute();
