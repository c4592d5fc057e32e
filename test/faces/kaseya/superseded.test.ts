// IsSuperseded in the Kaseya VSA face's patch lists (seed 004) tells the truth: an update is superseded
// when a newer version of its package replaces it on the same release, as one device's package manager
// showed or as the vendor's advisories say (core/updates.ts); a newer version alone, from a device that
// never had the older one, or for another architecture, supersedes nothing.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Bulletin } from '../../../src/core/advisories/index.ts';
import { upsertCatalogBulletins } from '../../../src/services/catalog.ts';
import { systemContext } from '../../../src/services/context.ts';
import { ingestScan } from '../../../src/services/scans.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { kaseyaSignIn, kget } from './support.ts';
import { startKaseyaApp } from './support.ts';

const P = '/api/v1.0/assetmgmt/patch';

const dsa = (id: string, fixed: string, supersedes: string[]): Bulletin => ({
  source: 'osv',
  id,
  vendor: 'Debian',
  title: `${id} tzdata - new timezone database`,
  severity: 'low',
  published: '2026-02-01T00:00:00.000Z',
  cves: [],
  aliases: [],
  supersedes,
  references: [],
  packages: [{ ecosystem: 'Debian:12', name: 'tzdata', status: 'fixed', fixedVersion: fixed }],
  cveDetails: [],
});

const deb = (name: string, version: string, architecture = 'amd64') => ({
  kind: 'deb' as const,
  name,
  version,
  architecture,
  detection: 'missing' as const,
});

eachDriver('Kaseya VSA: IsSuperseded', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  let bearer: string;
  const superseded = async (deviceId: number) => {
    const r = await kget(app, `${P}/${deviceId}/machineupdate/false`, bearer);
    assert.equal(r.status, 200, r.text);
    return Object.fromEntries(
      (r.body.Result as { UpdateTitle: string; IsSuperseded: boolean }[]).map((p) => [
        p.UpdateTitle,
        p.IsSuperseded,
      ]),
    );
  };

  before(async () => {
    app = await startKaseyaApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
  });
  after(async () => app?.close());

  it('newer versions on the same release supersede; a newer version without that evidence does not', async () => {
    const sys = systemContext(h.store());
    assert.deepEqual(await superseded(w.deviceA2.id), {
      'liblzma5 5.4.1-1+deb12u2': false,
      'openssl 3.0.22-1~deb12u2': false,
      'tzdata 2026a-0+deb12u1': false,
    });
    // the vendor: DSA-9002-1 (tzdata 2026b) supersedes DSA-9001-1 (tzdata 2026a)
    await upsertCatalogBulletins(sys, [
      dsa('DSA-9001-1', '2026a-0+deb12u1', []),
      dsa('DSA-9002-1', '2026b-0+deb12u1', ['DSA-9001-1']),
    ]);
    // a new machine, which never had the older versions, reports newer tzdata and liblzma5
    const web3 = await admin.post('/api/v1/devices', {
      organizationId: w.orgA.id,
      groupId: w.subA.id,
      name: 'web-3',
      osFamily: 'linux',
    });
    assert.equal(web3.status, 201, JSON.stringify(web3.body));
    await ingestScan(sys, web3.body.id, {
      full: true,
      updates: [deb('tzdata', '2026b-0+deb12u1', 'all'), deb('liblzma5', '5.6.0-1')],
    });
    // web-1's package manager moves on: openssl has a newer version, liblzma5 one for another architecture
    await ingestScan(sys, w.deviceA.id, {
      full: true,
      updates: [
        deb('openssl', '3.0.23-1~deb12u1'),
        deb('liblzma5', '5.4.1-1+deb12u2'),
        deb('liblzma5', '5.4.5-1', 'i386'),
        deb('tzdata', '2026a-0+deb12u1', 'all'),
      ],
    });

    assert.deepEqual(
      await superseded(w.deviceA2.id),
      {
        'liblzma5 5.4.1-1+deb12u2': false,
        'openssl 3.0.22-1~deb12u2': true,
        'tzdata 2026a-0+deb12u1': true,
      },
      'openssl: web-1 had both versions; tzdata: the advisories; liblzma5: no evidence of one release',
    );
    assert.deepEqual(await superseded(w.deviceA.id), {
      'liblzma5 5.4.1-1+deb12u2': false,
      'liblzma5 5.4.5-1': false,
      'openssl 3.0.23-1~deb12u1': false,
      'tzdata 2026a-0+deb12u1': true,
    });
    // the same answer twice: the links are written once
    await ingestScan(sys, w.deviceA.id, {
      full: true,
      updates: [deb('openssl', '3.0.23-1~deb12u1'), deb('tzdata', '2026a-0+deb12u1', 'all')],
    });
    const rows = await h
      .store()
      .db.selectFrom('update_supersedence as s')
      .innerJoin('updates as o', 'o.id', 's.update_id')
      .innerJoin('updates as n', 'n.id', 's.superseded_by_id')
      .select(['o.natural_key as older', 'n.natural_key as newer'])
      .orderBy('o.natural_key')
      .execute();
    assert.deepEqual(rows, [
      { older: 'deb:openssl:3.0.22-1~deb12u2:amd64', newer: 'deb:openssl:3.0.23-1~deb12u1:amd64' },
      { older: 'deb:tzdata:2026a-0+deb12u1:all', newer: 'deb:tzdata:2026b-0+deb12u1:all' },
    ]);
  });

  it('the advisories’ chains are followed both ways from what a scan reports', async () => {
    const sys = systemContext(h.store());
    const device = async (name: string) => {
      const r = await admin.post('/api/v1/devices', {
        organizationId: w.orgA.id,
        groupId: w.subA.id,
        name,
        osFamily: 'linux',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as number;
    };
    // DSA-9003-1 supersedes DSA-9002-1, which superseded DSA-9001-1
    await upsertCatalogBulletins(sys, [dsa('DSA-9003-1', '2026c-0+deb12u1', ['DSA-9002-1'])]);
    // a newer tzdata (DSA-9003-1's): every earlier one is superseded by it, through the chain
    await ingestScan(sys, await device('web-4'), {
      full: true,
      updates: [deb('tzdata', '2026c-0+deb12u1', 'all')],
    });
    // an earlier one, first seen now (DSA-9001-1's): superseded by every later one
    await ingestScan(sys, await device('web-5'), {
      full: true,
      updates: [deb('tzdata', '2026a-0+deb12u1+b1', 'all')],
    });
    const rows = await h
      .store()
      .db.selectFrom('update_supersedence as s')
      .innerJoin('updates as o', 'o.id', 's.update_id')
      .innerJoin('updates as n', 'n.id', 's.superseded_by_id')
      .select(['o.version as older', 'n.version as newer'])
      .where('o.package_name', '=', 'tzdata')
      .orderBy('o.version')
      .orderBy('n.version')
      .execute();
    assert.deepEqual(
      rows.map((r) => `${r.older} < ${r.newer}`),
      [
        '2026a-0+deb12u1 < 2026b-0+deb12u1',
        '2026a-0+deb12u1 < 2026c-0+deb12u1',
        '2026a-0+deb12u1+b1 < 2026b-0+deb12u1',
        '2026a-0+deb12u1+b1 < 2026c-0+deb12u1',
        '2026b-0+deb12u1 < 2026c-0+deb12u1',
      ],
    );
  });

  it('a newer version that only another organization knows supersedes nothing for this one', async () => {
    const sys = systemContext(h.store());
    // db-1 (organization B) moves to a newer liblzma5: its organization alone learnt that update
    await ingestScan(sys, w.deviceB.id, {
      full: true,
      updates: [deb('liblzma5', '5.4.1-1+deb12u3'), deb('liblzma5', '5.4.1-1+deb12u2')],
    });
    const b = await kget(app, `${P}/${w.deviceB.id}/machineupdate/false`, bearer);
    assert.equal(
      (b.body.Result as { UpdateTitle: string; IsSuperseded: boolean }[]).find(
        (p) => p.UpdateTitle === 'liblzma5 5.4.1-1+deb12u2',
      )?.IsSuperseded,
      true,
      'in organization B, the newer version replaces it',
    );
    assert.equal(
      (await superseded(w.deviceA2.id))['liblzma5 5.4.1-1+deb12u2'],
      false,
      'organization A does not see the newer version',
    );
  });
});
