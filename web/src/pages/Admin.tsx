import { useState, type ReactNode } from 'react';
import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group as Row,
  Modal,
  PasswordInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  api,
  ApiError,
  get,
  post,
  qs,
  type ApiKey,
  type Group,
  type Organization,
  type Page,
  type Role,
  type Scope,
  type User,
} from '../api.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, Loading, PageTitle, Pager, when } from '../ui.tsx';

const LIMIT = 50;

/** a list page: loading, error, empty and a table with paging */
function Listing<T>({
  queryKey,
  path,
  what,
  empty,
  head,
  row,
}: {
  queryKey: unknown[];
  path: (offset: number) => string;
  what: string;
  empty: ReactNode;
  head: string[];
  row: (item: T) => ReactNode[];
}) {
  const [offset, setOffset] = useState(0);
  const q = useQuery({ queryKey: [...queryKey, offset], queryFn: () => get<Page<T>>(path(offset)) });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading what={what} />;
  if (q.data.items.length === 0) return <Empty>{empty}</Empty>;
  return (
    <>
      <Table.ScrollContainer minWidth={600}>
        <Table striped data-testid={`${what.replace(/\s+/g, '-')}-table`}>
          <Table.Thead>
            <Table.Tr>
              {head.map((h) => (
                <Table.Th key={h}>{h}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {q.data.items.map((item, i) => (
              <Table.Tr key={i}>
                {row(item).map((c, j) => (
                  <Table.Td key={j}>{c}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager total={q.data.total} limit={LIMIT} offset={offset} onChange={setOffset} />
    </>
  );
}

/** a create form in a modal; shows the server's message and field issues on failure */
function CreateModal({
  title,
  opened,
  onClose,
  onSubmit,
  children,
  busy,
  error,
}: {
  title: string;
  opened: boolean;
  onClose: () => void;
  onSubmit: () => void;
  children: ReactNode;
  busy: boolean;
  error: Error | null;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
      >
        <Stack>
          {error && (
            <Alert color="red" role="alert">
              {error.message}
            </Alert>
          )}
          {children}
          <Row justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Create
            </Button>
          </Row>
        </Stack>
      </form>
    </Modal>
  );
}

function useCreate<B, R>(path: string, invalidate: string, done: (r: R) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: B) => post<R>(path, body),
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: [invalidate] });
      done(r);
    },
  });
}

function OrganizationSelect({
  value,
  onChange,
}: {
  value: string | null;
  onChange: (v: string | null) => void;
}) {
  const { organizations } = useSession();
  return (
    <Select
      label="Organization"
      required
      data={organizations.map((o) => ({ value: String(o.id), label: o.name }))}
      value={value}
      onChange={onChange}
      comboboxProps={{ withinPortal: true }}
    />
  );
}

export function Organizations() {
  const { can } = useSession();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [ref, setRef] = useState('');
  const create = useCreate<object, Organization>('/organizations', 'organizations', (o) => {
    setOpen(false);
    setName('');
    setRef('');
    notifications.show({ color: 'green', message: `Organization ${o.name} created` });
  });
  return (
    <>
      <PageTitle
        actions={can('administer') && <Button onClick={() => setOpen(true)}>New organization</Button>}
      >
        Organizations
      </PageTitle>
      <Listing<Organization>
        queryKey={['organizations', 'admin']}
        path={(offset) => `/organizations${qs({ limit: LIMIT, offset, sort: 'name' })}`}
        what="organizations"
        empty="No organizations in your scope."
        head={['Name', 'Reference', 'Time zone', 'Created']}
        row={(o) => [o.name, o.ref, o.timeZone ?? 'server default', when(o.createdAt)]}
      />
      <CreateModal
        title="New organization"
        opened={open}
        onClose={() => setOpen(false)}
        onSubmit={() => create.mutate({ name, ...(ref ? { ref } : {}) })}
        busy={create.isPending}
        error={create.error}
      >
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TextInput
          label="Reference"
          description="a short unique key; made from the name when empty"
          value={ref}
          onChange={(e) => setRef(e.currentTarget.value)}
        />
      </CreateModal>
    </>
  );
}

export function Groups() {
  const { organizationId, orgName, can } = useSession();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [org, setOrg] = useState<string | null>(organizationId ? String(organizationId) : null);
  const create = useCreate<object, Group>('/groups', 'groups', (g) => {
    setOpen(false);
    setName('');
    notifications.show({ color: 'green', message: `Group ${g.name} created` });
  });
  const all = useQuery({
    queryKey: ['groups', 'names', organizationId],
    queryFn: () =>
      get<Page<Group>>(`/groups${qs({ organizationId: organizationId ?? undefined, limit: 500 })}`),
  });
  const parentName = (id: number | null) =>
    id === null ? '—' : (all.data?.items.find((g) => g.id === id)?.name ?? `group ${id}`);
  return (
    <>
      <PageTitle actions={can('manage_devices') && <Button onClick={() => setOpen(true)}>New group</Button>}>
        Groups
      </PageTitle>
      <Listing<Group>
        queryKey={['groups', 'admin', organizationId]}
        path={(offset) =>
          `/groups${qs({ organizationId: organizationId ?? undefined, limit: LIMIT, offset })}`
        }
        what="groups"
        empty="No groups in your scope."
        head={['Name', 'Organization', 'Parent', 'Description']}
        row={(g) => [
          g.isRoot ? '(root)' : g.name,
          orgName(g.organizationId),
          parentName(g.parentId),
          g.description,
        ]}
      />
      <CreateModal
        title="New group"
        opened={open}
        onClose={() => setOpen(false)}
        onSubmit={() => create.mutate({ name, organizationId: Number(org) })}
        busy={create.isPending}
        error={create.error}
      >
        <OrganizationSelect value={org} onChange={setOrg} />
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
      </CreateModal>
    </>
  );
}

export function Users() {
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
      <PageTitle actions={<Button onClick={() => setOpen(true)}>New user</Button>}>Users</PageTitle>
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
            roleId: Number(form.roleId),
            scopeId: Number(form.scopeId),
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

export function ApiKeys() {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const create = useCreate<object, ApiKey & { key: string }>('/api-keys', 'api-keys', (k) => {
    setOpen(false);
    setName('');
    setCreated(k);
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api<void>('DELETE', `/api-keys/${id}`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['api-keys'] });
      notifications.show({ color: 'green', message: 'API key revoked' });
    },
    onError: (e: ApiError) =>
      notifications.show({ color: 'red', title: 'Revoking failed', message: e.message }),
  });
  return (
    <>
      <PageTitle actions={<Button onClick={() => setOpen(true)}>New API key</Button>}>API keys</PageTitle>
      <Listing<ApiKey>
        queryKey={['api-keys']}
        path={(offset) => `/api-keys${qs({ limit: LIMIT, offset, sort: '-createdAt' })}`}
        what="API keys"
        empty="No API keys. Scripts and integrations sign in with one."
        head={['Name', 'Prefix', 'User', 'Last used', 'Expires', 'State', '']}
        row={(k) => [
          k.name,
          <Code key="p">{k.prefix}…</Code>,
          `user ${k.userId}`,
          when(k.lastUsedAt),
          k.expiresAt ? when(k.expiresAt) : 'never',
          k.revokedAt ? `revoked ${when(k.revokedAt)}` : 'active',
          k.revokedAt ? null : (
            <Button key="r" size="xs" color="red" variant="light" onClick={() => revoke.mutate(k.id)}>
              Revoke
            </Button>
          ),
        ]}
      />
      <CreateModal
        title="New API key"
        opened={open}
        onClose={() => setOpen(false)}
        onSubmit={() => create.mutate({ name })}
        busy={create.isPending}
        error={create.error}
      >
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
      </CreateModal>
      <Modal opened={!!created} onClose={() => setCreated(null)} title="Your new API key">
        <Stack>
          <Alert color="yellow" title="Shown once">
            Copy this key now: Patchline keeps only a hash and cannot show it again.
          </Alert>
          <Code block data-testid="new-api-key">
            {created?.key}
          </Code>
          <Text size="sm">Send it as “Authorization: Bearer &lt;key&gt;”.</Text>
          <Row justify="flex-end">
            <CopyButton value={created?.key ?? ''}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
            <Button onClick={() => setCreated(null)}>Done</Button>
          </Row>
        </Stack>
      </Modal>
    </>
  );
}
