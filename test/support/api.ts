import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildServer } from '../../src/server.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import type { Store } from '../../src/store/db.ts';

export const ADMIN_PASSWORD = 'admin-password-1';

export async function startApp(store: Store, opts: { packageDir?: string } = {}): Promise<FastifyInstance> {
  await bootstrap(store, ADMIN_PASSWORD);
  const packageDir = opts.packageDir ?? join(tmpdir(), `patchline-packages-${process.pid}`);
  const app = await buildServer({
    config: { logLevel: 'silent', bodyLimit: 1024 * 1024, packageDir },
    store,
    logger: false,
  });
  await app.ready();
  return app;
}

export interface Res {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Record<string, unknown>;
}

/** a small client for the native API: call(method, path, body?) */
export function client(app: FastifyInstance, token?: string) {
  const call = async (
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Res> => {
    const r = await app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body === undefined
        ? {}
        : typeof body === 'string'
          ? {
              payload: body,
              headers: {
                'content-type': 'application/json',
                ...(token ? { authorization: `Bearer ${token}` } : {}),
                ...headers,
              },
            }
          : { payload: body as object }),
    });
    let parsed: unknown = r.body;
    try {
      parsed = r.body ? JSON.parse(r.body) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: r.statusCode, body: parsed, headers: r.headers };
  };
  return {
    call,
    get: (url: string) => call('GET', url),
    post: (url: string, body?: unknown) => call('POST', url, body ?? {}),
    patch: (url: string, body: unknown) => call('PATCH', url, body),
    del: (url: string) => call('DELETE', url),
  };
}
export type Client = ReturnType<typeof client>;

export async function signIn(app: FastifyInstance, username: string, password: string): Promise<Client> {
  const r = await client(app).post('/api/v1/auth/login', { username, password });
  if (r.status !== 200)
    throw new Error(`sign-in of ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return client(app, r.body.token);
}
