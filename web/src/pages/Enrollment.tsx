import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group as Row,
  Modal,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post, qs, type Group as DeviceGroup, type Page } from '../api.ts';
import { installCommands } from '../install-commands.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, Loading, PageTitle, when } from '../ui.tsx';
import { CreateModal, OrganizationSelect } from './AdminParts.tsx';

// Enrolling devices: an organization's install tokens (create, list, revoke) and, for a new token, the
// one-line command that installs the agent on each operating system.

interface InstallToken {
  id: number;
  name: string;
  organizationId: number;
  groupId: number | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  active: boolean;
}
interface NewToken {
  id: number;
  token: string;
  organizationId: number;
  groupId: number | null;
}

function Commands({ token }: { token: string }) {
  const commands = installCommands(window.location.origin, token);
  return (
    <Tabs defaultValue={commands[0]!.key}>
      <Tabs.List>
        {commands.map((c) => (
          <Tabs.Tab key={c.key} value={c.key}>
            {c.label}
          </Tabs.Tab>
        ))}
      </Tabs.List>
      {commands.map((c) => (
        <Tabs.Panel key={c.key} value={c.key} pt="sm">
          <Text size="sm" mb={4}>
            Paste in {c.shell}:
          </Text>
          <Code block data-testid={`install-command-${c.key}`} style={{ whiteSpace: 'pre-wrap' }}>
            {c.command}
          </Code>
          <Row justify="flex-end" mt="xs">
            <CopyButton value={c.command}>
              {({ copied, copy }) => (
                <Button variant="light" size="xs" onClick={copy} aria-label={`Copy the ${c.label} command`}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Row>
        </Tabs.Panel>
      ))}
    </Tabs>
  );
}

export function Enrollment() {
  const { organizationId, organizations, can } = useSession();
  const client = useQueryClient();
  const [orgId, setOrgId] = useState<string | null>(
    organizationId !== null
      ? String(organizationId)
      : organizations.length === 1
        ? String(organizations[0]!.id)
        : null,
  );
  const org = orgId ?? (organizationId !== null ? String(organizationId) : null);
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [groupId, setGroupId] = useState<string | null>(null);
  const [created, setCreated] = useState<NewToken | null>(null);
  const manage = can('manage_devices');

  const tokens = useQuery({
    queryKey: ['install-tokens', org],
    queryFn: () => get<{ items: InstallToken[] }>(`/organizations/${org}/install-tokens`),
    enabled: !!org,
  });
  const groups = useQuery({
    queryKey: ['groups', 'all', org],
    queryFn: () => get<Page<DeviceGroup>>(`/groups${qs({ organizationId: org, limit: 500 })}`),
    enabled: !!org,
  });
  const groupName = (id: number | null) =>
    id === null
      ? 'the organization (root group)'
      : (groups.data?.items.find((g) => g.id === id)?.name ?? `group ${id}`);
  const create = useMutation({
    mutationFn: () =>
      post<NewToken>(`/organizations/${org}/install-tokens`, {
        name,
        ...(groupId ? { groupId: Number(groupId) } : {}),
      }),
    onSuccess: (t) => {
      void client.invalidateQueries({ queryKey: ['install-tokens'] });
      setOpen(false);
      setName('');
      setGroupId(null);
      setCreated(t);
    },
  });
  const revoke = useMutation({
    mutationFn: (t: InstallToken) => post<InstallToken>(`/install-tokens/${t.id}/revoke`),
    onSuccess: (t) => {
      void client.invalidateQueries({ queryKey: ['install-tokens'] });
      notifications.show({ color: 'green', message: `Install token ${t.name || t.id} revoked` });
    },
    onError: (e) => notifications.show({ color: 'red', title: 'Not revoked', message: e.message }),
  });

  return (
    <>
      <PageTitle actions={manage && <Button onClick={() => setOpen(true)}>New install token</Button>}>
        Enroll devices
      </PageTitle>
      <Text size="sm" mb="md" maw={760}>
        An agent joins an organization with an install token. Create one, then paste its one-line command on
        the machine: it installs Node.js, enrolls the machine and starts the agent. The commands need the{' '}
        <Code>patchline</Code> command of this Patchline release on the machine.
      </Text>
      {organizationId === null && organizations.length > 1 && (
        <Select
          label="Organization"
          data={organizations.map((o) => ({ value: String(o.id), label: o.name }))}
          value={orgId}
          onChange={setOrgId}
          w={{ base: '100%', sm: 320 }}
          mb="md"
        />
      )}
      {!org ? (
        <Empty>Choose an organization.</Empty>
      ) : tokens.error ? (
        <ErrorState error={tokens.error} retry={() => void tokens.refetch()} />
      ) : !tokens.data ? (
        <Loading what="install tokens" />
      ) : tokens.data.items.length === 0 ? (
        <Empty>No install tokens yet.</Empty>
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table striped data-testid="install-tokens-table" aria-label="Install tokens">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Enrolls into</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tokens.data.items.map((t) => (
                <Table.Tr key={t.id} data-token={t.name}>
                  <Table.Td>{t.name || `token ${t.id}`}</Table.Td>
                  <Table.Td>{groupName(t.groupId)}</Table.Td>
                  <Table.Td>{when(t.createdAt)}</Table.Td>
                  <Table.Td>{t.expiresAt ? when(t.expiresAt) : 'never'}</Table.Td>
                  <Table.Td>
                    <Badge color={t.active ? 'green.9' : 'gray.8'} variant="outline">
                      {t.revokedAt ? 'revoked' : t.active ? 'active' : 'expired'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {manage && !t.revokedAt && (
                      <Button
                        size="xs"
                        color="red"
                        variant="light"
                        loading={revoke.isPending && revoke.variables?.id === t.id}
                        onClick={() => revoke.mutate(t)}
                        aria-label={`Revoke ${t.name || `token ${t.id}`}`}
                      >
                        Revoke
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <CreateModal
        title="New install token"
        opened={open}
        onClose={() => setOpen(false)}
        onSubmit={() => create.mutate()}
        busy={create.isPending}
        error={create.error}
      >
        {organizationId === null && <OrganizationSelect value={orgId} onChange={setOrgId} />}
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Select
          label="Enrolls into group"
          description="None: the organization's root group"
          clearable
          data={(groups.data?.items ?? [])
            .filter((g) => !g.isRoot)
            .map((g) => ({ value: String(g.id), label: g.name }))}
          value={groupId}
          onChange={setGroupId}
          comboboxProps={{ withinPortal: true }}
        />
      </CreateModal>
      <Modal opened={!!created} onClose={() => setCreated(null)} title="Install the agent" size="xl">
        <Stack>
          <Alert color="yellow" title="Shown once">
            Copy the token or a command now: Patchline keeps only a hash of the token and cannot show it
            again.
          </Alert>
          <Code block data-testid="new-install-token">
            {created?.token}
          </Code>
          {created && <Commands token={created.token} />}
          <Row justify="flex-end">
            <Button onClick={() => setCreated(null)}>Done</Button>
          </Row>
        </Stack>
      </Modal>
    </>
  );
}
