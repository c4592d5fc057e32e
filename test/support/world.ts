import assert from 'node:assert/strict';
import type { Store } from '../../src/store/db.ts';
import { systemContext } from '../../src/services/context.ts';
import { ingestScan } from '../../src/services/scans.ts';
import type { Client } from './api.ts';

/** Two organizations with groups, devices and missing updates, built through the native API. */
export async function buildWorld(admin: Client, store: Store, tag = '') {
  const mk = async (path: string, body: unknown) => {
    const r = await admin.post(path, body);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const orgA = await mk('/api/v1/organizations', { name: `Alpha${tag}`, ref: `alpha${tag}` });
  const orgB = await mk('/api/v1/organizations', { name: `Bravo${tag}`, ref: `bravo${tag}` });
  const groupA = await mk('/api/v1/groups', { organizationId: orgA.id, name: 'Servers' });
  const subA = await mk('/api/v1/groups', { organizationId: orgA.id, parentId: groupA.id, name: 'Web' });
  const groupB = await mk('/api/v1/groups', { organizationId: orgB.id, name: 'Servers' });
  const deviceA = await mk('/api/v1/devices', {
    organizationId: orgA.id,
    groupId: subA.id,
    name: 'web-1',
    osFamily: 'linux',
  });
  const deviceA2 = await mk('/api/v1/devices', {
    organizationId: orgA.id,
    groupId: subA.id,
    name: 'web-2',
    osFamily: 'linux',
  });
  const deviceB = await mk('/api/v1/devices', {
    organizationId: orgB.id,
    groupId: groupB.id,
    name: 'db-1',
    osFamily: 'linux',
  });
  const sys = systemContext(store, 'test-agent');
  const report = {
    full: true,
    updates: [
      {
        kind: 'deb' as const,
        name: 'openssl',
        version: '3.0.22-1~deb12u2',
        architecture: 'amd64',
        isSecurity: true,
        severity: 'high',
        cves: ['CVE-2026-0001'],
        detection: 'missing' as const,
        installedVersion: '3.0.21-1~deb12u1',
      },
      {
        kind: 'deb' as const,
        name: 'liblzma5',
        version: '5.4.1-1+deb12u2',
        architecture: 'amd64',
        isSecurity: true,
        severity: 'critical',
        cves: ['CVE-2024-3094'],
        detection: 'missing' as const,
      },
      {
        kind: 'deb' as const,
        name: 'tzdata',
        version: '2026a-0+deb12u1',
        architecture: 'all',
        severity: 'low',
        detection: 'missing' as const,
      },
    ],
  };
  for (const d of [deviceA, deviceA2, deviceB]) await ingestScan(sys, d.id, report);
  const updates = await admin.get(`/api/v1/devices/${deviceA.id}/updates?sort=name`);
  assert.equal(updates.status, 200);
  const byName = Object.fromEntries(
    updates.body.items.map((u: { name: string; updateId: number }) => [u.name, u.updateId]),
  ) as { openssl: number; liblzma5: number; tzdata: number };
  return { orgA, orgB, groupA, subA, groupB, deviceA, deviceA2, deviceB, updates: byName };
}
export type World = Awaited<ReturnType<typeof buildWorld>>;

/** creates a scope over one organization and a user with a role in it, and signs them in */
export async function scopedUser(
  admin: Client,
  name: string,
  organizationId: number,
  roleName = 'Operator',
  groupId: number | null = null,
) {
  const roles = await admin.get('/api/v1/roles?limit=100');
  const role = roles.body.items.find((r: { name: string }) => r.name === roleName);
  const scope = await admin.post('/api/v1/scopes', {
    name: `${name}-scope`,
    entries: [{ organizationId, groupId }],
  });
  assert.equal(scope.status, 201, JSON.stringify(scope.body));
  const user = await admin.post('/api/v1/users', {
    username: name,
    password: `${name}-password`,
    roleId: role.id,
    scopeId: scope.body.id,
  });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  return { user: user.body, scope: scope.body, password: `${name}-password` };
}
