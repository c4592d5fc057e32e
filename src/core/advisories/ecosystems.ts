// Ecosystem names differ between sources (OSV `Ubuntu:Pro:16.04:LTS`, `Red Hat:rhel_aus:8.6::appstream`,
// tracker codenames `bookworm`); the catalog keys packages by one spelling: `Ubuntu:16.04`, `Red Hat`, `Debian:12`.

export interface Ecosystem {
  readonly ecosystem: string;
  readonly product?: string;
}

/** Families whose OSV ecosystem suffix names a product line rather than a comparable release. */
const PRODUCT_FAMILIES = new Set([
  'Red Hat',
  'SUSE',
  'openSUSE',
  'AlmaLinux',
  'Rocky Linux',
  'Mageia',
  'openEuler',
]);

/** An OSV ecosystem string in the catalog's spelling, with the product it names where that differs. */
export function normalizeOsvEcosystem(raw: string): Ecosystem {
  const parts = raw.split(':');
  const family = parts[0] ?? raw;
  if (family === 'Ubuntu') {
    const release = parts.find((p) => /^\d+\.\d+$/.test(p));
    if (release === undefined) return { ecosystem: raw };
    return { ecosystem: `Ubuntu:${release}`, product: parts.join(' ') };
  }
  if (PRODUCT_FAMILIES.has(family) && parts.length > 1) {
    return { ecosystem: family, product: parts.slice(1).join(':') };
  }
  return { ecosystem: raw };
}

/** Debian release codenames, for the security tracker (which names releases, not numbers). */
const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

/** `bookworm` → `Debian:12`; `sid` and unknown codenames keep their name (`Debian:sid`). */
export function debianEcosystem(codename: string): string {
  return `Debian:${DEBIAN_RELEASES[codename] ?? codename}`;
}

const VENDOR_PREFIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(DSA|DLA|DTSA|DEBIAN)-/, 'Debian'],
  [/^(USN|UBUNTU|LSN)-/, 'Ubuntu'],
  [/^(RHSA|RHBA|RHEA)-/, 'Red Hat'],
  [/^(SUSE|openSUSE)-/, 'SUSE'],
  [/^ALPINE-/, 'Alpine'],
  [/^ALSA-/, 'AlmaLinux'],
  [/^RLSA-/, 'Rocky Linux'],
  [/^GHSA-/, 'GitHub'],
  [/^GO-/, 'Go'],
  [/^PYSEC-/, 'PyPI'],
  [/^RUSTSEC-/, 'RustSec'],
  [/^MAL-/, 'OpenSSF Malicious Packages'],
];

/** Who published an advisory, told by its id, else by the family of its first ecosystem. */
export function vendorOf(id: string, firstEcosystem?: string): string | undefined {
  for (const [re, vendor] of VENDOR_PREFIXES) if (re.test(id)) return vendor;
  return firstEcosystem?.split(':')[0];
}
