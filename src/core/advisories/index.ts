// The advisory parsers and the normalized model, for importers and the catalog.
export * from './model.ts';
export { severityFromScore, severityFromText, maxSeverity } from './severity.ts';
export { parseCvssVector, preferredCvss } from './cvss.ts';
export { normalizeOsvEcosystem, debianEcosystem, vendorOf } from './ecosystems.ts';
export {
  compareDebianVersions,
  compareRpmVersions,
  compareVersions,
  isVersionAffected,
  parseDebianVersion,
  parseRpmVersion,
  rpmvercmp,
  versionScheme,
  type Comparison,
  type VersionScheme,
} from './versions.ts';
export { iterateOsv, parseOsv, osvToBulletin, cveOf } from './osv.ts';
export { iterateDebianTracker, parseDebianTracker } from './debian-tracker.ts';
export { iterateCsaf, parseCsaf, parseNevra, type Nevra } from './csaf.ts';
export { iterateKev, iterateKevCsv, iterateKevJson, parseKev } from './kev.ts';
export { iterateEpss, parseEpss } from './epss.ts';
export { iterateCve5, parseCve5, cve5ToRecord } from './cve5.ts';
export { assertParsed } from './errors.ts';
