import { isAltirisClientFault } from '../faces/altiris/support.ts';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { routeTable, type RouteEntry } from '../../src/faces/shared/route-table.ts';
import type { Store } from '../../src/store/db.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, warmDocs } from '../../src/server.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { ADMIN_PASSWORD } from '../support/api.ts';
import { buildWorld } from '../support/world.ts';
import { hashedPayload } from '../faces/kaseya/support.ts';
import { faceOf, type AuthKind } from './faces.ts';
import { joinQuery, pathOf, routeName, type FuzzRequest } from './generators.ts';

// The fuzz's world and its runner, shared by test/fuzz/fuzz.suite.ts (a fixed seed, a few thousand
// requests) and scripts/fuzz.ts (`npm run fuzz -- --requests N --seed S`).
//
// The property, per request: the answer is not a 5xx; it comes within SLOW_MS (counted, not asserted in
// tests: no wall-clock assertions); and the next valid request still succeeds: a native list read with a
// credential the fuzz cannot reach, and an agent check-in of a device it cannot reach.
//
// The fuzz runs as its own users (an administrator, an operator scoped to one organization, a device),
// which its requests may legitimately revoke (log out, delete the key, disable the user, rotate the
// credential): after a request that changed something, the runner checks them and makes new ones. The
// sentinels that the check uses (the bootstrap administrator, its key, its role and scope; an
// organization with its group and device) are kept out of reach: a request that would change one of
// them names an id that does not exist instead.

export const SLOW_MS = 1000;

export interface Failure {
  readonly kind: '5xx' | 'check' | 'slow';
  readonly request: FuzzRequest;
  readonly status: number;
  readonly ms: number;
  readonly body: string;
  readonly check?: string;
}

export interface Stats {
  requests: number;
  /** every answer, the runner's own checks included */
  answers: number;
  status5xx: number;
  slow: number;
  checkFailures: number;
  /** times the fuzz's own credentials were made again after a request revoked them */
  reprovisioned: number;
  /** 503 answers of the console's "not built" page (web/dist is missing in this checkout) */
  consoleUnbuilt: number;
  maxMs: number;
  byStatus: Record<string, number>;
  byRoute: Record<string, number>;
  failures: Failure[];
}

type Ids = Record<string, number[]>;

interface Credentials {
  adminKey: string;
  adminSession: string;
  scoped: string;
  device: string;
  kaseyaAdmin: string;
  kaseyaScoped: string;
  /** HTTP Basic for the Altiris face: the user's name and an API key of theirs */
  altirisAdmin: string;
  altirisScoped: string;
  /** an API key of the scoped operator (GravityZone's credential is an API key) */
  scopedKey: string;
}

/** the address the runner's own sign-ins come from: the fuzz's failed sign-ins throttle 127.0.0.1 */
const PROVISION_ADDRESS = '203.0.113.7';

const json = (r: { body: string }) => {
  try {
    return JSON.parse(r.body) as Record<string, unknown> & {
      id: number;
      items: { id: number; name: string }[];
    };
  } catch {
    throw new Error(`not JSON: ${r.body.slice(0, 300)}`);
  }
};

/** the kind of record a path parameter names, for the sentinels' protection */
function paramKind(url: string, name: string): string | undefined {
  const byName: Record<string, string> = {
    orgId: 'organizations',
    machineGroupId: 'groups',
    agentId: 'devices',
    agentguid: 'devices',
    userId: 'users',
    roleId: 'roles',
  };
  if (byName[name]) return byName[name];
  const parts = url.split('/');
  const i = parts.indexOf(`:${name}`);
  return i > 0 ? parts[i - 1] : undefined;
}

/** the Kaseya face's answer for a VSA module Patchline does not provide (faces/kaseya/modules.ts): meant */
const isKaseyaModuleNotProvided = (status: number, body: string) =>
  status === 501 && /"Error":"the VSA module '[^']+' is not provided by Patchline"/.test(body);

/** one arbitrary per route of the table, through the face that owns it */
export function routeArbitraries(app: FastifyInstance, protectedIds: Ids): fc.Arbitrary<FuzzRequest>[] {
  return routeTable(app).map((route) => {
    const face = faceOf(route);
    if (!face)
      throw new Error(`no fuzz face owns ${routeName(route)}: register its face in test/fuzz/faces.ts`);
    return fc
      .tuple(pathOf(route), face.query(route), face.body(route), face.auth(route))
      .map(([path, query, body, auth]): FuzzRequest => {
        const safePath = route.method === 'GET' ? path : shielded(route, path, protectedIds);
        return {
          method: route.method,
          url: safePath + joinQuery(query),
          route: routeName(route),
          auth,
          headers: body.contentType ? { 'content-type': body.contentType } : {},
          ...(body.payload === undefined ? {} : { payload: body.payload }),
        };
      });
  });
}

/** a path whose ids of protected records are replaced by an id that does not exist */
function shielded(route: RouteEntry, path: string, protectedIds: Ids): string {
  const tpl = route.url.split('/');
  const segs = path.split('/');
  if (tpl.length !== segs.length) return path;
  return tpl
    .map((t, i) => {
      const s = segs[i] as string;
      if (!t.startsWith(':')) return s;
      const kind = paramKind(route.url, t.slice(1));
      const ids = kind ? protectedIds[kind] : undefined;
      return ids && /^\d+$/.test(s) && ids.includes(Number(s)) ? '987654321' : s;
    })
    .join('/');
}

/** every route, equally likely */
export const requestArbitrary = (app: FastifyInstance, protectedIds: Ids): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(...routeArbitraries(app, protectedIds));

/** the last error a request raised (the runner sends one request at a time) */
let lastError: Error | undefined;

/** a server as test/support/api.ts starts it, which also keeps the error behind a 5xx for the report */
export async function startFuzzApp(store: Store): Promise<FastifyInstance> {
  await bootstrap(store, ADMIN_PASSWORD);
  const app = await buildServer({
    config: {
      logLevel: 'silent',
      bodyLimit: 1024 * 1024,
      packageDir: join(tmpdir(), `patchline-fuzz-${process.pid}`),
    },
    store,
    logger: false,
  });
  app.addHook('onError', async (_req, _reply, err) => {
    lastError = err;
  });
  await app.ready();
  await warmDocs(app); // as `patchline serve` does before it listens
  return app;
}

export class Fuzzer {
  readonly stats: Stats = {
    requests: 0,
    answers: 0,
    status5xx: 0,
    slow: 0,
    checkFailures: 0,
    reprovisioned: 0,
    consoleUnbuilt: 0,
    maxMs: 0,
    byStatus: {},
    byRoute: {},
    failures: [],
  };
  /** ids the fuzz must not change (kind → ids), known after setup */
  readonly protectedIds: Ids = {};
  private creds!: Credentials;
  private rootKey = '';
  private sentinelDevice = '';
  private orgA = 0;
  private allScope = 0;
  private round = 0;

  constructor(
    readonly app: FastifyInstance,
    readonly store: Store,
    /** at most this many failures are kept with their details */
    readonly keepFailures = 50,
  ) {}

  /** a request as the runner itself sends it (its answers are counted and timed too) */
  private async send(opts: InjectOptions, request?: FuzzRequest) {
    lastError = undefined;
    const t0 = performance.now();
    const r = await this.app.inject(opts);
    const ms = performance.now() - t0;
    this.stats.answers++;
    this.stats.maxMs = Math.max(this.stats.maxMs, ms);
    const req: FuzzRequest = request ?? {
      method: String(opts.method),
      url: String(opts.url),
      route: `(runner) ${String(opts.method)} ${String(opts.url)}`,
      auth: 'runner',
      headers: {},
    };
    // the console's page for a checkout whose console was never built (npm run build:web): the state of
    // the deployment, whatever the request; counted apart (test/console/routes.test.ts covers it)
    if (consoleUnbuilt(r.statusCode, r.body)) this.stats.consoleUnbuilt++;
    else if (
      r.statusCode >= 500 &&
      !isAltirisClientFault(String(opts.url), r.statusCode, r.body) &&
      !isKaseyaModuleNotProvided(r.statusCode, r.body)
    ) {
      this.stats.status5xx++;
      const stack =
        (lastError as Error | undefined)?.stack ?? '(no error was raised: the handler answered 5xx itself)';
      this.fail({
        kind: '5xx',
        request: req,
        status: r.statusCode,
        ms,
        body: `${r.body.slice(0, 1000)}\n${stack}`,
      });
    }
    if (ms >= SLOW_MS) {
      this.stats.slow++;
      this.fail({ kind: 'slow', request: req, status: r.statusCode, ms, body: r.body.slice(0, 200) });
    }
    return { status: r.statusCode, body: r.body, ms, error: (lastError as Error | undefined)?.stack };
  }

  private fail(f: Failure) {
    if (this.stats.failures.length < this.keepFailures) this.stats.failures.push(f);
  }

  private call(
    method: InjectOptions['method'],
    url: string,
    token?: string,
    body?: unknown,
    remoteAddress?: string,
  ) {
    return this.send({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      ...(remoteAddress ? { remoteAddress } : {}),
    });
  }

  private async must(
    method: InjectOptions['method'],
    url: string,
    token: string | undefined,
    body?: unknown,
    expect = [200, 201],
  ) {
    const r = await this.call(method, url, token, body, PROVISION_ADDRESS);
    if (!expect.includes(r.status))
      throw new Error(`fuzz setup: ${String(method)} ${url} answered ${r.status}: ${r.body.slice(0, 500)}`);
    return r.body ? json(r) : ({} as ReturnType<typeof json>);
  }

  private async login(username: string, password: string) {
    return (await this.must('POST', '/api/v1/auth/login', undefined, { username, password })).token as string;
  }

  private async kaseyaLogin(username: string, password: string) {
    const r = await this.send({
      method: 'GET',
      url: '/api/v1.0/auth',
      headers: { authorization: `Basic ${hashedPayload(username, password)}` },
      remoteAddress: PROVISION_ADDRESS,
    });
    if (r.status !== 200)
      throw new Error(`fuzz setup: Kaseya sign-in of ${username}: ${r.status} ${r.body.slice(0, 300)}`);
    return (json(r).Result as { Token: string }).Token;
  }

  /** builds the world: sentinels, two organizations with devices and updates, the fuzz's credentials */
  async setup() {
    const adminSession = await this.login('admin', ADMIN_PASSWORD);
    const me = await this.must('GET', '/api/v1/me', adminSession);
    const meUser = me as unknown as { userId: number; scopeId: number };
    this.allScope = meUser.scopeId;
    const rootKey = await this.must('POST', '/api/v1/api-keys', adminSession, { name: 'fuzz-root' });
    this.rootKey = rootKey.key as string;
    const roles = (await this.must('GET', '/api/v1/roles?limit=100', this.rootKey)).items;
    const roleId = (name: string) => (roles.find((r) => r.name === name) as { id: number }).id;
    // the check's sentinels: a device in an organization of its own
    const org = await this.must('POST', '/api/v1/organizations', this.rootKey, {
      name: 'Sentinel',
      ref: 'sentinel',
    });
    const group = await this.must('POST', '/api/v1/groups', this.rootKey, {
      organizationId: org.id,
      name: 'Sentinels',
    });
    const token = await this.must('POST', `/api/v1/organizations/${org.id}/install-tokens`, this.rootKey, {
      name: 'sentinel',
      groupId: group.id,
    });
    const device = await this.must('POST', '/agent/v1/enroll', undefined, {
      token: token.token,
      name: 'sentinel',
      osFamily: 'linux',
    });
    this.sentinelDevice = device.credential as string;
    Object.assign(this.protectedIds, {
      users: [meUser.userId],
      'api-keys': [rootKey.id],
      roles: [roleId('Administrator'), roleId('Operator')],
      scopes: meUser.scopeId ? [meUser.scopeId] : [],
      organizations: [org.id],
      groups: [group.id],
      devices: [device.deviceId as number],
    });
    // the fuzz's material: two organizations with groups, devices and missing updates
    const rootClient = {
      post: async (url: string, body?: unknown) => {
        const r = await this.call('POST', url, this.rootKey, body ?? {});
        return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined, headers: {} };
      },
      get: async (url: string) => {
        const r = await this.call('GET', url, this.rootKey);
        return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined, headers: {} };
      },
    };
    const world = await buildWorld(rootClient as unknown as Parameters<typeof buildWorld>[0], this.store, '');
    this.orgA = world.orgA.id;
    await this.must('POST', '/api/v1/policies', this.rootKey, {
      organizationId: world.orgA.id,
      name: 'Fuzz policy',
      rule: { kind: 'all' },
      targets: { groups: [world.groupA.id] },
    });
    this.creds = {
      adminKey: '',
      adminSession: '',
      scoped: '',
      device: '',
      kaseyaAdmin: '',
      kaseyaScoped: '',
      altirisAdmin: '',
      altirisScoped: '',
      scopedKey: '',
    };
    await this.provisionAdmin();
    await this.provisionScoped();
    await this.provisionDevice();
    const broken = await this.check();
    if (broken) throw new Error(`fuzz setup: the check fails before any fuzz request: ${broken}`);
  }

  private async provisionAdmin() {
    const n = ++this.round;
    const username = `fuzz-admin-${n}`;
    const password = `fuzz-admin-${n}-password`;
    const roles = (await this.must('GET', '/api/v1/roles?limit=100', this.rootKey)).items;
    const role = roles.find((r) => r.name === 'Administrator') as { id: number };
    await this.must('POST', '/api/v1/users', this.rootKey, {
      username,
      password,
      roleId: role.id,
      scopeId: this.allScope,
    });
    this.creds.adminSession = await this.login(username, password);
    this.creds.adminKey = (
      await this.must('POST', '/api/v1/api-keys', this.creds.adminSession, { name: `fuzz-${n}` })
    ).key as string;
    this.creds.kaseyaAdmin = await this.kaseyaLogin(username, password);
    this.creds.altirisAdmin = `Basic ${Buffer.from(`${username}:${this.creds.adminKey}`).toString('base64')}`;
  }

  private async provisionScoped() {
    const n = ++this.round;
    const username = `fuzz-operator-${n}`;
    const password = `fuzz-operator-${n}-password`;
    const roles = (await this.must('GET', '/api/v1/roles?limit=100', this.rootKey)).items;
    const role = roles.find((r) => r.name === 'Operator') as { id: number };
    const scope = await this.must('POST', '/api/v1/scopes', this.rootKey, {
      name: `fuzz-scope-${n}`,
      entries: [{ organizationId: this.orgA, groupId: null }],
    });
    await this.must('POST', '/api/v1/users', this.rootKey, {
      username,
      password,
      roleId: role.id,
      scopeId: scope.id,
    });
    this.creds.scoped = await this.login(username, password);
    this.creds.kaseyaScoped = await this.kaseyaLogin(username, password);
    this.creds.scopedKey = (
      await this.must('POST', '/api/v1/api-keys', this.creds.scoped, { name: `fuzz-operator-${n}` })
    ).key as string;
    this.creds.altirisScoped = `Basic ${Buffer.from(`${username}:${this.creds.scopedKey}`).toString('base64')}`;
  }

  private async provisionDevice() {
    const n = ++this.round;
    const token = await this.must('POST', `/api/v1/organizations/${this.orgA}/install-tokens`, this.rootKey, {
      name: `fuzz-${n}`,
    });
    const device = await this.must('POST', '/agent/v1/enroll', undefined, {
      token: token.token,
      name: `fuzz-device-${n}`,
      osFamily: 'linux',
    });
    this.creds.device = device.credential as string;
  }

  /** after a request that changed something: the fuzz's credentials still work, or are made again */
  private async keepCredentials() {
    const ok = async (method: InjectOptions['method'], url: string, token: string, body?: unknown) =>
      (await this.call(method, url, token, body)).status === 200;
    try {
      if (
        !(await ok('GET', '/api/v1/me', this.creds.adminKey)) ||
        !(await ok('GET', '/api/v1/me', this.creds.adminSession)) ||
        !(await ok('GET', '/api/v1.0/echoauth', this.creds.kaseyaAdmin))
      ) {
        this.stats.reprovisioned++;
        await this.provisionAdmin();
      }
      if (
        !(await ok('GET', '/api/v1/me', this.creds.scoped)) ||
        !(await ok('GET', '/api/v1/me', this.creds.scopedKey)) ||
        !(await ok('GET', '/api/v1.0/echoauth', this.creds.kaseyaScoped))
      ) {
        this.stats.reprovisioned++;
        await this.provisionScoped();
      }
      if (!(await ok('POST', '/agent/v1/checkin', this.creds.device, {}))) {
        this.stats.reprovisioned++;
        await this.provisionDevice();
      }
    } catch (e) {
      // the sentinels are out of the fuzz's reach, so this is a finding, not noise
      this.stats.checkFailures++;
      this.fail({
        kind: 'check',
        request: { method: '-', url: '-', route: '(re-provisioning)', auth: '-', headers: {} },
        status: 0,
        ms: 0,
        body: (e as Error).message,
      });
    }
  }

  /** the next valid requests: a native list read and an agent check-in, by the sentinels */
  async check(): Promise<string | undefined> {
    const list = await this.call('GET', '/api/v1/organizations?limit=1', this.rootKey);
    if (list.status !== 200)
      return `GET /api/v1/organizations answered ${list.status}: ${list.body.slice(0, 300)}`;
    const checkin = await this.call('POST', '/agent/v1/checkin', this.sentinelDevice, {});
    if (checkin.status !== 200)
      return `POST /agent/v1/checkin answered ${checkin.status}: ${checkin.body.slice(0, 300)}`;
    return undefined;
  }

  private authorization(auth: AuthKind | string): string | undefined {
    if (auth.startsWith('raw:')) return auth.slice(4);
    // GravityZone: Basic base64(apiKey + ":")
    const basicKey = { 'gz-admin': this.creds.adminKey, 'gz-scoped': this.creds.scopedKey }[auth];
    if (basicKey) return `Basic ${Buffer.from(`${basicKey}:`).toString('base64')}`;
    if (auth === 'altiris-admin') return this.creds.altirisAdmin;
    if (auth === 'altiris-scoped') return this.creds.altirisScoped;
    const token = {
      'admin-key': this.creds.adminKey,
      'admin-session': this.creds.adminSession,
      scoped: this.creds.scoped,
      device: this.creds.device,
      'kaseya-admin': this.creds.kaseyaAdmin,
      'kaseya-scoped': this.creds.kaseyaScoped,
    }[auth];
    return token ? `Bearer ${token}` : undefined;
  }

  /**
   * Sends one fuzz request and checks the property; returns what failed (undefined: it held). Slow
   * answers are counted in the stats, not returned: the caller decides whether they fail.
   */
  async run(req: FuzzRequest): Promise<string | undefined> {
    this.stats.requests++;
    this.stats.byRoute[req.route] = (this.stats.byRoute[req.route] ?? 0) + 1;
    const authorization = this.authorization(req.auth);
    const r = await this.send(
      {
        method: req.method as InjectOptions['method'],
        url: req.url,
        headers: { ...req.headers, ...(authorization ? { authorization } : {}) },
        ...(req.payload === undefined ? {} : { payload: req.payload }),
      },
      req,
    );
    const bucket = `${Math.floor(r.status / 100)}xx`;
    this.stats.byStatus[bucket] = (this.stats.byStatus[bucket] ?? 0) + 1;
    if (r.status < 400 && req.method !== 'GET') await this.keepCredentials();
    const broken = await this.check();
    if (broken) {
      this.stats.checkFailures++;
      this.fail({
        kind: 'check',
        request: req,
        status: r.status,
        ms: r.ms,
        body: r.body.slice(0, 500),
        check: broken,
      });
    }
    if (
      r.status >= 500 &&
      !consoleUnbuilt(r.status, r.body) &&
      !isAltirisClientFault(req.url, r.status, r.body) &&
      !isKaseyaModuleNotProvided(r.status, r.body)
    )
      return `${req.method} ${req.url} answered ${r.status}: ${r.body.slice(0, 500)}\n${r.error ?? ''}`;
    return broken ? `after ${req.method} ${req.url} (${r.status}): ${broken}` : undefined;
  }
}

/** the console's page for a checkout whose console was never built: the deployment's state, not a fault */
const consoleUnbuilt = (status: number, body: string) =>
  status === 503 && body.includes('<title>Patchline: console not built</title>');

/** a failure, for a report: the route, what was sent, and what came back */
export function describeFailure(f: Failure): string {
  const r = f.request;
  const payload =
    r.payload === undefined ? '' : `\n  body (${r.payload.length} chars): ${r.payload.slice(0, 400)}`;
  return (
    `[${f.kind}] ${r.route}\n  ${r.method} ${r.url.slice(0, 400)}\n  auth: ${r.auth.slice(0, 80)} headers: ${JSON.stringify(r.headers)}` +
    `${payload}\n  → ${f.status} in ${f.ms.toFixed(0)} ms: ${f.body.slice(0, 4000)}${f.check ? `\n  check: ${f.check}` : ''}`
  );
}
