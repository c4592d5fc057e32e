import { Anchor, Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { get, qs, type Device, type Page, type PatchEvent, type Status } from '../api.ts';
import { useSession } from '../session.tsx';
import { ago, Empty, ErrorState, Loading, PageTitle } from '../ui.tsx';
import { EventLine } from './EventLog.tsx';

const OS = ['windows', 'linux', 'macos', 'unknown'] as const;

function Stat({ label, value, hint }: { label: string; value: number | string | undefined; hint?: string }) {
  return (
    <Card withBorder padding="md" radius="md">
      <Text size="sm" c="gray.7" fw={600}>
        {label}
      </Text>
      <Text fz={32} fw={700} data-testid={`stat-${label.toLowerCase().replace(/\s+/g, '-')}`}>
        {value ?? '…'}
      </Text>
      {hint && (
        <Text size="xs" c="gray.7">
          {hint}
        </Text>
      )}
    </Card>
  );
}

export function Dashboard() {
  const { organizationId, orgName } = useSession();
  const org = organizationId ?? undefined;
  const status = useQuery({ queryKey: ['status'], queryFn: () => get<Status>('/status') });
  const byOs = useQuery({
    queryKey: ['dashboard', 'os', org],
    queryFn: async () => {
      const totals = await Promise.all(
        OS.map((osFamily) =>
          get<Page<Device>>(`/devices${qs({ organizationId: org, osFamily, limit: 1 })}`).then(
            (p) => p.total,
          ),
        ),
      );
      const reboot = await get<Page<Device>>(
        `/devices${qs({ organizationId: org, rebootRequired: true, limit: 1 })}`,
      );
      return { totals, reboot: reboot.total, all: totals.reduce((a, b) => a + b, 0) };
    },
  });
  const recent = useQuery({
    queryKey: ['devices', 'recent', org],
    queryFn: () => get<Page<Device>>(`/devices${qs({ organizationId: org, limit: 5, sort: '-lastSeenAt' })}`),
  });
  const events = useQuery({
    queryKey: ['events', 'latest', org],
    queryFn: () => get<Page<PatchEvent>>(`/events${qs({ organizationId: org, limit: 10 })}`),
  });

  return (
    <>
      <PageTitle>Dashboard{organizationId !== null ? `: ${orgName(organizationId)}` : ''}</PageTitle>
      {status.error && <ErrorState error={status.error} retry={() => void status.refetch()} />}
      <SimpleGrid cols={{ base: 1, xs: 3 }} mb="lg">
        <Stat label="Organizations" value={status.data?.organizations} hint="in your scope" />
        <Stat label="Devices" value={status.data?.devices} hint="in your scope" />
        <Stat
          label="Missing updates"
          value={status.data?.missingUpdates}
          hint="device updates not installed"
        />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Card withBorder radius="md">
          <Title order={2} size="h4" mb="sm">
            Devices by operating system
          </Title>
          {byOs.error ? (
            <ErrorState error={byOs.error} retry={() => void byOs.refetch()} />
          ) : !byOs.data ? (
            <Loading what="devices" />
          ) : byOs.data.all === 0 ? (
            <Empty>No devices yet. Agents appear here once they enroll.</Empty>
          ) : (
            <Stack gap="xs">
              {OS.map((os, i) => {
                const n = byOs.data.totals[i] ?? 0;
                return (
                  <div key={os}>
                    <Group justify="space-between">
                      <Anchor component={Link} to={`/devices?osFamily=${os}`} size="sm">
                        {os}
                      </Anchor>
                      <Text size="sm">{n}</Text>
                    </Group>
                    <Progress value={(100 * n) / byOs.data.all} aria-label={`${os}: ${n} devices`} />
                  </div>
                );
              })}
              <Text size="sm" mt="sm">
                Waiting for a reboot: <b>{byOs.data.reboot}</b>
              </Text>
            </Stack>
          )}
        </Card>
        <Card withBorder radius="md">
          <Title order={2} size="h4" mb="sm">
            Recently seen devices
          </Title>
          {recent.error ? (
            <ErrorState error={recent.error} />
          ) : !recent.data ? (
            <Loading what="devices" />
          ) : recent.data.items.length === 0 ? (
            <Empty>No devices yet.</Empty>
          ) : (
            <Table>
              <Table.Tbody>
                {recent.data.items.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/devices/${d.id}`}>
                        {d.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{d.osFamily}</Table.Td>
                    <Table.Td>{ago(d.lastSeenAt ?? d.lastScanAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Anchor component={Link} to="/devices" size="sm" mt="sm" display="block">
            All devices →
          </Anchor>
        </Card>
      </SimpleGrid>
      <Card withBorder radius="md" mt="lg">
        <Title order={2} size="h4" mb="sm">
          Latest activity
        </Title>
        {events.error ? (
          <ErrorState error={events.error} />
        ) : !events.data ? (
          <Loading what="events" />
        ) : events.data.items.length === 0 ? (
          <Empty>Nothing has happened yet.</Empty>
        ) : (
          <Stack gap={6}>
            {events.data.items.map((e) => (
              <EventLine key={e.id} event={e} />
            ))}
          </Stack>
        )}
        <Anchor component={Link} to="/admin/events" size="sm" mt="sm" display="block">
          Event log →
        </Anchor>
      </Card>
    </>
  );
}
