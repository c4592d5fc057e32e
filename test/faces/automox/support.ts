import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { authenticate } from '../../../src/services/auth.ts';
import { Context } from '../../../src/services/context.ts';
import { createApiKey } from '../../../src/services/identity.ts';
import type { Store } from '../../../src/store/db.ts';

export interface AutomoxRes {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/** an Automox client over inject: Bearer API key, JSON bodies */
export function automox(app: FastifyInstance, key?: string) {
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const r = await app.inject({
      method,
      url,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: unknown;
    try {
      parsed = r.body ? JSON.parse(r.body) : undefined;
    } catch {
      parsed = r.body;
    }
    return { status: r.statusCode, body: parsed, text: r.body } as AutomoxRes;
  };
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, body: unknown) => call('POST', url, body),
    put: (url: string, body: unknown) => call('PUT', url, body),
    del: (url: string) => call('DELETE', url),
  };
}
export type Automox = ReturnType<typeof automox>;

/** a user's own API key, made through the identity service */
export async function keyOf(app: FastifyInstance, store: Store, username: string, password: string) {
  const r = await client(app).post('/api/v1/auth/login', { username, password });
  if (r.status !== 200) throw new Error(`sign-in of ${username}: ${r.status}`);
  const ctx = new Context(store, await authenticate(store, r.body.token));
  return (await createApiKey(ctx, { name: `${username}-automox` })).key;
}

export interface AutomoxSetup {
  app: FastifyInstance;
  admin: Client;
  world: World;
  /** the global administrator's key, and a key of an operator scoped to organization A */
  ax: Automox;
  axA: Automox;
}

export async function setupAutomox(store: Store): Promise<AutomoxSetup> {
  const app = await startApp(store);
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const world = await buildWorld(admin, store);
  const adminKey = await keyOf(app, store, 'admin', ADMIN_PASSWORD);
  const op = await scopedUser(admin, 'ax-operator-a', world.orgA.id, 'Administrator');
  const opKey = await keyOf(app, store, 'ax-operator-a', op.password);
  return { app, admin, world, ax: automox(app, adminKey), axA: automox(app, opKey) };
}

/** the seed's example body ("Example JSON Patch Policy Object Body"), for an organization and groups */
export function seedBody(organizationId: number, serverGroups: number[]) {
  return {
    name: 'Modified Name',
    policy_type_name: 'patch',
    organization_id: organizationId,
    configuration: {
      auto_patch: false,
      auto_reboot: true,
      notify_reboot_user: true,
      notify_user: true,
      missed_patch_window: true,
      patch_rule: 'advanced',
      filters: ['*KB2267602*', '*Exclude This Too*'],
      severity_filter: ['low', 'medium', 'high', 'critical', 'none', 'unknown'],
      include_optional: false,
      custom_notification_patch_message:
        'MODIFIED Notification Text before normal patch - Windows - Max 125 Char',
      custom_notification_reboot_message: 'Notification Text before reboot patch - Windows - Max 125 Char',
      custom_notification_patch_message_mac: 'Notification Text before normal patch - Mac - Max 70 Char',
      custom_notification_reboot_message_mac: 'Notification Text before reboot patch - Mac - Max 70 Char',
      custom_notification_max_delays: 3,
      custom_notification_deferment_periods: [1, 4, 8],
      advanced_filter: [
        { left: 'patch-source', right: 'windowsupdate', condition: 'is' },
        { left: 'severity', right: 'medium', condition: 'greater-than-or-equal-to' },
      ],
    },
    schedule_days: 146,
    schedule_weeks_of_month: 42,
    schedule_months: 4162,
    schedule_time: '01:00',
    notes: 'Patch every Mon,Thu,Fri\n1st,3rd,5th Week\nJan,Jun,Dec',
    create_time: '2019-09-20T21:16:34+0000',
    server_groups: serverGroups,
  };
}
