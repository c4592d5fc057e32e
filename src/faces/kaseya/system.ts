// The core chapter's system resources (seed 004, "Get Environment", "Get Tenant"), answered truthfully:
// Patchline is one installation with one partition (its tenants are organizations, GET /system/orgs),
// and the Kaseya face writes every time in UTC (dates.ts), so the offset is 0.

export const environment = (version = 'unknown') => ({
  SystemVersion: `Patchline ${version}`,
  PatchLevel: version,
  // Patchline has no Kaseya customer id
  CustomerID: null,
  TimeZoneOffset: 0,
  Attributes: null,
});

/** the one partition of a Patchline server */
export const TENANT = {
  TenantId: '1',
  Ref: 'patchline',
  Type: 'Patchline server (one partition; organizations are its tenants)',
  TimeZoneOffset: 0,
  Attributes: null,
};
