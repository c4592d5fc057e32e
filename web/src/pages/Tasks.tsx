import {
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Group,
  Progress,
  SimpleGrid,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { get, post, qs, type TaskInstance, type TaskInstanceDetail } from '../api.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, Loading, PageTitle, StatusBadge, when } from '../ui.tsx';

// Task instances: the running ones with live progress (polled), the latest finished ones, one with its
// per-device results, Stop.

const INSTANCE_COLOR: Record<TaskInstance['status'], string> = {
  NotStarted: 'gray',
  Started: 'cyan',
  StopRequested: 'orange',
  Completed: 'green',
  Failed: 'red',
};
const STATUS_WORDS: Record<TaskInstance['status'], string> = {
  NotStarted: 'not started',
  Started: 'running',
  StopRequested: 'stopping',
  Completed: 'completed',
  Failed: 'failed',
};
/** progress is a fraction 0–1 (engine/dispatch.ts) */
const percent = (p: number) => Math.round(Math.max(0, Math.min(1, p)) * 100);

function InstanceStatus({ status }: { status: TaskInstance['status'] }) {
  return (
    <Badge color={INSTANCE_COLOR[status]} variant="light" data-status={status}>
      {STATUS_WORDS[status]}
    </Badge>
  );
}

function StopButton({ instance }: { instance: TaskInstance }) {
  const client = useQueryClient();
  const { can } = useSession();
  const stop = useMutation({
    mutationFn: () => post<TaskInstance>(`/task-instances/${instance.id}/stop`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['task-instances'] });
      notifications.show({ message: `Asked instance ${instance.id} to stop` });
    },
    onError: (e) => notifications.show({ color: 'red', title: 'Not stopped', message: e.message }),
  });
  if (!can('manage_policies') || !['NotStarted', 'Started'].includes(instance.status)) return null;
  return (
    <Button size="xs" color="red" variant="light" loading={stop.isPending} onClick={() => stop.mutate()}>
      Stop
    </Button>
  );
}

function InstanceTable({
  items,
  testId,
  finished,
  label,
}: {
  items: TaskInstance[];
  testId: string;
  finished?: boolean;
  label: string;
}) {
  const { orgName } = useSession();
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table striped data-testid={testId} aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Instance</Table.Th>
            <Table.Th>Kind</Table.Th>
            <Table.Th>Organization</Table.Th>
            <Table.Th>Status</Table.Th>
            {finished ? <Table.Th>Finished</Table.Th> : <Table.Th w={200}>Progress</Table.Th>}
            <Table.Th>Started</Table.Th>
            {!finished && (
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            )}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((i) => (
            <Table.Tr key={i.id} data-instance={i.id}>
              <Table.Td>
                <Anchor component={Link} to={`/tasks/instances/${i.id}`} fw={600}>
                  #{i.id}
                </Anchor>
              </Table.Td>
              <Table.Td>{i.kind}</Table.Td>
              <Table.Td>{orgName(i.organizationId)}</Table.Td>
              <Table.Td>
                <InstanceStatus status={i.status} />
                {finished && i.error && (
                  <Text size="xs" c="red.8">
                    {i.error}
                  </Text>
                )}
              </Table.Td>
              {finished ? (
                <Table.Td>{when(i.finishedAt)}</Table.Td>
              ) : (
                <Table.Td>
                  <Progress value={percent(i.progress)} aria-label={`progress ${percent(i.progress)}%`} />
                  <Text size="xs" c="gray.7">
                    {percent(i.progress)}%
                  </Text>
                </Table.Td>
              )}
              <Table.Td>{when(i.startedAt)}</Table.Td>
              {!finished && (
                <Table.Td>
                  <StopButton instance={i} />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function Tasks() {
  const { organizationId } = useSession();
  const org = organizationId ?? undefined;
  const list = useQuery({
    queryKey: ['task-instances', 'running', organizationId],
    queryFn: () =>
      get<{ items: TaskInstance[] }>(`/task-instances${qs({ running: true, organizationId: org })}`),
    refetchInterval: 3000,
  });
  // the history: the latest finished instances (Scan now / Install now often finish in milliseconds)
  const finished = useQuery({
    queryKey: ['task-instances', 'finished', organizationId],
    queryFn: () =>
      get<{ items: TaskInstance[] }>(
        `/task-instances${qs({ running: false, organizationId: org, limit: FINISHED_SHOWN })}`,
      ),
    refetchInterval: 5000,
  });
  return (
    <>
      <PageTitle>Tasks</PageTitle>
      <Title order={2} size="h4" mb="xs">
        Running
      </Title>
      {list.error ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading what="task instances" />
      ) : list.data.items.length === 0 ? (
        <Empty>No task is running. Scheduled policies start instances when they fire.</Empty>
      ) : (
        <InstanceTable items={list.data.items} testId="instances-table" label="Running task instances" />
      )}
      <Title order={2} size="h4" mt="xl" mb="xs">
        Finished
      </Title>
      {finished.error ? (
        <ErrorState error={finished.error} retry={() => void finished.refetch()} />
      ) : !finished.data ? (
        <Loading what="finished task instances" />
      ) : finished.data.items.length === 0 ? (
        <Empty>No task has finished yet.</Empty>
      ) : (
        <>
          <Text size="sm" c="gray.7" mb="xs">
            The latest {FINISHED_SHOWN} finished instances, the newest first.
          </Text>
          <InstanceTable
            items={finished.data.items}
            testId="finished-table"
            label="Finished task instances"
            finished
          />
        </>
      )}
    </>
  );
}

const FINISHED_SHOWN = 50;

export function TaskInstancePage() {
  const { id } = useParams();
  const { orgName } = useSession();
  const q = useQuery({
    queryKey: ['task-instances', 'one', id],
    queryFn: () => get<TaskInstanceDetail>(`/task-instances/${id}`),
    // live while it runs
    refetchInterval: (query) =>
      query.state.data && ['Completed', 'Failed'].includes(query.state.data.status) ? false : 2000,
  });
  if (q.error) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading what="the task instance" />;
  const i = q.data;
  return (
    <>
      <PageTitle actions={<StopButton instance={i} />}>
        Task instance #{i.id} <InstanceStatus status={i.status} />
      </PageTitle>
      <SimpleGrid cols={{ base: 1, sm: 2 }} mb="lg">
        <Card withBorder>
          <Text size="sm">Kind: {i.kind}</Text>
          <Text size="sm">Organization: {orgName(i.organizationId)}</Text>
          <Text size="sm">Occurrence: {when(i.occurrenceAt)}</Text>
          <Text size="sm">Created by {i.createdBy}</Text>
        </Card>
        <Card withBorder>
          <Group justify="space-between">
            <Text size="sm">Progress</Text>
            <Text size="sm" fw={600} data-testid="instance-progress">
              {percent(i.progress)}%
            </Text>
          </Group>
          <Progress value={percent(i.progress)} my="xs" aria-label={`progress ${percent(i.progress)}%`} />
          <Text size="sm">Started {when(i.startedAt)}</Text>
          <Text size="sm">Finished {i.finishedAt ? when(i.finishedAt) : '—'}</Text>
          {i.error && (
            <Text size="sm" c="red">
              {i.error}
            </Text>
          )}
        </Card>
      </SimpleGrid>
      {i.devices.length === 0 ? (
        <Empty>No per-device results yet.</Empty>
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table striped data-testid="instance-devices">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Device</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Job</Table.Th>
                <Table.Th>Result</Table.Th>
                <Table.Th>Updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {i.devices.map((d) => (
                <Table.Tr key={d.deviceId}>
                  <Table.Td>
                    <Anchor component={Link} to={`/devices/${d.deviceId}`}>
                      {d.deviceName}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={d.status} />
                  </Table.Td>
                  <Table.Td>{d.job ? `${d.job.kind} (${d.job.status})` : '—'}</Table.Td>
                  <Table.Td>
                    {Object.keys(d.result).length ? <Code>{JSON.stringify(d.result)}</Code> : '—'}
                  </Table.Td>
                  <Table.Td>{when(d.updatedAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}
