import { whoAmI } from '../../services/auth.ts';
import type { Context } from '../../services/context.ts';
import { getOrganization, listOrganizations, defaultOrganization } from '../../services/organizations.ts';
import { getPolicy, listPolicies, type PolicyView } from '../../services/policies.ts';
import { listWindows } from '../../services/windows.ts';
import { gzId, named, parseGzId } from './ids.ts';
import { Params, paged, readPaging } from './jsonrpc.ts';
import type { Methods } from './methods.ts';

// Areas `companies`, `policies` and `general`: Patchline's organizations as companies, its patch policies
// with the maintenance windows assigned to them, and the key's own details.
//
// Decisions: a company's `type` is 1 (customer) for every organization (Patchline has no partner
// companies); getCompaniesList answers the organizations in the key's scope (under `parentId` when given),
// as a plain array like GravityZone's; policies are listed paged like every GravityZone list.

export const AREA_NAMES = [
  'maintenanceWindows',
  'patchManagement',
  'network',
  'companies',
  'policies',
  'general',
] as const;

const COMPANY_CUSTOMER = 1;

function companyView(o: Awaited<ReturnType<typeof getOrganization>>) {
  return {
    id: gzId('company', o.id),
    name: o.name,
    type: COMPANY_CUSTOMER,
    parentId: o.parentId === null ? null : gzId('company', o.parentId),
  };
}

export const companyMethods: Methods = {
  async getCompanyDetails(ctx, params) {
    const p = new Params(params, 'getCompanyDetails');
    const text = p.string('companyId');
    p.done();
    if (text === undefined)
      return companyView(await getOrganization(ctx, defaultOrganization(ctx, 'companyId')));
    return companyView(
      await named('company', text, getOrganization(ctx, parseGzId('company', text, 'companyId'))),
    );
  },
  async getCompaniesList(ctx, params) {
    const p = new Params(params, 'getCompaniesList');
    const text = p.string('parentId');
    p.done();
    const parentId = text === undefined ? undefined : parseGzId('company', text, 'parentId');
    const items = [];
    for (let offset = 0; ; offset += 500) {
      const r = await listOrganizations(ctx, parentId === undefined ? {} : { parentId }, {
        limit: 500,
        offset,
        sort: ['name'],
      });
      items.push(...r.items);
      if (items.length >= r.total || !r.items.length) break;
    }
    return items.map(companyView);
  },
};

async function windowsOf(ctx: Context, orgId: number) {
  return listWindows(ctx, { organizationId: orgId });
}

function policySummary(p: PolicyView) {
  return { id: gzId('policy', p.id), name: p.name, companyId: gzId('company', p.organizationId) };
}

export const policyMethods: Methods = {
  async getPoliciesList(ctx, params) {
    const p = new Params(params, 'getPoliciesList');
    const paging = readPaging(p);
    const text = p.string('companyId');
    p.done();
    const organizationId = text === undefined ? undefined : parseGzId('company', text, 'companyId');
    const list = await (text === undefined
      ? listPolicies(ctx)
      : named('company', text, listPolicies(ctx, { organizationId: organizationId! })));
    return paged(list.map(policySummary), paging);
  },
  async getPolicyDetails(ctx, params) {
    const p = new Params(params, 'getPolicyDetails');
    const text = p.string('policyId', { required: true });
    p.done();
    const policy = await named('policy', text!, getPolicy(ctx, parseGzId('policy', text, 'policyId')));
    const windows = (await windowsOf(ctx, policy.organizationId)).filter((w) =>
      w.assignments.policies.includes(policy.id),
    );
    return {
      ...policySummary(policy),
      enabled: policy.enabled,
      notes: policy.notes,
      createdAt: policy.createdAt.toISOString(),
      updatedAt: policy.updatedAt.toISOString(),
      maintenanceWindows: windows.map((w) => ({ id: gzId('window', w.id), name: w.name })),
    };
  },
};

export const generalMethods: Methods = {
  async getApiKeyDetails(ctx, params) {
    new Params(params, 'getApiKeyDetails').done();
    const me = whoAmI(ctx);
    return {
      enabledApis: [...AREA_NAMES],
      name: me.name,
      allCompanies: me.scope.allOrganizations,
      companies: [
        ...new Set([...me.scope.organizations, ...me.scope.groups.map((g) => g.organizationId)]),
      ].map((id) => gzId('company', id)),
    };
  },
};
