import { Anchor, Badge, Checkbox, Group, Select, Table, TextInput, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { get, qs, type Device, type Group as DeviceGroup, type Page } from '../api.ts';
import { useSession } from '../session.tsx';
import { ago, Empty, ErrorState, Loading, PageTitle, Pager, StatusBadge } from '../ui.tsx';

const LIMIT = 25;
const COLUMNS: { key: string; label: string; sort?: string }[] = [
  { key: 'name', label: 'Name', sort: 'name' },
  { key: 'hostname', label: 'Host name', sort: 'hostname' },
  { key: 'os', label: 'OS', sort: 'osFamily' },
  { key: 'org', label: 'Organization' },
  { key: 'group', label: 'Group' },
  { key: 'status', label: 'Status' },
  { key: 'seen', label: 'Last seen', sort: 'lastSeenAt' },
];

export function Devices() {
  const { organizationId, orgName, organizations } = useSession();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const osFamily = params.get('osFamily') ?? '';
  const groupId = params.get('groupId') ?? '';
  const sort = params.get('sort') ?? 'name';
  const rebootRequired = params.get('rebootRequired') === 'true' ? true : undefined;
  const offset = Number(params.get('offset') ?? 0);
  const [search, setSearch] = useState(q);
  const [debounced] = useDebouncedValue(search, 300);

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes))
      if (v) next.set(k, v);
      else next.delete(k);
    if (!('offset' in changes)) next.delete('offset');
    setParams(next, { replace: true });
  };
  useEffect(() => {
    if (debounced !== q) update({ q: debounced || null });
  }, [debounced]);

  const groups = useQuery({
    queryKey: ['groups', 'all', organizationId],
    queryFn: () =>
      get<Page<DeviceGroup>>(`/groups${qs({ organizationId: organizationId ?? undefined, limit: 500 })}`),
  });
  const groupName = (id: number) => {
    const g = groups.data?.items.find((x) => x.id === id);
    return g ? (g.isRoot ? '(root)' : g.name) : `group ${id}`;
  };
  const list = useQuery({
    queryKey: ['devices', 'list', organizationId, q, osFamily, groupId, rebootRequired, sort, offset],
    queryFn: () =>
      get<Page<Device>>(
        `/devices${qs({ organizationId: organizationId ?? undefined, q, osFamily, groupId, rebootRequired, sort, limit: LIMIT, offset })}`,
      ),
  });

  const sortBy = (field: string) => update({ sort: sort === field ? `-${field}` : field });
  const arrow = (field: string) => (sort === field ? ' ▲' : sort === `-${field}` ? ' ▼' : '');
  const ariaSort = (field: string) =>
    sort === field ? 'ascending' : sort === `-${field}` ? 'descending' : undefined;

  return (
    <>
      <PageTitle>Devices</PageTitle>
      <Group mb="md" align="end" wrap="wrap">
        <TextInput
          label="Search"
          placeholder="name or host name"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={{ base: '100%', sm: 240 }}
          type="search"
        />
        <Select
          label="Operating system"
          data={[
            { value: '', label: 'Any' },
            { value: 'windows', label: 'Windows' },
            { value: 'linux', label: 'Linux' },
            { value: 'macos', label: 'macOS' },
            { value: 'unknown', label: 'Unknown' },
          ]}
          value={osFamily}
          onChange={(v) => update({ osFamily: v || null })}
          w={{ base: '100%', sm: 180 }}
          allowDeselect={false}
        />
        <Select
          label="Group"
          searchable
          data={[
            { value: '', label: 'Any' },
            ...(groups.data?.items ?? []).map((g) => ({
              value: String(g.id),
              label: `${organizations.length > 1 ? `${orgName(g.organizationId)} / ` : ''}${g.isRoot ? '(root)' : g.name}`,
            })),
          ]}
          value={groupId}
          onChange={(v) => update({ groupId: v || null })}
          w={{ base: '100%', sm: 240 }}
          allowDeselect={false}
        />
        <Checkbox
          label="Waiting for a reboot"
          checked={rebootRequired === true}
          onChange={(e) => update({ rebootRequired: e.currentTarget.checked ? 'true' : null })}
          mb={8}
        />
      </Group>
      {list.error ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading what="devices" />
      ) : list.data.items.length === 0 ? (
        <Empty>
          {q || osFamily || groupId || rebootRequired
            ? 'No device matches these filters.'
            : 'No devices yet. Agents appear here once they enroll.'}
        </Empty>
      ) : (
        <>
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover data-testid="devices-table">
              <Table.Thead>
                <Table.Tr>
                  {COLUMNS.map((c) => (
                    <Table.Th key={c.key} aria-sort={c.sort ? ariaSort(c.sort) : undefined}>
                      {c.sort ? (
                        <UnstyledButton fw={700} fz="sm" onClick={() => sortBy(c.sort!)}>
                          {c.label}
                          {arrow(c.sort)}
                        </UnstyledButton>
                      ) : (
                        c.label
                      )}
                    </Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/devices/${d.id}`} fw={600}>
                        {d.name}
                      </Anchor>
                      {d.rebootRequired && (
                        <Badge ml="xs" color="orange" variant="light">
                          reboot
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{d.hostname}</Table.Td>
                    <Table.Td>{[d.osFamily, d.osName, d.osVersion].filter(Boolean).join(' ')}</Table.Td>
                    <Table.Td>{orgName(d.organizationId)}</Table.Td>
                    <Table.Td>{groupName(d.groupId)}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={d.status} />
                    </Table.Td>
                    <Table.Td>{ago(d.lastSeenAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager
            total={list.data.total}
            limit={LIMIT}
            offset={offset}
            onChange={(o) => update({ offset: o ? String(o) : null })}
          />
        </>
      )}
    </>
  );
}
