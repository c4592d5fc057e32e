import { useState } from 'react';
import { Alert, Button, Code, CopyButton, Group as Row, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, get, qs, type ApiKey, type Page, type User } from '../api.ts';
import { useSession } from '../session.tsx';
import { PageTitle, when } from '../ui.tsx';
import { LIMIT, Listing, CreateModal, useCreate } from './AdminParts.tsx';

export function ApiKeys() {
  const client = useQueryClient();
  const { me, can } = useSession();
  // the keys' owners by name: every user for an administrator, else the caller (who sees only their keys)
  const users = useQuery({
    queryKey: ['users', 'names'],
    queryFn: () => get<Page<User>>('/users?limit=500'),
    enabled: can('administer'),
  });
  const userName = (id: number) =>
    id === me?.userId
      ? me.name
      : users.data?.items.find((u) => u.id === id)?.displayName ||
        users.data?.items.find((u) => u.id === id)?.username ||
        `user ${id}`;
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
          userName(k.userId),
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
