import { bulletinSort, cveSort } from '../store/repos/bulletins-repo.ts';
import { updateSort } from '../store/repos/catalog-repo.ts';
import { deviceSort } from '../store/repos/devices-repo.ts';
import { groupSort } from '../store/repos/groups-repo.ts';
import { apiKeySort, roleSort, scopeSort, userSort } from '../store/repos/identity-repo.ts';
import { organizationSort } from '../store/repos/organizations-repo.ts';
import { stagingSort } from '../store/repos/staging-repo.ts';

// The fields each list can be sorted by, as the repositories define them (their SQL columns stay in the
// store): the faces offer these names to their clients and refuse the others before calling a service.
const keys = (m: object) => Object.keys(m);
export const SORT_KEYS = {
  organizations: keys(organizationSort),
  groups: keys(groupSort),
  devices: keys(deviceSort),
  users: keys(userSort),
  roles: keys(roleSort),
  scopes: keys(scopeSort),
  apiKeys: keys(apiKeySort),
  bulletins: keys(bulletinSort),
  cves: keys(cveSort),
  updates: keys(updateSort),
  staging: keys(stagingSort),
} as const;
