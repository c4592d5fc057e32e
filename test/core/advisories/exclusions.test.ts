// Products an import leaves out (Altiris SetupImport softwareExcludes): a package is left out when the
// catalog would file it under an excluded product (the bulletin's vendor, the package's product or else
// its ecosystem), a bulletin when all its packages are.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withoutProducts } from '../../../src/core/advisories/exclusions.ts';
import type { AffectedPackage, Bulletin } from '../../../src/core/advisories/model.ts';

const pkg = (name: string, product?: string): AffectedPackage => ({
  ecosystem: 'Red Hat',
  name,
  status: 'fixed',
  ...(product ? { product } : {}),
});
const bulletin = (packages: AffectedPackage[], vendor: string | undefined = 'Red Hat'): Bulletin => ({
  source: 'csaf',
  id: 'RHSA-1',
  ...(vendor ? { vendor } : {}),
  title: 't',
  severity: 'high',
  cves: [],
  aliases: [],
  supersedes: [],
  references: [],
  packages,
  cveDetails: [],
});

test('withoutProducts leaves out the packages of excluded products, and a bulletin left with none', () => {
  const rhel8 = pkg('curl', 'Red Hat Enterprise Linux 8');
  const rhel9 = pkg('curl', 'Red Hat Enterprise Linux 9');
  const bare = pkg('openssl'); // filed under its ecosystem
  const cases: [string, Bulletin, { vendor: string; product: string }[], AffectedPackage[] | null][] = [
    ['nothing excluded', bulletin([rhel8, bare]), [], [rhel8, bare]],
    [
      'one product, any case',
      bulletin([rhel8, rhel9]),
      [{ vendor: 'red hat', product: 'RED HAT ENTERPRISE LINUX 8' }],
      [rhel9],
    ],
    [
      'by ecosystem when the package names no product',
      bulletin([rhel8, bare]),
      [{ vendor: 'Red Hat', product: 'Red Hat' }],
      [rhel8],
    ],
    [
      'another vendor’s product of the same name',
      bulletin([rhel8]),
      [{ vendor: 'SUSE', product: 'Red Hat Enterprise Linux 8' }],
      [rhel8],
    ],
    [
      'every package: the bulletin is left out',
      bulletin([rhel8, rhel9]),
      [
        { vendor: 'Red Hat', product: 'Red Hat Enterprise Linux 8' },
        { vendor: 'Red Hat', product: 'Red Hat Enterprise Linux 9' },
      ],
      null,
    ],
    ['a bulletin without packages is kept', bulletin([]), [{ vendor: 'Red Hat', product: 'Red Hat' }], []],
  ];
  for (const [title, b, excluded, want] of cases) {
    const got = withoutProducts(b, excluded);
    assert.deepEqual(got === null ? null : got.packages, want, title);
  }
});
