import { useState, type ReactNode } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Group as Row,
  Modal,
  MultiSelect,
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
  del,
  get,
  patch,
  post,
  qs,
  type ApiKey,
  type Group,
  type Organization,
  type Page,
  type Role,
  type RoleDetail,
  type Scope,
  type User,
} from '../api.ts';
import { PRIVILEGES } from '../../../src/core/privileges.ts';
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

/** what each privilege lets a role do (the list itself is the server's: src/core/privileges.ts) */
const PRIVILEGE_WORDS: Record<string, string> = {
  read: 'see devices, updates, policies and events in scope',
  approve: 'approve, ignore, do nothing and retry updates',
  manage_policies: 'policies, maintenance windows, schedules and tasks',
  manage_devices: 'groups, devices, enrollment, scan now and install now',
  import_catalog: 'catalog imports, bulletins and staging',
  administer: 'organizations, users, roles, scopes and others’ API keys',
};

interface RoleDraft {
  name: string;
  description: string;
  privileges: string[];
}

function RoleEditor({ role, onClose }: { role: RoleDetail | null; onClose: () => void }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState<RoleDraft>({
    name: role?.name ?? '',
    description: role?.description ?? '',
    privileges: role?.privileges ?? ['read'],
  });
  const builtin = role?.builtin ?? false;
  const done = (message: string) => {
    void client.invalidateQueries({ queryKey: ['roles'] });
    notifications.show({ color: 'green', message });
    onClose();
  };
  const save = useMutation({
    mutationFn: () =>
      role
        ? patch<RoleDetail>(`/roles/${role.id}`, builtin ? { description: draft.description } : draft)
        : post<RoleDetail>('/roles', draft),
    onSuccess: (r) => done(`Role ${r.name} saved`),
  });
  const remove = useMutation({
    mutationFn: () => del(`/roles/${role!.id}`),
    onSuccess: () => done(`Role ${role!.name} deleted`),
  });
  const error = save.error ?? remove.error;
  return (
    <Modal opened onClose={onClose} title={role ? `Role ${role.name}` : 'New role'}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          {error && (
            <Alert color="red" role="alert">
              {error.message}
            </Alert>
          )}
          {builtin && (
            <Text size="sm" c="gray.7">
              A built-in role keeps its name and privileges; create a new role to change them.
            </Text>
          )}
          <TextInput
            label="Name"
            required
            maxLength={100}
            disabled={builtin}
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })}
          />
          <TextInput
            label="Description"
            maxLength={2000}
            value={draft.description}
            onChange={(e) => setDraft({ ...draft, description: e.currentTarget.value })}
          />
          <Checkbox.Group
            label="Privileges"
            value={draft.privileges}
            onChange={(privileges) => setDraft({ ...draft, privileges })}
          >
            <Stack gap={6} mt={6}>
              {PRIVILEGES.map((p) => (
                <Checkbox key={p} value={p} label={p} description={PRIVILEGE_WORDS[p]} disabled={builtin} />
              ))}
            </Stack>
          </Checkbox.Group>
          <Row justify="space-between">
            {role && !builtin ? (
              <Button color="red" variant="subtle" loading={remove.isPending} onClick={() => remove.mutate()}>
                Delete role
              </Button>
            ) : (
              <span />
            )}
            <Row>
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={save.isPending} disabled={!draft.name.trim()}>
                Save
              </Button>
            </Row>
          </Row>
        </Stack>
      </form>
    </Modal>
  );
}

export function Roles() {
  const [editing, setEditing] = useState<RoleDetail | 'new' | null>(null);
  const q = useQuery({
    queryKey: ['roles'],
    queryFn: () => get<Page<RoleDetail>>('/roles?limit=500&sort=name'),
  });
  return (
    <>
      <PageTitle actions={<Button onClick={() => setEditing('new')}>New role</Button>}>Roles</PageTitle>
      <Text size="sm" c="gray.7" mb="md">
        A role is a set of privileges; a user has one role and one scope (which organizations and groups).
      </Text>
      {q.error ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : !q.data ? (
        <Loading what="roles" />
      ) : q.data.items.length === 0 ? (
        <Empty>No roles.</Empty>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped data-testid="roles-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Role</Table.Th>
                <Table.Th>Privileges</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {q.data.items.map((r) => (
                <Table.Tr key={r.id} data-role={r.name}>
                  <Table.Td>
                    <Text fw={600} size="sm">
                      {r.name}
                      {r.builtin && (
                        <Badge ml={6} size="xs" variant="light" color="gray">
                          built-in
                        </Badge>
                      )}
                    </Text>
                    <Text size="xs" c="gray.7">
                      {r.description}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Row gap={4} data-testid="role-privileges">
                      {PRIVILEGES.filter((p) => r.privileges.includes(p)).map((p) => (
                        <Badge key={p} variant="outline" color="indigo" tt="none" title={PRIVILEGE_WORDS[p]}>
                          {p}
                        </Badge>
                      ))}
                    </Row>
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => setEditing(r)}
                      aria-label={`Edit ${r.name}`}
                    >
                      {r.builtin ? 'View' : 'Edit'}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {editing && <RoleEditor role={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </>
  );
}

interface ScopeDetail extends Scope {
  description: string;
}

function ScopeEditor({ scope, onClose }: { scope: ScopeDetail | null; onClose: () => void }) {
  const client = useQueryClient();
  const { organizations, orgName } = useSession();
  const groups = useQuery({
    queryKey: ['groups', 'names', null],
    queryFn: () => get<Page<Group>>('/groups?limit=500'),
  });
  const [name, setName] = useState(scope?.name ?? '');
  const [description, setDescription] = useState(scope?.description ?? '');
  const [all, setAll] = useState(scope?.allOrganizations ?? false);
  const [orgs, setOrgs] = useState<string[]>(
    (scope?.entries ?? []).filter((e) => e.groupId === null).map((e) => String(e.organizationId)),
  );
  const [groupIds, setGroupIds] = useState<string[]>(
    (scope?.entries ?? []).filter((e) => e.groupId !== null).map((e) => String(e.groupId)),
  );
  const done = (message: string) => {
    void client.invalidateQueries({ queryKey: ['scopes'] });
    notifications.show({ color: 'green', message });
    onClose();
  };
  const save = useMutation({
    mutationFn: () => {
      const byId = new Map((groups.data?.items ?? []).map((g) => [g.id, g]));
      const entries = all
        ? []
        : [
            ...orgs.map((o) => ({ organizationId: Number(o), groupId: null })),
            ...groupIds.map((g) => ({
              organizationId: byId.get(Number(g))!.organizationId,
              groupId: Number(g),
            })),
          ];
      const body = { name, description, allOrganizations: all, entries };
      return scope ? patch<ScopeDetail>(`/scopes/${scope.id}`, body) : post<ScopeDetail>('/scopes', body);
    },
    onSuccess: (s) => done(`Scope ${s.name} saved`),
  });
  const remove = useMutation({
    mutationFn: () => del(`/scopes/${scope!.id}`),
    onSuccess: () => done(`Scope ${scope!.name} deleted`),
  });
  const error = save.error ?? remove.error;
  return (
    <Modal opened onClose={onClose} title={scope ? `Scope ${scope.name}` : 'New scope'}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          {error && (
            <Alert color="red" role="alert">
              {error.message}
            </Alert>
          )}
          <TextInput
            label="Name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <TextInput
            label="Description"
            maxLength={2000}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <Checkbox
            label="Every organization (present and future)"
            checked={all}
            onChange={(e) => setAll(e.currentTarget.checked)}
          />
          {!all && (
            <>
              <MultiSelect
                label="Whole organizations"
                data={organizations.map((o) => ({ value: String(o.id), label: o.name }))}
                value={orgs}
                onChange={setOrgs}
                searchable
                comboboxProps={{ withinPortal: true }}
              />
              <MultiSelect
                label="Groups (with everything below them)"
                data={(groups.data?.items ?? [])
                  .filter((g) => !g.isRoot)
                  .map((g) => ({ value: String(g.id), label: `${orgName(g.organizationId)} / ${g.name}` }))}
                value={groupIds}
                onChange={setGroupIds}
                searchable
                comboboxProps={{ withinPortal: true }}
              />
            </>
          )}
          <Row justify="space-between">
            {scope ? (
              <Button color="red" variant="subtle" loading={remove.isPending} onClick={() => remove.mutate()}>
                Delete scope
              </Button>
            ) : (
              <span />
            )}
            <Row>
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={save.isPending} disabled={!name.trim()}>
                Save
              </Button>
            </Row>
          </Row>
        </Stack>
      </form>
    </Modal>
  );
}

export function Scopes() {
  const { orgName } = useSession();
  const [editing, setEditing] = useState<ScopeDetail | 'new' | null>(null);
  const q = useQuery({
    queryKey: ['scopes'],
    queryFn: () => get<Page<ScopeDetail>>('/scopes?limit=500&sort=name'),
  });
  const groups = useQuery({
    queryKey: ['groups', 'names', null],
    queryFn: () => get<Page<Group>>('/groups?limit=500'),
  });
  const groupName = (id: number) => groups.data?.items.find((g) => g.id === id)?.name ?? `group ${id}`;
  return (
    <>
      <PageTitle actions={<Button onClick={() => setEditing('new')}>New scope</Button>}>Scopes</PageTitle>
      <Text size="sm" c="gray.7" mb="md">
        A scope says which organizations and groups a user sees; anything outside it does not exist for them.
      </Text>
      {q.error ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : !q.data ? (
        <Loading what="scopes" />
      ) : q.data.items.length === 0 ? (
        <Empty>No scopes.</Empty>
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table striped data-testid="scopes-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Scope</Table.Th>
                <Table.Th>Covers</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {q.data.items.map((s) => (
                <Table.Tr key={s.id} data-scope={s.name}>
                  <Table.Td>
                    <Text fw={600} size="sm">
                      {s.name}
                    </Text>
                    <Text size="xs" c="gray.7">
                      {s.description}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {s.allOrganizations
                      ? 'every organization'
                      : s.entries.length === 0
                        ? 'nothing'
                        : s.entries
                            .map((e) =>
                              e.groupId === null
                                ? orgName(e.organizationId)
                                : `${orgName(e.organizationId)} / ${groupName(e.groupId)}`,
                            )
                            .join(', ')}
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => setEditing(s)}
                      aria-label={`Edit ${s.name}`}
                    >
                      Edit
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {editing && <ScopeEditor scope={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </>
  );
}
