import { HANG_GUARD_MS } from '../../support/hang-guard.ts';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import { startEngine, type Engine } from '../../../src/engine/engine.ts';
import { upsertCatalogBulletins } from '../../../src/services/catalog.ts';
import { systemContext } from '../../../src/services/context.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../../support/api.ts';
import type { DriverHandle } from '../../support/store.ts';

// The harness of the Altiris acceptance tests: a listening server with its task engine, an organization
// with group "Pilot" into which simulated Debian agents enrolled, and a local file server for the
// packages the catalog describes. It uses Patchline itself (native API, agents, services); the clients
// under test use PatchWorkflowSvc alone.

export interface SimAgent {
  agent: Agent;
  backend: SimulatedBackend;
  deviceId: number;
}

export interface AltirisWorld {
  app(): FastifyInstance;
  base(): string;
  orgId(): number;
  groupId(): number;
  agents: SimAgent[];
  /** each agent checks in until it has run a job of this kind handed out after `sinceJob` */
  agentsRun(kind: 'scan' | 'install', sinceJob: number): Promise<void>;
  lastJob(): Promise<number>;
  /**
   * The catalog learns an advisory per update agent 0 misses (two of them), with one CVE each, and
   * where to download each update's package (an import of vendor data would bring both).
   */
  advisories(
    cves: readonly string[],
    tag: string,
  ): Promise<{ id: number; name: string; package_name: string | null }[]>;
  /**
   * A later advisory `id` of the vendor supersedes `supersedes`, for another package agent 0 misses (whose
   * update it is given, as the matcher links a package's update); returns that update's id.
   */
  laterAdvisory(supersedes: string, id: string): Promise<number>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * `os` 'windows': the agents are simulated Windows machines, whose updates carry KB numbers; the vendor's
 * advisories name those KBs (as MSRC's do) and the catalog's matcher links them, with no help.
 */
export function altirisWorld(
  h: DriverHandle,
  agentCount = 2,
  seed = 300,
  os: 'debian' | 'windows' = 'debian',
): AltirisWorld {
  const windows = os === 'windows';
  let app: FastifyInstance;
  let engine: Engine;
  let files: Server;
  let packageDir = '';
  let base = '';
  let orgId = 0;
  let groupId = 0;
  const agents: SimAgent[] = [];

  before(async () => {
    const store = h.store();
    packageDir = mkdtempSync(join(tmpdir(), 'patchline-altiris-'));
    app = await startApp(store, { packageDir });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    orgId = (await admin.post('/api/v1/organizations', { name: 'Notification', ref: 'ns' })).body.id;
    groupId = (await admin.post('/api/v1/groups', { organizationId: orgId, name: 'Pilot' })).body.id;
    const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { groupId })).body
      .token as string;
    const now = Date.now();
    for (let i = 0; i < agentCount; i++) {
      const client = new ProtocolClient({ server: base, timeoutMs: 10_000 });
      const e = await client.enroll({
        token,
        name: `ns-${i}`,
        osFamily: windows ? 'windows' : 'linux',
        osName: windows ? 'Windows 11 Pro' : 'Debian 12',
      });
      client.credential = e.credential;
      const backend = new SimulatedBackend({
        seed: seed + i,
        os: windows ? { family: 'windows', version: '11-24H2' } : { family: 'debian', version: '12' },
        failureRate: 0,
        clock: () => now,
      });
      agents.push({
        agent: new Agent({ client, backend, storage: new MemoryStorage() }),
        backend,
        deviceId: e.deviceId,
      });
    }
    files = createServer((req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/octet-stream' })
        .end(Buffer.from(`package file ${req.url}\n`));
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    engine = startEngine({ store, owner: 'altiris-world', pollMs: 20 });
  });
  after(async () => {
    await engine?.stop();
    await app?.close();
    files?.close();
    if (packageDir) rmSync(packageDir, { recursive: true, force: true });
  });

  const db = () => h.store().db;
  return {
    app: () => app,
    base: () => base,
    orgId: () => orgId,
    groupId: () => groupId,
    agents,
    async agentsRun(kind, sinceJob) {
      const deadline = Date.now() + HANG_GUARD_MS; // a hang guard, not a budget (test/support/hang-guard.ts)
      for (const a of agents) {
        for (;;) {
          const job = await db()
            .selectFrom('jobs')
            .select(['id', 'status'])
            .where('device_id', '=', a.deviceId)
            .where('kind', '=', kind)
            .where('id', '>', sinceJob)
            .orderBy('id', 'desc')
            .executeTakeFirst();
          if (job && job.status !== 'pending' && job.status !== 'delivered') break;
          if (job) await a.agent.cycle();
          else await new Promise((r) => setTimeout(r, 20));
          assert.ok(Date.now() < deadline, `agent ${a.deviceId} never finished a ${kind} job`);
        }
      }
    },
    async lastJob() {
      return (
        (
          await db()
            .selectFrom('jobs')
            .select((eb) => eb.fn.max('id').as('id'))
            .executeTakeFirst()
        )?.id ?? 0
      );
    },
    async advisories(cves, tag) {
      const missing = await db()
        .selectFrom('device_updates as du')
        .innerJoin('updates as u', 'u.id', 'du.update_id')
        .select(['u.id', 'u.name', 'u.package_name', 'u.version', 'u.kb'])
        .where('du.device_id', '=', agents[0]!.deviceId)
        .where('du.status', '=', 'missing')
        .where('u.kind', '=', 'simulated')
        .where('u.kb', windows ? 'is not' : 'is', null)
        .orderBy('u.id')
        .limit(cves.length)
        .execute();
      assert.equal(missing.length, cves.length, `agent 0 misses ${cves.length} packages`);
      const ids = missing.map((_, i) => (windows ? `msrc_${cves[i]}` : `DSA-${tag}${i}-1`));
      await upsertCatalogBulletins(
        systemContext(h.store()),
        missing.map((u, i) => ({
          source: windows ? ('csaf' as const) : ('osv' as const),
          id: ids[i]!,
          vendor: windows ? 'Microsoft' : 'Debian',
          title: `${u.package_name ?? u.name} security update`,
          severity: 'high' as const,
          published: '2031-01-01T00:00:00.000Z',
          cves: [cves[i]!],
          aliases: [],
          supersedes: [],
          references: [],
          // MSRC's advisories name the KB of each fix: the catalog links the update by it
          packages: windows
            ? [
                {
                  ecosystem: 'Microsoft',
                  name: 'Windows 11 Version 24H2',
                  status: 'affected' as const,
                  kbs: [u.kb!],
                },
              ]
            : [],
          cveDetails: [],
        })),
      );
      const port = (files.address() as AddressInfo).port;
      for (const [i, u] of missing.entries()) {
        const b = await db()
          .selectFrom('bulletins')
          .select('id')
          .where('external_id', '=', ids[i]!)
          .executeTakeFirstOrThrow();
        if (windows) {
          const linked = await db()
            .selectFrom('updates')
            .select('bulletin_id')
            .where('id', '=', u.id)
            .executeTakeFirst();
          assert.equal(linked?.bulletin_id, b.id, `the catalog linked ${u.kb} to ${ids[i]} by its KB`);
        }
        // a Debian package of the simulated machine has no advisory entry the matcher reads (its kind is
        // 'simulated', its advisory lists no package): the harness links it, as the matcher does for debs
        const path = windows ? `/pool/${u.kb}.msu` : `/pool/${u.package_name}_${u.version}.deb`;
        const body = Buffer.from(`package file ${path}\n`);
        await db()
          .updateTable('updates')
          .set({
            ...(windows ? {} : { bulletin_id: b.id }),
            source_url: `http://127.0.0.1:${port}${path}`,
            sha256: sha(body),
            size_bytes: body.length,
          })
          .where('id', '=', u.id)
          .execute();
      }
      return missing;
    },
    async laterAdvisory(supersedes, id) {
      const u = await db()
        .selectFrom('device_updates as du')
        .innerJoin('updates as u', 'u.id', 'du.update_id')
        .select(['u.id', 'u.package_name'])
        .where('du.device_id', '=', agents[0]!.deviceId)
        .where('du.status', '=', 'missing')
        .where('u.bulletin_id', 'is', null)
        .orderBy('u.id')
        .executeTakeFirstOrThrow();
      await upsertCatalogBulletins(systemContext(h.store()), [
        {
          source: 'osv' as const,
          id,
          vendor: windows ? 'Microsoft' : 'Debian',
          title: `${u.package_name} security update`,
          severity: 'high' as const,
          published: '2031-02-01T00:00:00.000Z',
          cves: [],
          aliases: [],
          supersedes: [supersedes],
          references: [],
          packages: [],
          cveDetails: [],
        },
      ]);
      const b = await db()
        .selectFrom('bulletins')
        .select('id')
        .where('external_id', '=', id)
        .executeTakeFirstOrThrow();
      await db().updateTable('updates').set({ bulletin_id: b.id }).where('id', '=', u.id).execute();
      return u.id;
    },
  };
}

export { ADMIN_PASSWORD };
