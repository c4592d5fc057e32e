import type { Context } from '../../services/context.ts';
import { getDevice } from '../../services/devices.ts';
import {
  installedAppBase,
  installedAppFields,
  pageThrough,
  type InstalledAppRow,
} from '../../store/repos/kaseya.ts';
import type { QueryOptions } from '../shared/odata/index.ts';

// The audit of an agent's software (seed 004, "Get Installed Applications"):
// GET /assetmgmt/audit/{agentId}/software/installedapplications, from what Patchline really knows of the
// machine (store/repos/kaseya.ts installedApps): the packages of the agent's inventory, or the updates
// its scans found installed. ApplicationName is the package (or KB) name; Manufacturer and ProductName
// come from the catalog when an installed update of that package and version is linked to a product;
// LastModifiedDate is when Patchline recorded that version installed. Description, DirectoryPath and
// Size are not known (null). Attributes says where a row comes from.

const isoOf = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export const renderInstalledApp = (r: InstalledAppRow) => ({
  ApplicationName: r.name,
  Description: null,
  Version: r.version,
  Manufacturer: r.manufacturer,
  ProductName: r.product_name,
  DirectoryPath: null,
  Size: null,
  LastModifiedDate: isoOf(r.installed_at),
  Attributes: {
    Source: r.source,
    ...(r.kind ? { Kind: r.kind } : {}),
    ...(r.state ? { State: r.state } : {}),
  },
});

export async function listInstalledApps(ctx: Context, agentId: number, options: QueryOptions) {
  await getDevice(ctx, agentId); // the read privilege, and the agent in the caller's scope
  return pageThrough(
    installedAppBase(ctx.db, agentId),
    options,
    installedAppFields,
    ['a.name', 'a.version', 'a.source'],
    renderInstalledApp,
  );
}
