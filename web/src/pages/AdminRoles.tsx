import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group as Row,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, patch, post, type Page, type RoleDetail } from '../api.ts';
import { PRIVILEGES } from '../../../src/core/privileges.ts';
import { Empty, ErrorState, Loading, PageTitle } from '../ui.tsx';

/** what each privilege lets a role do (the list itself is the server's: src/core/privileges.ts) */
const PRIVILEGE_WORDS: Record<string, string> = {
  read: 'see devices, updates, policies and events in scope',
  approve: 'approve, ignore, do nothing and retry updates',
  manage_policies: 'policies, maintenance windows, schedules and tasks',
  manage_devices: 'groups, devices, enrollment, scan now and install now',
  import_catalog: 'catalog imports, bulletins and staging',
  administer: 'organizations, users, roles, scopes and others’ API keys',
  run_scripts: 'run scripts on devices: worklets, required software, ad-hoc scripts',
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
                      aria-label={`${r.builtin ? 'View' : 'Edit'} ${r.name}`}
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
