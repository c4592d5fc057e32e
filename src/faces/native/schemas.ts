import { Type } from 'typebox';
import type { Page } from '../../store/paging.ts';

// Shared pieces of the native API's schemas (validation, types, serialization and OpenAPI from one place).
export { DateTime, Id, IdParam, Nullable, NullableDateTime } from '../../wire/common.ts';

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'items per page (1–500)' }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'items to skip' })),
  sort: Type.Optional(
    Type.String({
      pattern: '^-?[A-Za-z]+(,-?[A-Za-z]+)*$',
      description: 'comma-separated fields, `-` for descending, e.g. `-createdAt,name`',
    }),
  ),
};

export function pageOf(
  q: { limit?: number; offset?: number; sort?: string },
  sortable: readonly string[],
): Page {
  const sort = q.sort ? q.sort.split(',') : [];
  const unknown = sort.map((s) => s.replace(/^-/, '')).filter((s) => !sortable.includes(s));
  if (unknown.length) {
    const e = new Error(
      `cannot sort by ${unknown.join(', ')}; sortable fields: ${sortable.join(', ')}`,
    ) as Error & { statusCode: number };
    e.statusCode = 400;
    throw e;
  }
  return { limit: q.limit ?? 50, offset: q.offset ?? 0, sort };
}

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

const problemRef = Type.Unsafe({ $ref: 'Problem#' });
/** the error responses every authenticated route documents */
export const errors = { 400: problemRef, 401: problemRef, 403: problemRef, 404: problemRef, 409: problemRef };

// the resources' response schemas live with the wire types the console shares (wire/native.ts)
export {
  ApiKey,
  Device,
  DeviceUpdate,
  Event,
  Group,
  ListOf,
  Organization,
  OsFamily,
  PrivilegeName,
  Role,
  Scope,
  ScopeEntry,
  User,
} from '../../wire/native.ts';
