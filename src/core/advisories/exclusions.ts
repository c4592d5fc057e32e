import type { Bulletin } from './model.ts';

// Products an import leaves out (Altiris SetupImport softwareExcludes, seed 000: "GUID list of excluded
// software releases"). A product is what the catalog files a bulletin's package under: the bulletin's
// vendor and the package's product, else its ecosystem (store/repos/bulletins-repo.ts upsertBulletins),
// compared without regard to case.

export interface ProductRef {
  readonly vendor: string;
  readonly product: string;
}

const key = (vendor: string, product: string) => `${vendor.toLowerCase()}\0${product.toLowerCase()}`;

/**
 * The bulletin without the packages of excluded products; null when it had packages and every one was
 * excluded (the import skips it). A bulletin without packages, or without a vendor, is kept as it is.
 */
export function withoutProducts(b: Bulletin, excluded: readonly ProductRef[]): Bulletin | null {
  if (!excluded.length || !b.vendor || !b.packages.length) return b;
  const out = new Set(excluded.map((p) => key(p.vendor, p.product)));
  const packages = b.packages.filter((p) => !out.has(key(b.vendor!, p.product ?? p.ecosystem)));
  if (!packages.length) return null;
  return packages.length === b.packages.length ? b : { ...b, packages };
}
