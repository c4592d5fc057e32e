import { BUILTIN_ROLES } from '../core/privileges.ts';
import type { Store } from '../store/db.ts';
import * as repo from '../store/repos/identity-repo.ts';
import { systemContext } from './context.ts';
import { record } from './events.ts';
import { kaseyaVerifier } from './identity.ts';
import { hashPassword, randomPassword } from './secrets.ts';

export const ALL_SCOPE_NAME = 'All organizations';

/**
 * First start: the built-in roles, the all-organizations scope and an `admin` user whose password comes
 * from PATCHLINE_ADMIN_PASSWORD or is generated (and returned, to be shown once). Idempotent; an
 * advisory lock keeps two replicas starting together from doing it twice.
 */
export async function bootstrap(
  store: Store,
  adminPassword?: string,
): Promise<{ adminCreated: boolean; generatedPassword?: string }> {
  const ctx = systemContext(store, 'bootstrap');
  return store.transaction(async (tx) => {
    await repo.lockBootstrap(tx);
    for (const r of BUILTIN_ROLES)
      if (!(await repo.getRoleByName(tx, r.name)))
        await repo.insertRole(tx, {
          name: r.name,
          description: r.description,
          privileges: [...r.privileges],
          builtin: true,
        });
    let scope = await repo.getScopeByName(tx, ALL_SCOPE_NAME);
    if (!scope) {
      const { id } = await repo.insertScope(tx, {
        name: ALL_SCOPE_NAME,
        description: 'Every organization',
        all_organizations: true,
      });
      scope = await repo.getScope(tx, id);
    }
    if ((await repo.countUsers(tx)) > 0) return { adminCreated: false };
    const role = await repo.getRoleByName(tx, 'Administrator');
    const generated = adminPassword ? undefined : randomPassword();
    const password = adminPassword ?? (generated as string);
    const { id } = await repo.insertUser(tx, {
      username: 'admin',
      display_name: 'Administrator',
      password_hash: await hashPassword(password),
      kaseya_verifier: kaseyaVerifier('admin', password),
      role_id: role!.id,
      scope_id: scope!.id,
    });
    await record(ctx, tx, {
      kind: 'user.created',
      subjectType: 'user',
      subjectId: id,
      data: { username: 'admin', bootstrap: true },
    });
    return { adminCreated: true, ...(generated ? { generatedPassword: generated } : {}) };
  });
}
