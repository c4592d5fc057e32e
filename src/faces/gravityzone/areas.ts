import type { RouteScope } from '../shared/route-table.ts';
import { companyMethods, generalMethods, policyMethods } from './directory.ts';
import type { Methods } from './methods.ts';
import { networkMethods } from './network.ts';
import { patchMethods } from './patches.ts';
import { maintenanceWindowMethods } from './windows.ts';

// The API areas, each a route `POST /api/v1.0/jsonrpc/{area}` with its tenancy rule and its methods.
export interface Area {
  readonly scope: RouteScope;
  readonly methods: Methods;
}

export const AREAS: Readonly<Record<string, Area>> = {
  maintenanceWindows: { scope: 'group', methods: maintenanceWindowMethods },
  patchManagement: { scope: 'group', methods: patchMethods },
  network: { scope: 'group', methods: networkMethods },
  companies: { scope: 'organization', methods: companyMethods },
  policies: { scope: 'group', methods: policyMethods },
  general: { scope: 'self', methods: generalMethods },
};
