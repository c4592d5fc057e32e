/** the advisory file formats Patchline imports (services/importers.ts reads each with its core parser) */
export const IMPORT_FORMATS = ['osv', 'debian-tracker', 'csaf', 'kev', 'epss', 'cve5'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
