import { vsaDate } from './dates.ts';
import type { Context } from '../../services/context.ts';
import { queryInstalledSoftware, type InstalledSoftwareEntry } from '../../services/directory.ts';
import { toListQuery, type QueryOptions } from '../shared/odata/index.ts';
import { installedAppFields } from './fields.ts';

// The audit of an agent's software (seed 004, "Get Installed Applications"):
// GET /assetmgmt/audit/{agentId}/software/installedapplications, from what Patchline really knows of the
// machine (store/repos/installed-software-repo.ts): the packages of the agent's inventory, or the updates
// its scans found installed. ApplicationName is the package (or KB) name; Manufacturer and ProductName
// come from the catalog when an installed update of that package and version is linked to a product;
// LastModifiedDate is when Patchline recorded that version installed. Description, DirectoryPath and
// Size are not known (null). Attributes says where a row comes from.

export const renderInstalledApp = (r: InstalledSoftwareEntry) => ({
  ApplicationName: r.name,
  Description: null,
  Version: r.version,
  Manufacturer: r.manufacturer,
  ProductName: r.productName,
  DirectoryPath: null,
  Size: null,
  LastModifiedDate: vsaDate('LastModifiedDate', r.installedAt),
  Attributes: {
    Source: r.source,
    ...(r.kind ? { Kind: r.kind } : {}),
    ...(r.state ? { State: r.state } : {}),
  },
});

export async function listInstalledApps(ctx: Context, agentId: number, options: QueryOptions) {
  const q = toListQuery(options, installedAppFields);
  const r = await queryInstalledSoftware(ctx, agentId, q);
  return { records: r.records.map(renderInstalledApp), total: r.total };
}
