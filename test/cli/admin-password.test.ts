import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminPasswordFile, adminPasswordNotice, keepAdminPassword } from '../../src/cli/admin-password.ts';
import { login } from '../../src/services/auth.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { systemContext } from '../../src/services/context.ts';
import { createUser, listRoles, updateUser } from '../../src/services/identity.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { pgliteTemplate } from '../support/store.ts';
import { getUserByName } from '../../src/store/repos/identity-repo.ts';

// The first admin password cannot be lost (issue 20): kept in the data folder for its owner only, shown by
// `serve` until the first sign-in as admin (which deletes it); PATCHLINE_ADMIN_PASSWORD only sets the first
// password, and serve says so when it no longer matches.
let dir: string;
let store: Store;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchline-admin-pw-'));
  store = await openStore({ memory: true, loadDataDir: await pgliteTemplate() });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the generated password is kept for its owner, shown until the first sign-in as admin, then deleted', async () => {
  const b = await bootstrap(store);
  assert.ok(b.generatedPassword);
  const file = keepAdminPassword(dir, b.generatedPassword);
  assert.equal(file, adminPasswordFile(dir));
  assert.equal(statSync(file).mode & 0o777, 0o600);

  const notice = (await adminPasswordNotice(store, dir, undefined)).join('\n');
  assert.match(notice, new RegExp(`Sign in as 'admin' with the password: ${b.generatedPassword}`));
  assert.match(notice, /until the first sign-in as admin, then deleted/);
  // another user's sign-in leaves it; admin's removes it
  const admin = (await getUserByName(store.db, 'admin'))!;
  const ctx = systemContext(store, 'test');
  const viewer = (await listRoles(ctx, { limit: 50, offset: 0, sort: [] })).items.find(
    (r: { name: string }) => r.name === 'Viewer',
  )!;
  await createUser(ctx, {
    username: 'vera',
    password: 'vera-password',
    roleId: viewer.id,
    scopeId: admin.scope_id,
  });
  await login(store, 'vera', 'vera-password');
  assert.ok(existsSync(file), 'another user signing in keeps the file');
  await login(store, 'admin', b.generatedPassword);
  assert.equal(existsSync(file), false, 'the first sign-in as admin deletes it');
  assert.deepEqual(await adminPasswordNotice(store, dir, undefined), [], 'nothing more to show');
});

test('a kept password that no longer works is deleted, not shown', async () => {
  keepAdminPassword(dir, 'an-old-first-password');
  assert.deepEqual(await adminPasswordNotice(store, dir, undefined), []);
  assert.equal(existsSync(adminPasswordFile(dir)), false);
});

test('PATCHLINE_ADMIN_PASSWORD once the admin exists: serve says it no longer applies and how to set it', async () => {
  const admin = (await getUserByName(store.db, 'admin'))!;
  await updateUser(systemContext(store, 'test'), admin.id, { password: 'the-current-password' });
  assert.deepEqual(await adminPasswordNotice(store, dir, 'the-current-password'), [], 'it matches: silent');
  const [line, ...rest] = await adminPasswordNotice(store, dir, 'some-other-password');
  assert.equal(rest.length, 0);
  assert.match(line!, /PATCHLINE_ADMIN_PASSWORD only sets the first admin's password/);
  assert.match(line!, /patchline user reset-password admin --password/);
});
