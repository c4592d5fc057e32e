import { useState } from 'react';
import { Button, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { qs, type Organization } from '../api.ts';
import { useSession } from '../session.tsx';
import { PageTitle, when } from '../ui.tsx';
import { LIMIT, Listing, CreateModal, useCreate } from './AdminParts.tsx';

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
