// The normalized shape every advisory importer produces. Parsers turn public formats (OSV, the Debian
// security tracker, CSAF 2.0, CVE JSON 5, CISA KEV, EPSS) into these plain values; the catalog stores them.

/** Patchline's severity scale, shared by bulletins and CVEs. */
export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical' | 'unknown';
export const SEVERITIES: readonly Severity[] = ['unknown', 'none', 'low', 'medium', 'high', 'critical'];

export type BulletinSource = 'osv' | 'debian-tracker' | 'csaf';

export interface Cvss {
  /** base score 0.0–10.0; absent when only a vector we cannot score (CVSS 4) is given */
  readonly score?: number;
  readonly vector?: string;
  /** '2.0', '3.0', '3.1', '4.0' */
  readonly version?: string;
}

export interface Reference {
  readonly url: string;
  /** the source's own word: ADVISORY, WEB, FIX (OSV), self, external (CSAF)… */
  readonly type?: string;
  readonly summary?: string;
}

/** One interval of affected versions: [introduced, fixed) or [introduced, lastAffected]. */
export interface AffectedRange {
  /** ECOSYSTEM, SEMVER, GIT (OSV range types) */
  readonly type: string;
  /** '0' means "every version before the end" */
  readonly introduced: string;
  readonly fixed?: string;
  readonly lastAffected?: string;
  /** GIT ranges name their repository */
  readonly repo?: string;
}

export type PackageStatus = 'affected' | 'fixed' | 'not_affected' | 'under_investigation';

export interface AffectedPackage {
  /**
   * Distribution and release where versions are comparable: `Debian:12`, `Ubuntu:22.04`, `Alpine:v3.18`,
   * `Red Hat`, `SUSE`; a language ecosystem (`PyPI`, `Go`); for CSAF products that are not packages, the vendor.
   */
  readonly ecosystem: string;
  /** the product the package ships in, as the source names it (`Ubuntu Pro 16.04 LTS`, `Red Hat Enterprise Linux AppStream AUS (v.8.6)`) */
  readonly product?: string;
  /** package name (the source package for Debian and Ubuntu) or, for products that are not packages, the product name */
  readonly name: string;
  readonly status: PackageStatus;
  /** the first version that is no longer affected, in the ecosystem's own syntax (`0:2.13.3-3.el8_6.1` for RPM) */
  readonly fixedVersion?: string;
  /** affected ranges, where the source gives them */
  readonly ranges?: readonly AffectedRange[];
  /** explicitly listed affected versions or version ranges (CSAF `product_version`/`product_version_range`) */
  readonly versions?: readonly string[];
  /** the CVEs this entry is about, when the source says so per package (CSAF, tracker); absent = all of the bulletin's */
  readonly cves?: readonly string[];
  /** binary packages built from this source package (Ubuntu) */
  readonly binaries?: readonly string[];
  readonly architectures?: readonly string[];
  /** Microsoft KB articles that fix it (`KB5034122`) */
  readonly kbs?: readonly string[];
  readonly cpe?: string;
  readonly purl?: string;
  /** CSAF `restart_required.category` of the vendor fix (`none`, `machine`, `service`…) */
  readonly restartRequired?: string;
}

/** What a source says about one CVE (description, scores); the catalog's CVE table is fed from these. */
export interface CveRecord {
  readonly id: string;
  readonly title?: string;
  readonly description?: string;
  readonly cvss?: Cvss;
  readonly severity: Severity;
  readonly cwes?: readonly string[];
  readonly published?: string;
  readonly modified?: string;
  /** CVE JSON 5 `cveMetadata.state` */
  readonly rejected?: boolean;
}

export interface Bulletin {
  readonly source: BulletinSource;
  /** the vendor's id: DSA-5678-1, DLA-…, USN-…, RHSA-2024:4546, GHSA-…, a Microsoft KB, DEBIAN-CVE-… */
  readonly id: string;
  /** Debian, Ubuntu, Red Hat, GitHub…, where it can be told */
  readonly vendor?: string;
  readonly title: string;
  readonly summary?: string;
  readonly severity: Severity;
  readonly cvss?: Cvss;
  /** ISO 8601 in UTC (`2024-07-15T16:12:25.000Z`) */
  readonly published?: string;
  readonly modified?: string;
  readonly withdrawn?: string;
  readonly cves: readonly string[];
  /** other advisory ids naming the same issue (GHSA for a PYSEC record, GO-… for an RHSA) */
  readonly aliases: readonly string[];
  readonly supersedes: readonly string[];
  readonly references: readonly Reference[];
  readonly packages: readonly AffectedPackage[];
  /** per-CVE details, where the source describes its CVEs */
  readonly cveDetails: readonly CveRecord[];
}

/** CISA known exploited vulnerabilities catalog entry. */
export interface KevRecord {
  readonly cve: string;
  readonly vendor: string;
  readonly product: string;
  readonly name: string;
  /** YYYY-MM-DD */
  readonly dateAdded: string;
  readonly dueDate?: string;
  readonly ransomwareUse: 'known' | 'unknown';
  readonly description?: string;
  readonly requiredAction?: string;
  readonly notes?: string;
  readonly cwes: readonly string[];
}

/** FIRST EPSS score of one CVE on one day. */
export interface EpssRecord {
  readonly cve: string;
  /** 0..1 */
  readonly probability: number;
  /** 0..1 */
  readonly percentile: number;
  /** YYYY-MM-DD, from the file's `score_date` comment */
  readonly date?: string;
  readonly modelVersion?: string;
}

/** Where a record failed: the file, the member of an archive, and a JSON pointer or `line N`. */
export interface ParseError {
  readonly file: string;
  /** member name inside a zip archive */
  readonly entry?: string;
  /** JSON pointer (`/vulnerabilities/3/cveID`) or `line 17` */
  readonly location: string;
  readonly message: string;
}

export interface ParseResult<T> {
  readonly records: T[];
  readonly errors: ParseError[];
}

/** One step of an iterable parser: a record or the error that replaced it. */
export type ParseItem<T> =
  { readonly ok: true; readonly record: T } | { readonly ok: false; readonly error: ParseError };

/** Drains an iterable parser into `{ records, errors }`. */
export function collect<T>(items: Iterable<ParseItem<T>>): ParseResult<T> {
  const records: T[] = [];
  const errors: ParseError[] = [];
  for (const item of items) {
    if (item.ok) records.push(item.record);
    else errors.push(item.error);
  }
  return { records, errors };
}

/** `file#entry:/pointer` — how an error's place is written in messages and field issues. */
export function formatLocation(e: Pick<ParseError, 'file' | 'entry' | 'location'>): string {
  const where = e.entry === undefined ? e.file : `${e.file}!${e.entry}`;
  return e.location === '' ? where : `${where}#${e.location}`;
}

export const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
