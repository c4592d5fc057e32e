import type { FastifyInstance } from 'fastify';
import { invalid } from '../../core/errors.ts';
import {
  createDepartment,
  deleteDepartment,
  getDepartment,
  queryDepartments,
  updateDepartment,
  type DepartmentInput,
  type DepartmentView,
} from '../../services/departments.ts';
import { queryOrganizations, type OrganizationEntry } from '../../services/directory.ts';
import { organizationTypes } from '../../services/organizations.ts';
import { parseDecimalId, renderDecimalId, renderDecimalIdOrNull } from '../shared/ids.ts';
import { toListQuery, type FieldMap } from '../shared/odata/index.ts';
import { Body } from './body.ts';
import { orgFields, spec } from './fields.ts';
import type { PatchDeps } from './patch.ts';
import { inSeedTerms } from './resources.ts';

// Seed 004's Departments chapter and the organization locations and types of its Organizations
// chapter, over Patchline's departments (services/departments.ts) and organizations:
//   GET    /system/orgs/{orgId}/departments      list (filter, sort, page)
//   GET    /system/departments/{deptId}          one
//   POST   /system/orgs/{orgId}/departments      add: Result is the new DepartmentId
//   PUT    /system/departments/{departmentId}    the fields sent change; DepartmentId in the body, if
//                                                sent, must be the path's; OrgId cannot change
//   DELETE /system/departments/{departmentId}    refused while it has sub-departments
//   GET    /system/orgs/locations                every organization in scope with its contact fields
//                                                (the ContactInfo of Add/Update Organization)
//   GET    /system/orgs/types                    the organization types in use (the OrgType text of
//                                                organizations in scope)
// Decided where the seed is silent: ParentDepartmentId and ManagerId of 0 or null mean none; ManagerId
// is a user id (UserId of /system/users). Patchline does not create a "root" department with each
// organization: an organization lists the departments someone added. OrgTypeID is derived from the type's
// text (the same text has the same id on every server; Patchline keeps no table of types) and Status is
// 1 (in use); Description is the type's text.

type Params = Record<string, string>;

export const departmentFields: FieldMap = {
  DepartmentId: spec('id', 'integer'),
  DepartmentName: spec('name', 'string'),
  ParentDepartmentId: spec('parentId', 'integer'),
  ManagerId: spec('managerId', 'integer'),
  OrgId: spec('organizationId', 'integer'),
  DepartmentRef: spec('ref', 'string'),
};

export const renderDepartment = (d: DepartmentView) => ({
  DepartmentId: renderDecimalId(d.id),
  DepartmentName: d.name,
  ParentDepartmentId: renderDecimalIdOrNull(d.parentId),
  ManagerId: renderDecimalIdOrNull(d.managerId),
  OrgId: renderDecimalId(d.organizationId),
  DepartmentRef: d.ref,
  Attributes: Object.keys(d.attributes).length ? d.attributes : null,
});

const FIELDS = [
  'DepartmentId',
  'DepartmentName',
  'ParentDepartmentId',
  'ManagerId',
  'OrgId',
  'DepartmentRef',
  'Attributes',
];

/** the department fields a body sends, in Patchline's terms (absent: not sent) */
function departmentPatch(body: unknown, orgId: number | null): Partial<DepartmentInput> {
  const b = Body.of(body, FIELDS, 'department');
  b.id('DepartmentId'); // checked by the caller where it matters; the server assigns ids
  const org = b.id('OrgId');
  if (orgId !== null && org != null && org !== orgId)
    throw invalid(`OrgId ${org} in the body differs from ${orgId}, the department's organization`, [
      { path: '/OrgId', message: `must be ${orgId} or be left out` },
    ]);
  const out: Partial<DepartmentInput> = {};
  const name = b.text('DepartmentName');
  if (name === null)
    throw invalid('DepartmentName must not be null', [{ path: '/DepartmentName', message: 'is required' }]);
  if (name !== undefined) out.name = name;
  const parent = b.id('ParentDepartmentId');
  if (parent !== undefined) out.parentId = parent;
  const manager = b.id('ManagerId');
  if (manager !== undefined) out.managerId = manager;
  const ref = b.text('DepartmentRef');
  if (ref !== undefined) out.ref = ref || null;
  const attributes = b.object('Attributes');
  if (attributes !== undefined) out.attributes = attributes ?? {};
  return out;
}

/** the service's field paths in the seed's names */
const SEED_PATHS: Record<string, string> = {
  '/name': '/DepartmentName',
  '/parentId': '/ParentDepartmentId',
  '/managerId': '/ManagerId',
};
const inSeedWords = <T>(run: () => Promise<T>) => inSeedTerms(SEED_PATHS, run);

const CONTACT = [
  'PreferredContactMethod',
  'PrimaryPhone',
  'PrimaryFax',
  'PrimaryEmail',
  'Country',
  'Street',
  'City',
  'State',
  'ZipCode',
] as const;

const renderLocation = (o: OrganizationEntry) => {
  const contact = ((o.attributes as Record<string, unknown>).ContactInfo ?? {}) as Record<string, unknown>;
  return {
    OrgId: renderDecimalId(o.id),
    OrgRef: o.ref,
    OrgName: o.name,
    ...Object.fromEntries(CONTACT.map((k) => [k, typeof contact[k] === 'string' ? contact[k] : null])),
    Attributes: null,
  };
};

/** a stable positive id for a type's text (32-bit FNV-1a of the lower-cased text) */
export function orgTypeId(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of text.toLowerCase()) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 1;
}

export function departmentRoutes(app: FastifyInstance, deps: PatchDeps) {
  const { ctxOf, ok, listed, options } = deps;
  const idOf = (params: unknown, name: string, what: string) =>
    parseDecimalId((params as Params)[name] ?? '', what);

  app.get('/system/orgs/:orgId/departments', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const orgId = idOf(req.params, 'orgId', 'organization');
    const r = await queryDepartments(ctx, toListQuery(options(req), departmentFields), orgId);
    return listed(req, reply, { records: r.records.map(renderDepartment), total: r.total }, 'Department');
  });
  app.get('/system/departments/:deptId', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(
      req,
      reply,
      renderDepartment(await getDepartment(ctx, idOf(req.params, 'deptId', 'department'))),
    );
  });
  app.post('/system/orgs/:orgId/departments', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const orgId = idOf(req.params, 'orgId', 'organization');
    const p = departmentPatch(req.body, orgId);
    if (p.name === undefined)
      throw invalid('DepartmentName is required', [{ path: '/DepartmentName', message: 'is required' }]);
    const d = await inSeedWords(() =>
      createDepartment(ctx, orgId, {
        name: p.name!,
        parentId: p.parentId ?? null,
        ref: p.ref ?? null,
        managerId: p.managerId ?? null,
        attributes: p.attributes ?? {},
      }),
    );
    return ok(req, reply, renderDecimalId(d.id));
  });
  app.put('/system/departments/:departmentId', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = idOf(req.params, 'departmentId', 'department');
    const inBody = Body.of(req.body, FIELDS, 'department').id('DepartmentId');
    if (inBody != null && inBody !== id)
      throw invalid(`DepartmentId ${inBody} in the body differs from ${id} in the path`, [
        { path: '/DepartmentId', message: `must be ${id}, the id in the path, or be left out` },
      ]);
    const current = await getDepartment(ctx, id);
    await inSeedWords(() => updateDepartment(ctx, id, departmentPatch(req.body, current.organizationId)));
    return ok(req, reply, true);
  });
  app.delete(
    '/system/departments/:departmentId',
    { config: { scope: 'organization' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      await deleteDepartment(ctx, idOf(req.params, 'departmentId', 'department'));
      return ok(req, reply, true);
    },
  );

  app.get('/system/orgs/locations', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    // the seed takes no filter or sort here; Patchline takes those of the organization list, and paging
    const r = await queryOrganizations(ctx, toListQuery(options(req), orgFields));
    return listed(req, reply, { records: r.records.map(renderLocation), total: r.total }, 'OrgLocation');
  });
  app.get('/system/orgs/types', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    options(req); // a malformed option is still an error; the list is short and whole
    const types = await organizationTypes(ctx);
    return listed(
      req,
      reply,
      {
        records: types.map((t) => ({
          OrgTypeID: orgTypeId(t.type),
          OrgTypeRef: t.type,
          Description: t.type,
          Status: 1,
          Attributes: { Organizations: t.organizations },
        })),
        total: types.length,
      },
      'OrgType',
    );
  });
}
