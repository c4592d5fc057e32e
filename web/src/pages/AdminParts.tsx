// What the administration pages share: a list page with paging, a create dialog, and an organization picker.
import { useState, type ReactNode } from 'react';
import { Alert, Button, Group as Row, Modal, Select, Stack, Table } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post, type Page } from '../api.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, Loading, Pager } from '../ui.tsx';

export const LIMIT = 50;

/** a list page: loading, error, empty and a table with paging */
export function Listing<T>({
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
      {/* on a phone the table scrolls sideways: the scrolled region takes the focus, so the keyboard scrolls it */}
      <Table.ScrollContainer
        minWidth={600}
        scrollAreaProps={{
          viewportProps: { tabIndex: 0, role: 'region', 'aria-label': `The ${what}, scrollable` },
        }}
      >
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
export function CreateModal({
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

export function useCreate<B, R>(path: string, invalidate: string, done: (r: R) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: B) => post<R>(path, body),
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: [invalidate] });
      done(r);
    },
  });
}

export function OrganizationSelect({
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
