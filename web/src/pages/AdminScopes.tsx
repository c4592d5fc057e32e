import { useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Group as Row,
  Modal,
  MultiSelect,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, patch, post, type Group, type Page, type Scope } from '../api.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, Loading, PageTitle } from '../ui.tsx';

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
