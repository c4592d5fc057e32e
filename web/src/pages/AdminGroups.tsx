import { useState } from 'react';
import { Button, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery } from '@tanstack/react-query';
import { get, qs, type Group, type Page } from '../api.ts';
import { useSession } from '../session.tsx';
import { PageTitle } from '../ui.tsx';
import { LIMIT, Listing, CreateModal, useCreate, OrganizationSelect } from './AdminParts.tsx';

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
