import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { onLogin } from '../services/auth.ts';
import { verifyPassword } from '../services/secrets.ts';
import type { Store } from '../store/db.ts';
import { getUserByName } from '../store/repos/identity-repo.ts';

// The first administrator's generated password cannot be lost: whichever command first opens an empty
// store creates `admin` and keeps the password in the data folder (a file only its owner can read);
// `patchline serve` prints it at every start until the first sign-in as admin, which deletes the file.
// PATCHLINE_ADMIN_PASSWORD chooses the first password instead (no file); once the admin exists it changes
// nothing, and `serve` says so when it no longer matches (`patchline user reset-password admin` does).

export const ADMIN_PASSWORD_FILE = 'admin-password';

export const adminPasswordFile = (dataDir: string) => join(resolve(dataDir), ADMIN_PASSWORD_FILE);

/** keeps a generated first password in the data folder, readable by its owner only */
export function keepAdminPassword(dataDir: string, password: string): string {
  const file = adminPasswordFile(dataDir);
  mkdirSync(resolve(dataDir), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // a file left by an earlier store keeps its mode on overwrite
  return file;
}

export function forgetAdminPassword(dataDir: string): void {
  rmSync(adminPasswordFile(dataDir), { force: true });
}

/**
 * What `serve` tells at start about the admin's password: the kept first password while nobody has
 * signed in as admin with it (the file is deleted at that sign-in), or that PATCHLINE_ADMIN_PASSWORD
 * no longer applies. Returns the lines to print (none when there is nothing to say).
 */
export async function adminPasswordNotice(
  store: Store,
  dataDir: string,
  envPassword: string | undefined,
): Promise<string[]> {
  const admin = await getUserByName(store.db, 'admin');
  const file = adminPasswordFile(dataDir);
  const lines: string[] = [];
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (admin && kept && (await verifyPassword(kept, admin.password_hash))) {
      const stop = onLogin(store, (u) => {
        if (u.id !== admin.id) return;
        forgetAdminPassword(dataDir);
        stop();
      });
      lines.push(
        '',
        `  Sign in as 'admin' with the password: ${kept}`,
        `  (kept in ${file} until the first sign-in as admin, then deleted; change it in the console)`,
        '',
      );
    } else forgetAdminPassword(dataDir); // changed or reset since: the file no longer says anything true
  }
  if (envPassword && admin && !(await verifyPassword(envPassword, admin.password_hash)))
    lines.push(
      "patchline: PATCHLINE_ADMIN_PASSWORD only sets the first admin's password and admin already has another one; " +
        'to set it: patchline user reset-password admin --password …',
    );
  return lines;
}
