import { useRef, useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Timeline,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import {
  get,
  post,
  qs,
  type Device,
  type DeviceUpdate,
  type Page,
  type PatchEvent,
  type TaskInstance,
  type UpdateStatuses,
} from '../api.ts';
import { useSession } from '../session.tsx';
import {
  ago,
  Empty,
  ErrorState,
  label,
  Loading,
  PageTitle,
  Pager,
  plural,
  SeverityBadge,
  StatusBadge,
  when,
} from '../ui.tsx';
import { describe, EVENT_ORDER, kindWords } from './EventLog.tsx';

const ACTIONS = [
  { action: 'approve', label: 'Approve', color: 'green' },
  { action: 'ignore', label: 'Ignore', color: 'gray' },
  { action: 'do-nothing', label: 'Do nothing', color: 'gray' },
  { action: 'retry', label: 'Retry', color: 'orange' },
] as const;
type Filter = 'open' | 'installed' | 'ignored' | 'all';
/** the statuses each filter lists, from the server's groups: open is what the compliance summary counts
 * as outstanding; ignored is the rest (ignored, not applicable) */
function filterStatuses(f: Filter, { statuses, groups }: UpdateStatuses): string[] {
  if (f === 'open') return groups.outstanding;
  if (f === 'installed') return groups.installed;
  if (f === 'ignored')
    return statuses.filter((s) => !groups.outstanding.includes(s) && !groups.installed.includes(s));
  return [];
}
const LIMIT = 50;

function Approval({ u }: { u: DeviceUpdate }) {
  if (!u.approval) return <Text size="sm">no decision</Text>;
  const a = u.approval;
  return (
    <Text size="sm" data-testid="approval">
      <b>{a.action === 'none' ? 'do nothing' : a.action}</b> at {a.level} level
      <br />
      <Text span size="xs" c="gray.7">
        by {a.setBy}, {ago(a.setAt)}
      </Text>
    </Text>
  );
}

export function DevicePage() {
  const id = Number(useParams().id);
  const { orgName, can } = useSession();
  const client = useQueryClient();
  const [filter, setFilter] = useState<Filter>('open');
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<Set<number>>(new Set());

  const device = useQuery({ queryKey: ['device', id], queryFn: () => get<Device>(`/devices/${id}`) });
  // the groups do not change while the server runs
  const statuses = useQuery({
    queryKey: ['update-statuses'],
    queryFn: () => get<UpdateStatuses>('/update-statuses'),
    staleTime: Infinity,
  });
  const statusQs = statuses.data
    ? filterStatuses(filter, statuses.data)
        .map((s) => `&status=${s}`)
        .join('')
    : '';
  const updates = useQuery({
    queryKey: ['device', id, 'updates', filter, offset],
    queryFn: () =>
      get<Page<DeviceUpdate>>(
        `/devices/${id}/updates${qs({ limit: LIMIT, offset, sort: '-severity,name' })}${statusQs}`,
      ),
    enabled: device.isSuccess && statuses.isSuccess,
  });
  const history = useQuery({
    queryKey: ['device', id, 'history'],
    queryFn: () => get<Page<PatchEvent>>(`/events${qs({ deviceId: id, limit: 30, sort: EVENT_ORDER })}`),
    enabled: device.isSuccess,
  });
  const updatesHeading = useRef<HTMLHeadingElement>(null);
  const act = useMutation({
    mutationFn: ({ action, ids }: { action: string; ids: number[] }) =>
      post<{ decisions: number; changed: number }>(`/devices/${id}/updates/${action}`, { updateIds: ids }),
    onSuccess: (r, v) => {
      notifications.show({
        color: 'green',
        title: `${label(v.action)}: done`,
        message: `${plural(v.ids.length, 'update')}; ${r.changed} changed status`,
      });
      setSelected(new Set());
      // the action buttons are disabled with nothing selected: the focus goes to the list's heading
      updatesHeading.current?.focus();
      void client.invalidateQueries({ queryKey: ['device', id] });
      void client.invalidateQueries({ queryKey: ['events'] });
      void client.invalidateQueries({ queryKey: ['status'] });
    },
    onError: (e: Error, v) =>
      notifications.show({ color: 'red', title: `${label(v.action)} failed`, message: e.message }),
  });

  // scan now / install now: a task instance for this device; the agent runs it at its next check-in
  const [installing, setInstalling] = useState(false);
  const [started, setStarted] = useState<TaskInstance | null>(null);
  const run = useMutation({
    mutationFn: async ({ kind, ids }: { kind: 'scan' | 'install'; ids?: number[] }) => {
      if (kind === 'install' && ids?.length && can('approve')) {
        const notApproved = (updates.data?.items ?? [])
          .filter((u) => ids.includes(u.updateId) && u.approval?.action !== 'approve')
          .map((u) => u.updateId);
        if (notApproved.length) await post(`/devices/${id}/updates/approve`, { updateIds: notApproved });
      }
      return post<TaskInstance>(`/devices/${id}/${kind}`, ids?.length ? { updateIds: ids } : {});
    },
    onSuccess: (r) => {
      setStarted(r);
      setInstalling(false);
      setSelected(new Set());
      void client.invalidateQueries({ queryKey: ['device', id] });
      void client.invalidateQueries({ queryKey: ['events'] });
      void client.invalidateQueries({ queryKey: ['tasks'] });
    },
    onError: (e: Error, v) =>
      notifications.show({
        color: 'red',
        title: `${v.kind === 'scan' ? 'Scan' : 'Install'} now failed`,
        message: e.message,
      }),
  });

  if (device.error) return <ErrorState error={device.error} retry={() => void device.refetch()} />;
  if (!device.data) return <Loading what="the device" />;
  const d = device.data;
  const items = updates.data?.items ?? [];
  const allSelected = items.length > 0 && items.every((u) => selected.has(u.updateId));
  const toggle = (uid: number) => {
    const next = new Set(selected);
    if (next.has(uid)) next.delete(uid);
    else next.add(uid);
    setSelected(next);
  };
  const mayApprove = can('approve');

  return (
    <>
      <Anchor component={Link} to="/devices" size="sm">
        ← Devices
      </Anchor>
      <PageTitle
        actions={
          <Group gap="xs">
            <StatusBadge status={d.status} />
            {can('manage_devices') && (
              <>
                <Button
                  size="sm"
                  variant="default"
                  loading={run.isPending && run.variables?.kind === 'scan'}
                  onClick={() => run.mutate({ kind: 'scan' })}
                >
                  Scan now
                </Button>
                <Button size="sm" onClick={() => setInstalling(true)}>
                  Install now{selected.size ? ` (${selected.size})` : ''}
                </Button>
              </>
            )}
          </Group>
        }
      >
        {d.name}
      </PageTitle>
      {started && (
        <Alert
          color="green"
          mb="md"
          withCloseButton
          onClose={() => setStarted(null)}
          title={started.kind === 'scan' ? 'Scan requested' : 'Install requested'}
          data-testid="device-action-result"
          data-instance={started.id}
        >
          <Text size="sm">
            Task instance{' '}
            <Anchor component={Link} to={`/tasks/instances/${started.id}`}>
              #{started.id}
            </Anchor>{' '}
            ({started.status}): the device {started.kind === 'scan' ? 'scans' : 'installs'} at its next
            check-in
            {started.kind === 'install' ? ', inside its maintenance window' : ''}.
          </Text>
        </Alert>
      )}
      <Modal opened={installing} onClose={() => setInstalling(false)} title={`Install now on ${d.name}`}>
        <Stack>
          <Text size="sm">
            {selected.size
              ? `Installs the ${selected.size === 1 ? 'selected update' : `${selected.size} selected updates`}${can('approve') ? '; those not approved yet are approved on this device first' : ' that are approved'}.`
              : 'Installs every approved update of this device.'}{' '}
            The device runs the install at its next check-in, inside its maintenance window.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setInstalling(false)}>
              Cancel
            </Button>
            <Button
              loading={run.isPending && run.variables?.kind === 'install'}
              onClick={() => run.mutate({ kind: 'install', ids: [...selected] })}
            >
              Install now
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Card withBorder radius="md" mb="lg">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
          {[
            ['Organization', orgName(d.organizationId)],
            ['Host name', d.hostname || '—'],
            ['Operating system', [d.osFamily, d.osName, d.osVersion].filter(Boolean).join(' ')],
            ['Addresses', d.ipAddresses.join(', ') || '—'],
            ['Agent', d.agentVersion ?? 'none'],
            ['Last seen', ago(d.lastSeenAt)],
            ['Last scan', ago(d.lastScanAt)],
            ['Reboot', d.rebootRequired ? 'required' : 'not required'],
          ].map(([k, v]) => (
            <div key={k}>
              <Text size="xs" c="gray.7" fw={600}>
                {k}
              </Text>
              <Text size="sm">{v}</Text>
            </div>
          ))}
        </SimpleGrid>
      </Card>

      <Title order={2} size="h3" mb="sm" ref={updatesHeading} tabIndex={-1}>
        Updates
      </Title>
      <Group justify="space-between" mb="sm" wrap="wrap">
        <SegmentedControl
          aria-label="Which updates"
          value={filter}
          onChange={(v) => {
            setFilter(v as Filter);
            setOffset(0);
            setSelected(new Set());
          }}
          data={[
            { value: 'open', label: 'Open' },
            { value: 'installed', label: 'Installed' },
            { value: 'ignored', label: 'Ignored' },
            { value: 'all', label: 'All' },
          ]}
        />
        {mayApprove && (
          <Group gap="xs" wrap="wrap" aria-label="Actions on the selected updates" role="group">
            {ACTIONS.map((a) => (
              <Button
                key={a.action}
                size="xs"
                color={a.color}
                variant={a.action === 'approve' ? 'filled' : 'light'}
                disabled={selected.size === 0}
                loading={act.isPending && act.variables?.action === a.action}
                onClick={() => act.mutate({ action: a.action, ids: [...selected] })}
              >
                {a.label}
                {selected.size ? ` (${selected.size})` : ''}
              </Button>
            ))}
          </Group>
        )}
      </Group>
      {statuses.error ? (
        <ErrorState error={statuses.error} retry={() => void statuses.refetch()} />
      ) : updates.error ? (
        <ErrorState error={updates.error} retry={() => void updates.refetch()} />
      ) : !updates.data ? (
        <Loading what="updates" />
      ) : items.length === 0 ? (
        <Empty>
          {filter === 'open' ? 'This device is fully patched: no open updates.' : 'No updates here.'}
        </Empty>
      ) : (
        <>
          <Table.ScrollContainer minWidth={860}>
            <Table striped data-testid="updates-table">
              <Table.Thead>
                <Table.Tr>
                  {mayApprove && (
                    <Table.Th w={40}>
                      <Checkbox
                        aria-label="Select all updates"
                        checked={allSelected}
                        indeterminate={!allSelected && selected.size > 0}
                        onChange={() =>
                          setSelected(allSelected ? new Set() : new Set(items.map((u) => u.updateId)))
                        }
                      />
                    </Table.Th>
                  )}
                  <Table.Th>Update</Table.Th>
                  <Table.Th>Severity</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Bulletin</Table.Th>
                  <Table.Th>CVEs</Table.Th>
                  <Table.Th>Approval</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((u) => (
                  <Table.Tr key={u.updateId} data-update={u.name}>
                    {mayApprove && (
                      <Table.Td>
                        <Checkbox
                          aria-label={`Select ${u.name}`}
                          checked={selected.has(u.updateId)}
                          onChange={() => toggle(u.updateId)}
                        />
                      </Table.Td>
                    )}
                    <Table.Td>
                      <Text size="sm" fw={600}>
                        {u.name}
                      </Text>
                      <Text size="xs" c="gray.7">
                        {u.installedVersion ? `${u.installedVersion} → ` : ''}
                        {u.version ?? ''} {u.kb ? `KB${u.kb.replace(/^KB/i, '')}` : ''} · {u.classification}
                      </Text>
                      {u.lastError && (
                        <Text size="xs" c="red.8">
                          {u.lastError} (attempt {u.attempts})
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <SeverityBadge severity={u.severity} />
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <StatusBadge status={u.status} />
                    </Table.Td>
                    <Table.Td>
                      {u.bulletin ? (
                        <Text size="sm">
                          {u.bulletin.externalId ?? `#${u.bulletin.id}`}
                          {u.bulletin.title && (
                            <Text span size="xs" c="gray.7" display="block">
                              {u.bulletin.title}
                            </Text>
                          )}
                        </Text>
                      ) : (
                        '—'
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {u.cves.length === 0
                          ? '—'
                          : u.cves.map((c) => (
                              <Badge key={c} variant="outline" color="gray.8" tt="none">
                                {c}
                              </Badge>
                            ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Approval u={u} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager total={updates.data.total} limit={LIMIT} offset={offset} onChange={setOffset} />
        </>
      )}

      <Title order={2} size="h3" mt="xl" mb="sm">
        History
      </Title>
      {history.error ? (
        <ErrorState error={history.error} />
      ) : !history.data ? (
        <Loading what="the history" />
      ) : history.data.items.length === 0 ? (
        <Empty>No history yet.</Empty>
      ) : (
        <Timeline bulletSize={14} lineWidth={2} data-testid="history">
          {history.data.items.map((e) => {
            const upd = items.find((u) => u.updateId === e.updateId);
            return (
              <Timeline.Item
                key={e.id}
                title={`${kindWords(e.kind)}${upd ? `: ${upd.name}` : e.updateId ? `: update ${e.updateId}` : ''}`}
                data-kind={e.kind}
              >
                <Stack gap={0}>
                  <Text size="sm">{describe(e)}</Text>
                  <Text size="xs" c="gray.7">
                    {when(e.at)} · {e.actor.name}
                  </Text>
                </Stack>
              </Timeline.Item>
            );
          })}
        </Timeline>
      )}
    </>
  );
}
