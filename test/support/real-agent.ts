// A REAL agent process on Linux against a real server, for end-to-end tests of what agents run: the
// server in-process on a loopback port (PGlite), the agent's own entry (src/agent/main.ts) enrolled with
// the apt backend on an isolated, empty apt root and a private state folder, and a private folder for
// what the test's scripts write. Each round is one `patchline-agent run --once`: check in, run the jobs,
// deliver the results. Shared by test/agent/e2e-scripts.test.ts and e2e-procedures.test.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { createAptRoot } from '../../src/agent/backends/apt-root.ts';
import type { Store } from '../../src/store/db.ts';
import { aptSkip, missingTools } from '../agent/apt-support.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from './api.ts';
import { freshStore } from './store.ts';

/** why the real agent cannot run here (not Linux, apt tools missing), or undefined */
export const realAgentSkip = async (): Promise<string | false> =>
  process.platform !== 'linux'
    ? 'SKIPPED: the real agent script test runs on Linux'
    : aptSkip(await missingTools());

export const agentRun = async (args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/agent/main.ts', ...args], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

export interface RealAgentWorld {
  work: string;
  store: Store;
  app: FastifyInstance;
  admin: Client;
  orgId: number;
  deviceId: number;
  /** the agent's config file */
  config: string;
  /** a private folder the test's scripts may write to */
  scripts: string;
  /** one round of the real agent: check in, run the jobs, deliver; its stdout */
  round(): Promise<string>;
  close(): Promise<void>;
}

/** a server, an organization and one real Linux agent enrolled in it (named `name`) */
export async function startRealAgentWorld(
  prefix: string,
  orgName: string,
  name = 'linux-1',
): Promise<RealAgentWorld> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  const scripts = join(work, 'scripts');
  await mkdir(scripts);
  await createAptRoot(join(work, 'root'), []);
  const s = await freshStore('pglite');
  const app = await startApp(s.store);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const orgId = (await admin.post('/api/v1/organizations', { name: orgName })).body.id as number;
  const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, {})).body.token;
  const config = join(work, 'agent.json');
  const e = await agentRun([
    'enroll',
    '--server',
    server,
    '--token',
    token,
    '--name',
    name,
    '--backend',
    'apt',
    '--apt-root',
    join(work, 'root'),
    '--state-dir',
    join(work, 'state'),
    '--config',
    config,
  ]);
  assert.equal(e.code, 0, e.stderr);
  const deviceId = JSON.parse(await readFile(config, 'utf8')).deviceId as number;
  return {
    work,
    store: s.store,
    app,
    admin,
    orgId,
    deviceId,
    config,
    scripts,
    async round() {
      const r = await agentRun(['run', '--once', '--config', config]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
    async close() {
      await app.close();
      await s.cleanup();
      await rm(work, { recursive: true, force: true });
    },
  };
}
