import { useState } from 'react';
import { Button, PasswordInput, Select, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery } from '@tanstack/react-query';
import { get, qs, type Page, type Role, type Scope, type User } from '../api.ts';
import { useSession } from '../session.tsx';
import { PageTitle, when } from '../ui.tsx';
import { LIMIT, Listing, CreateModal, useCreate } from './AdminParts.tsx';

export function Users() {
  const { can } = useSession();
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({
    username: '',
    password: '',
    roleId: null as string | null,
    scopeId: null as string | null,
  });
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => get<Page<Role>>('/roles?limit=500') });
  const scopes = useQuery({ queryKey: ['scopes'], queryFn: () => get<Page<Scope>>('/scopes?limit=500') });
  const create = useCreate<object, User>('/users', 'users', (u) => {
    setOpen(false);
    setForm({ username: '', password: '', roleId: null, scopeId: null });
    notifications.show({ color: 'green', message: `User ${u.username} created` });
  });
  const roleName = (id: number) => roles.data?.items.find((r) => r.id === id)?.name ?? `role ${id}`;
  const scopeName = (id: number) => scopes.data?.items.find((s) => s.id === id)?.name ?? `scope ${id}`;
  return (
    <>
      <PageTitle actions={can('administer') && <Button onClick={() => setOpen(true)}>New user</Button>}>
        Users
      </PageTitle>
      <Listing<User>
        queryKey={['users']}
        path={(offset) => `/users${qs({ limit: LIMIT, offset, sort: 'username' })}`}
        what="users"
        empty="No users."
        head={['User name', 'Display name', 'Role', 'Scope', 'State', 'Created']}
        row={(u) => [
          u.username,
          u.displayName,
          roleName(u.roleId),
          scopeName(u.scopeId),
          u.disabled ? 'disabled' : 'active',
          when(u.createdAt),
        ]}
      />
      <CreateModal
        title="New user"
        opened={open}
        onClose={() => setOpen(false)}
        onSubmit={() =>
          create.mutate({
            username: form.username,
            password: form.password,
            // left out when not chosen: the server then says the role (or scope) is required
            ...(form.roleId ? { roleId: Number(form.roleId) } : {}),
            ...(form.scopeId ? { scopeId: Number(form.scopeId) } : {}),
          })
        }
        busy={create.isPending}
        error={create.error}
      >
        <TextInput
          label="User name"
          required
          value={form.username}
          onChange={(e) => setForm({ ...form, username: e.currentTarget.value })}
        />
        <PasswordInput
          label="Password"
          required
          autoComplete="new-password"
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.currentTarget.value })}
        />
        <Select
          label="Role"
          required
          data={(roles.data?.items ?? []).map((r) => ({ value: String(r.id), label: r.name }))}
          value={form.roleId}
          onChange={(v) => setForm({ ...form, roleId: v })}
        />
        <Select
          label="Scope"
          description="which organizations and groups the user sees"
          required
          data={(scopes.data?.items ?? []).map((s) => ({ value: String(s.id), label: s.name }))}
          value={form.scopeId}
          onChange={(v) => setForm({ ...form, scopeId: v })}
        />
      </CreateModal>
    </>
  );
}
