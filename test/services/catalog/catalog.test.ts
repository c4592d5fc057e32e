import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync, strToU8 } from 'fflate';
import type { Bulletin } from '../../../src/core/advisories/index.ts';
import { systemContext } from '../../../src/services/context.ts';
import * as catalog from '../../../src/services/catalog.ts';
import { importAdvisories } from '../../../src/services/importers.ts';
import { createOrganization } from '../../../src/services/organizations.ts';
import { eachDriver } from '../../support/store.ts';

// OSV records in the real format (https://ossf.github.io/osv-schema/), Debian flavour
function osvDsa(id: string, cves: string[], pkg: string, fixed: string, published: string) {
  return {
    schema_version: '1.6.0',
    id,
    modified: '2024-07-01T00:00:00Z',
    published,
    upstream: cves,
    summary: `${pkg} - security update`,
    details: `Several vulnerabilities were found in ${pkg}.`,
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: pkg },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      },
    ],
    references: [{ type: 'ADVISORY', url: `https://www.debian.org/security/${id.toLowerCase()}` }],
  };
}

const OSV = [
  osvDsa(
    'DSA-5001-1',
    ['CVE-2024-0001', 'CVE-2024-0002'],
    'openssl',
    '3.0.11-1~deb12u2',
    '2024-01-10T00:00:00Z',
  ),
  osvDsa('DSA-5002-1', ['CVE-2024-0003'], 'curl', '7.88.1-10+deb12u5', '2024-02-10T00:00:00Z'),
  osvDsa('DSA-5003-1', ['CVE-2024-0004'], 'xz-utils', '5.4.1-0.2', '2024-03-29T00:00:00Z'),
];

const bulletin = (id: string, cves: string[], supersedes: string[], published: string): Bulletin => ({
  source: 'csaf',
  id,
  vendor: 'Red Hat',
  title: id,
  severity: 'high',
  published,
  cves,
  aliases: [],
  supersedes,
  references: [],
  packages: [],
  cveDetails: [],
});

eachDriver('catalog services', (h) => {
  const ctx = () => systemContext(h.store());
  const count = async (table: 'bulletins' | 'cves' | 'bulletin_cves' | 'vendors' | 'products') =>
    Number(
      (
        await h
          .store()
          .db.selectFrom(table)
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  test('an OSV import is idempotent: the second run changes nothing', async () => {
    const bytes = JSON.stringify(OSV);
    const first = await importAdvisories(ctx(), { format: 'osv', bytes, fileName: 'dsa.json' });
    assert.deepEqual([first.imported, first.unchanged, first.errors], [3, 0, []]);
    const counts = [
      await count('bulletins'),
      await count('cves'),
      await count('bulletin_cves'),
      await count('vendors'),
    ];
    assert.deepEqual(counts, [3, 4, 4, 1]);
    const stamps = await h
      .store()
      .db.selectFrom('bulletins')
      .select(['id', 'updated_at'])
      .orderBy('id')
      .execute();
    const cveStamps = await h
      .store()
      .db.selectFrom('cves')
      .select(['id', 'updated_at'])
      .orderBy('id')
      .execute();
    const second = await importAdvisories(ctx(), { format: 'osv', bytes, fileName: 'dsa.json' });
    assert.deepEqual([second.imported, second.unchanged], [0, 3]);
    assert.deepEqual(
      [await count('bulletins'), await count('cves'), await count('bulletin_cves'), await count('vendors')],
      counts,
    );
    assert.deepEqual(
      await h.store().db.selectFrom('bulletins').select(['id', 'updated_at']).orderBy('id').execute(),
      stamps,
    );
    assert.deepEqual(
      await h.store().db.selectFrom('cves').select(['id', 'updated_at']).orderBy('id').execute(),
      cveStamps,
    );
  });

  test('a zip of OSV records imports; a malformed record is reported with its place and the rest imports', async () => {
    const zip = zipSync({
      'DSA-5004-1.json': strToU8(
        JSON.stringify(
          osvDsa('DSA-5004-1', ['CVE-2024-0005'], 'bash', '5.2.15-2+b3', '2024-04-01T00:00:00Z'),
        ),
      ),
      'broken.json': strToU8(JSON.stringify({ id: 'DSA-5005-1', affected: [] })), // no `modified`
    });
    const r = await importAdvisories(ctx(), { format: 'osv', bytes: zip, fileName: 'osv.zip' });
    assert.equal(r.imported, 1);
    assert.equal(r.errors.length, 1);
    assert.deepEqual(r.errors, [{ location: 'osv.zip!broken.json#/modified', message: 'is required' }]);
    const found = await catalog.listBulletins(
      ctx(),
      { cve: 'cve-2024-0005' },
      { limit: 10, offset: 0, sort: [] },
    );
    assert.deepEqual(
      found.items.map((b) => b.externalId),
      ['DSA-5004-1'],
    );
  });

  test('bulletins filter by text, CVE, severity, enabled and release range', async () => {
    const page = { limit: 50, offset: 0, sort: ['releasedAt'] };
    const byText = await catalog.listBulletins(ctx(), { q: 'dsa-500' }, page);
    assert.deepEqual(
      byText.items.map((b) => b.externalId),
      ['DSA-5001-1', 'DSA-5002-1', 'DSA-5003-1', 'DSA-5004-1'],
    );
    const byCve = await catalog.listBulletins(ctx(), { cve: 'CVE-2024-0002' }, page);
    assert.deepEqual(
      byCve.items.map((b) => [b.externalId, b.cves]),
      [['DSA-5001-1', ['CVE-2024-0001', 'CVE-2024-0002']]],
    );
    const ranged = await catalog.listBulletins(
      ctx(),
      { releasedFrom: new Date('2024-02-01T00:00:00Z'), releasedTo: new Date('2024-03-30T00:00:00Z') },
      page,
    );
    assert.deepEqual(
      ranged.items.map((b) => b.externalId),
      ['DSA-5002-1', 'DSA-5003-1'],
    );
    await assert.rejects(
      catalog.listBulletins(ctx(), { severity: ['severe'] }, page),
      /unknown severity severe/,
    );
    await assert.rejects(catalog.listBulletins(ctx(), { cve: 'CVE-24' }, page), /not a CVE id/);
  });

  test('disabling a bulletin records who and an event', async () => {
    const [b] = (await catalog.listBulletins(ctx(), { q: 'DSA-5002-1' }, { limit: 1, offset: 0, sort: [] }))
      .items;
    const after = await catalog.setBulletinEnabled(systemContext(h.store(), 'alice'), b!.id, false);
    assert.equal(after.enabled, false);
    assert.equal(after.enabledChangedBy, 'alice');
    const disabled = await catalog.listBulletins(
      ctx(),
      { enabled: false },
      { limit: 10, offset: 0, sort: [] },
    );
    assert.deepEqual(
      disabled.items.map((x) => x.externalId),
      ['DSA-5002-1'],
    );
    const ev = await h
      .store()
      .db.selectFrom('events')
      .select(['kind', 'actor_name', 'subject_id'])
      .where('kind', '=', 'bulletin.disabled')
      .execute();
    assert.deepEqual(ev, [{ kind: 'bulletin.disabled', actor_name: 'alice', subject_id: String(b!.id) }]);
  });

  test('CVE → bulletins: all, or the initial set following a supersedence chain', async () => {
    // RHSA-1 ← superseded by RHSA-2 ← superseded by RHSA-3; RHSA-9 fixes the CVE too and stands alone
    await catalog.upsertCatalogBulletins(ctx(), [
      bulletin('RHSA-2024:3', ['CVE-2024-1001'], ['RHSA-2024:2'], '2024-03-01T00:00:00Z'),
      bulletin('RHSA-2024:1', ['CVE-2024-1000', 'CVE-2024-1001'], [], '2024-01-01T00:00:00Z'),
      bulletin('RHSA-2024:9', ['CVE-2024-1000'], [], '2024-01-05T00:00:00Z'),
    ]);
    // the middle one arrives later: both of its links are made
    await catalog.upsertCatalogBulletins(ctx(), [
      bulletin('RHSA-2024:2', ['CVE-2024-1000'], ['RHSA-2024:1'], '2024-02-01T00:00:00Z'),
    ]);
    const ids = new Map(
      (await h.store().db.selectFrom('bulletins').select(['id', 'external_id']).execute()).map((r) => [
        r.external_id,
        r.id,
      ]),
    );
    const names = (list: number[]) => list.map((id) => [...ids].find(([, v]) => v === id)![0]).sort();
    assert.deepEqual(names(await catalog.resolveCvesToBulletins(ctx(), ['CVE-2024-1000'], false)), [
      'RHSA-2024:1',
      'RHSA-2024:2',
      'RHSA-2024:9',
    ]);
    assert.deepEqual(names(await catalog.resolveCvesToBulletins(ctx(), ['CVE-2024-1000'], true)), [
      'RHSA-2024:3',
      'RHSA-2024:9',
    ]);
    const two = await catalog.getBulletin(ctx(), ids.get('RHSA-2024:2')!);
    assert.deepEqual([names(two.supersedes), names(two.supersededBy)], [['RHSA-2024:1'], ['RHSA-2024:3']]);
  });

  test('KEV, EPSS and CVE JSON 5 fill the CVE table; CVEs filter by known exploited and EPSS', async () => {
    const kev = JSON.stringify({
      title: 'CISA Catalog of Known Exploited Vulnerabilities',
      catalogVersion: '2024.07.01',
      dateReleased: '2024-07-01T00:00:00.000Z',
      count: 1,
      vulnerabilities: [
        {
          cveID: 'CVE-2024-0004',
          vendorProject: 'Tukaani',
          product: 'xz',
          vulnerabilityName: 'xz backdoor',
          dateAdded: '2024-04-01',
          shortDescription: 'embedded malicious code',
          requiredAction: 'Apply updates',
          dueDate: '2024-04-22',
          knownRansomwareCampaignUse: 'Unknown',
          notes: '',
          cwes: ['CWE-506'],
        },
      ],
    });
    const k = await importAdvisories(ctx(), { format: 'kev', bytes: kev, fileName: 'kev.json' });
    assert.deepEqual([k.imported, k.errors], [1, []]);
    const epss =
      '#model_version:v2023.03.01,score_date:2024-07-01T00:00:00+0000\ncve,epss,percentile\nCVE-2024-0004,0.91,0.99\nCVE-2024-0001,0.02,0.40\nCVE-2024-0003,abc,0.5\n';
    const e = await importAdvisories(ctx(), { format: 'epss', bytes: epss, fileName: 'epss.csv' });
    assert.equal(e.imported, 2);
    assert.equal(e.errors.length, 1);
    assert.match(e.errors[0]!.location, /epss\.csv#line 5/);
    const page = { limit: 50, offset: 0, sort: [] };
    const exploited = await catalog.listCves(ctx(), { knownExploited: true }, page);
    assert.deepEqual(
      exploited.items.map((c) => [c.id, c.kevAddedAt, c.kevDueAt]),
      [['CVE-2024-0004', '2024-04-01', '2024-04-22']],
    );
    const likely = await catalog.listCves(ctx(), { epssAtLeast: 0.5 }, page);
    assert.deepEqual(
      likely.items.map((c) => [c.id, c.epssProbability]),
      [['CVE-2024-0004', 0.91]],
    );
    const again = await importAdvisories(ctx(), { format: 'epss', bytes: epss, fileName: 'epss.csv' });
    assert.deepEqual([again.imported, again.unchanged], [0, 2]);
  });

  test('updates link to the advisories they fix; exposed devices and the update that closes the CVE', async () => {
    const db = h.store().db;
    const org = await createOrganization(ctx(), { name: 'Acme' });
    const device = await db
      .insertInto('devices')
      .values({ organization_id: org.id, group_id: org.rootGroupId!, name: 'web-1' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const u = await db
      .insertInto('updates')
      .values([
        // newer than the fix: fixes CVE-2024-0001/2
        {
          natural_key: 'deb:openssl:3.0.13-1~deb12u1:amd64',
          kind: 'deb',
          name: 'openssl',
          package_name: 'openssl',
          version: '3.0.13-1~deb12u1',
        },
        // older than the fix: fixes nothing
        {
          natural_key: 'deb:curl:7.88.1-10+deb12u4:amd64',
          kind: 'deb',
          name: 'curl',
          package_name: 'curl',
          version: '7.88.1-10+deb12u4',
        },
      ])
      .returning(['id', 'package_name'])
      .execute();
    const openssl = u.find((x) => x.package_name === 'openssl')!.id;
    const curl = u.find((x) => x.package_name === 'curl')!.id;
    await db
      .insertInto('device_updates')
      .values([
        {
          device_id: device.id,
          update_id: openssl,
          organization_id: org.id,
          detection: 'missing',
          status: 'missing',
          installed_version: '3.0.9-1',
        },
        {
          device_id: device.id,
          update_id: curl,
          organization_id: org.id,
          detection: 'missing',
          status: 'missing',
        },
      ])
      .execute();
    const { linkUpdatesToAdvisories } = await import('../../../src/store/repos/catalog-repo.ts');
    const r = await linkUpdatesToAdvisories(db, [openssl, curl]);
    assert.deepEqual(r, { updates: 2, linkedBulletins: 1, linkedCves: 2 });
    const listed = await catalog.listUpdates(
      ctx(),
      { cve: 'CVE-2024-0002' },
      { limit: 10, offset: 0, sort: [] },
    );
    assert.deepEqual(
      listed.items.map((x) => [x.packageName, x.bulletin?.externalId, x.cves]),
      [['openssl', 'DSA-5001-1', ['CVE-2024-0001', 'CVE-2024-0002']]],
    );
    const cve = await catalog.getCve(ctx(), 'CVE-2024-0001');
    assert.deepEqual(
      cve.bulletins.map((b) => b.externalId),
      ['DSA-5001-1'],
    );
    assert.deepEqual(
      cve.exposedDevices.map((d) => [d.deviceName, d.update.packageName, d.update.version]),
      [['web-1', 'openssl', '3.0.13-1~deb12u1']],
    );
    assert.deepEqual(await catalog.devicesExposedToCve(ctx(), 'CVE-2024-0003'), []);
    // linking again adds nothing
    assert.deepEqual(await linkUpdatesToAdvisories(db), { updates: 2, linkedBulletins: 0, linkedCves: 0 });
  });

  test('an update that carries a KB links to the advisory naming it, whatever reported it', async () => {
    const db = h.store().db;
    await catalog.upsertCatalogBulletins(ctx(), [
      {
        source: 'csaf',
        id: 'msrc_CVE-2031-1111',
        vendor: 'Microsoft',
        title: 'Windows Kernel update',
        severity: 'high',
        cves: ['CVE-2031-1111'],
        aliases: [],
        supersedes: [],
        references: [],
        packages: [
          { ecosystem: 'Microsoft', name: 'Windows Server 2022', status: 'affected', kbs: ['KB5075906'] },
        ],
        cveDetails: [],
      },
    ]);
    // a simulated Windows machine reports kind 'simulated' with the KB its update names
    const [windows, debian] = await db
      .insertInto('updates')
      .values([
        { natural_key: 'simulated:KB5075906::', kind: 'simulated', name: 'KB5075906', kb: 'KB5075906' },
        {
          natural_key: 'simulated:libfoo:1.0:',
          kind: 'simulated',
          name: 'libfoo',
          package_name: 'libfoo',
          version: '1.0',
        },
      ])
      .returning('id')
      .execute();
    const { linkUpdatesToAdvisories } = await import('../../../src/store/repos/catalog-repo.ts');
    assert.deepEqual(await linkUpdatesToAdvisories(db, [windows!.id, debian!.id]), {
      updates: 1,
      linkedBulletins: 1,
      linkedCves: 1,
    });
    const linked = await db
      .selectFrom('updates as u')
      .innerJoin('bulletins as b', 'b.id', 'u.bulletin_id')
      .select('b.external_id')
      .where('u.id', '=', windows!.id)
      .executeTakeFirst();
    assert.equal(linked?.external_id, 'msrc_CVE-2031-1111');
  });

  test('custom severities per organization: replace, list, reject bad input', async () => {
    const org = await createOrganization(ctx(), { name: 'Severities Inc' });
    const list = await catalog.replaceCustomSeverities(ctx(), org.id, [
      { order: 2, name: 'Patch this week', level: 'high' },
      { order: 1, name: ' Drop everything ', level: 'critical' },
    ]);
    assert.deepEqual(list, [
      { order: 1, name: 'Drop everything', level: 'critical' },
      { order: 2, name: 'Patch this week', level: 'high' },
    ]);
    await assert.rejects(
      catalog.replaceCustomSeverities(ctx(), org.id, [{ order: 1, name: 'a|b', level: 'high' }]),
      (e: { issues: { path: string }[] }) => e.issues[0]!.path === '/0/name',
    );
    assert.equal((await catalog.listCustomSeverities(ctx(), org.id)).length, 2);
  });
});
