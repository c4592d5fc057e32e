import { useState } from 'react';
import { Anchor, Badge, Group, Table, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { get, qs, type Page, type PatchEvent } from '../api.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, Loading, PageTitle, Pager, when } from '../ui.tsx';

/** one sentence for an event: what changed, from and to */
export function describe(e: PatchEvent): string {
  const d = e.data;
  const parts: string[] = [];
  if (typeof d.from !== 'undefined' || typeof d.to !== 'undefined')
    parts.push(`${String(d.from ?? '—')} → ${String(d.to ?? '—')}`);
  if (typeof d.action === 'string') parts.push(d.action);
  if (typeof d.reason === 'string') parts.push(`(${d.reason})`);
  if (typeof d.name === 'string') parts.push(d.name);
  return parts.join(' ');
}

export function EventLine({ event: e }: { event: PatchEvent }) {
  return (
    <Group gap="xs" wrap="wrap" align="baseline">
      <Text size="xs" c="gray.7" w={150}>
        {when(e.at)}
      </Text>
      <Badge variant="light" color="gray" tt="none">
        {e.kind}
      </Badge>
      <Text size="sm">{describe(e)}</Text>
      {e.deviceId !== null && (
        <Anchor component={Link} to={`/devices/${e.deviceId}`} size="sm">
          device {e.deviceId}
        </Anchor>
      )}
      <Text size="xs" c="gray.7">
        by {e.actor.name}
      </Text>
    </Group>
  );
}

const LIMIT = 50;

export function EventLog() {
  const { organizationId, orgName } = useSession();
  const [kind, setKind] = useState('');
  const [offset, setOffset] = useState(0);
  const q = useQuery({
    queryKey: ['events', 'log', organizationId, kind, offset],
    queryFn: () =>
      get<Page<PatchEvent>>(
        `/events${qs({ organizationId: organizationId ?? undefined, kind: kind.trim() || undefined, limit: LIMIT, offset })}`,
      ),
  });
  return (
    <>
      <PageTitle>Event log</PageTitle>
      <TextInput
        label="Kind"
        description="for example device_update.status or organization.created"
        value={kind}
        onChange={(e) => {
          setKind(e.currentTarget.value);
          setOffset(0);
        }}
        maw={360}
        mb="md"
      />
      {q.error ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : !q.data ? (
        <Loading what="events" />
      ) : q.data.items.length === 0 ? (
        <Empty>No events{kind ? ` of kind “${kind}”` : ''}.</Empty>
      ) : (
        <>
          <Table.ScrollContainer minWidth={700}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>What</Table.Th>
                  <Table.Th>Organization</Table.Th>
                  <Table.Th>Subject</Table.Th>
                  <Table.Th>Who</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {q.data.items.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td>{when(e.at)}</Table.Td>
                    <Table.Td>{e.kind}</Table.Td>
                    <Table.Td>{describe(e)}</Table.Td>
                    <Table.Td>{orgName(e.organizationId)}</Table.Td>
                    <Table.Td>
                      {e.deviceId !== null ? (
                        <Anchor component={Link} to={`/devices/${e.deviceId}`}>
                          device {e.deviceId}
                        </Anchor>
                      ) : (
                        `${e.subjectType} ${e.subjectId ?? ''}`
                      )}
                    </Table.Td>
                    <Table.Td>{e.actor.name}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager total={q.data.total} limit={LIMIT} offset={offset} onChange={setOffset} />
        </>
      )}
    </>
  );
}
