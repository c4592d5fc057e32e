import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import {
  get,
  qs,
  type Compliance,
  type ComplianceBucket,
  type Device,
  type Page,
  type PatchEvent,
  type Severity,
  type Status,
} from '../api.ts';
import { color, Ring, StackedBars } from '../charts.tsx';
import { useSession } from '../session.tsx';
import { ago, Empty, ErrorState, Loading, PageTitle, plural, SeverityBadge } from '../ui.tsx';
import { EVENT_ORDER, EventLine } from './EventLog.tsx';

// Compliance at a glance: the share of fully patched devices, open updates by severity, failed installs,
// reboots, devices gone quiet (GET /compliance per organization, added up), the CVEs most devices are
// exposed to, and the latest activity.

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'unknown'];
const SEGMENTS: { key: ComplianceBucket; label: string; color: string }[] = [
  { key: 'missing', label: 'missing', color: color('red', 7) },
  { key: 'pending', label: 'approved, not installed yet', color: color('indigo', 5) },
  { key: 'failed', label: 'failed', color: color('orange', 6) },
];

function Stat({
  label,
  value,
  hint,
  to,
}: {
  label: string;
  value: number | string | undefined;
  hint?: string;
  to?: string;
}) {
  const number = (
    <Text fz={30} fw={700} lh={1.2} data-testid={`stat-${label.toLowerCase().replace(/\s+/g, '-')}`}>
      {value ?? '…'}
    </Text>
  );
  return (
    <Card withBorder padding="md" radius="md">
      <Text size="sm" c="gray.7" fw={600}>
        {label}
      </Text>
      {to && value !== undefined ? (
        <Anchor component={Link} to={to} underline="hover" c="inherit">
          {number}
        </Anchor>
      ) : (
        number
      )}
      {hint && (
        <Text size="xs" c="gray.7">
          {hint}
        </Text>
      )}
    </Card>
  );
}

/** the compliance of every organization in view, added up */
function sum(list: Compliance[]) {
  const devices = { devices: 0, scanned: 0, fullyPatched: 0, needingReboot: 0, notSeenRecently: 0 };
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((s) => [s, { missing: 0, pending: 0, failed: 0, installed: 0 }]),
  ) as Record<Severity, Record<ComplianceBucket, number>>;
  const totals = { missing: 0, pending: 0, failed: 0, installed: 0 };
  const cves = new Map<string, Compliance['cves']['top'][number]>();
  let openCves = 0;
  for (const c of list) {
    for (const k of Object.keys(devices) as (keyof typeof devices)[]) devices[k] += c.devices[k];
    for (const [sev, buckets] of Object.entries(c.updates.bySeverity)) {
      // 'none' counts with 'unknown': neither has a severity worth telling apart here
      const row = bySeverity[(sev === 'none' ? 'unknown' : sev) as Severity];
      for (const b of Object.keys(totals) as ComplianceBucket[]) row[b] += buckets[b];
    }
    for (const b of Object.keys(totals) as ComplianceBucket[]) totals[b] += c.updates.totals[b];
    openCves += c.cves.open;
    for (const t of c.cves.top) {
      const seen = cves.get(t.id);
      cves.set(t.id, seen ? { ...seen, devices: seen.devices + t.devices } : t);
    }
  }
  const top = [...cves.values()]
    .sort(
      (a, b) =>
        Number(b.knownExploited) - Number(a.knownExploited) ||
        (b.cvssScore ?? 0) - (a.cvssScore ?? 0) ||
        b.devices - a.devices,
    )
    .slice(0, 8);
  return { devices, bySeverity, totals, cves: { open: openCves, top } };
}

export function Dashboard() {
  const { organizationId, orgName, organizations, organizationsLoaded } = useSession();
  const org = organizationId ?? undefined;
  const inView = organizationId === null ? organizations.map((o) => o.id) : [organizationId];
  const status = useQuery({
    queryKey: ['status', org],
    queryFn: () => get<Status>(`/status${qs({ organizationId: org })}`),
  });
  const compliance = useQuery({
    queryKey: ['compliance', inView],
    queryFn: async () =>
      sum(
        await Promise.all(
          inView.map((id) => get<Compliance>(`/compliance${qs({ organizationId: id, topCves: 8 })}`)),
        ),
      ),
    enabled: organizations.length > 0,
  });
  // the lists below the charts wait for the counts and charts: the embedded store answers one query at a time
  const settled =
    status.isFetched && (compliance.isFetched || (organizationsLoaded && organizations.length === 0));
  const quiet = useQuery({
    queryKey: ['devices', 'quiet', org],
    queryFn: () =>
      get<Page<Device>>(
        `/devices${qs({ organizationId: org, limit: 5, sort: 'lastSeenAt', status: 'active' })}`,
      ),
    enabled: settled,
  });
  const events = useQuery({
    queryKey: ['events', 'latest', org],
    queryFn: () =>
      get<Page<PatchEvent>>(`/events${qs({ organizationId: org, limit: 10, sort: EVENT_ORDER })}`),
    enabled: settled,
  });
  const c = compliance.data;
  const scopeHint = organizationId === null ? 'in your scope' : 'in this organization';
  const none = organizations.length === 0 || (c && c.devices.devices === 0);

  return (
    <>
      <PageTitle>Dashboard{organizationId !== null ? `: ${orgName(organizationId)}` : ''}</PageTitle>
      {status.error && <ErrorState error={status.error} retry={() => void status.refetch()} />}
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} mb="lg" spacing="md">
        <Stat label="Organizations" value={status.data?.organizations} hint={scopeHint} />
        <Stat label="Devices" value={status.data?.devices} hint={scopeHint} to="/devices" />
        <Stat
          label="Missing updates"
          value={status.data?.missingUpdates}
          hint="device updates not installed"
        />
        <Stat label="Failed installs" value={c?.totals.failed} hint="updates whose install failed" />
        <Stat
          label="Waiting for a reboot"
          value={c?.devices.needingReboot}
          hint="devices"
          to="/devices?rebootRequired=true"
        />
        <Stat
          label="Not seen recently"
          value={c?.devices.notSeenRecently}
          hint="devices silent for 7 days"
          to="/devices?sort=lastSeenAt"
        />
      </SimpleGrid>
      {compliance.error && <ErrorState error={compliance.error} retry={() => void compliance.refetch()} />}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Card withBorder radius="md">
          <Title order={2} size="h4" mb="sm">
            Fully patched devices
          </Title>
          {none ? (
            <Empty>No devices yet. Agents appear here once they enroll.</Empty>
          ) : !c ? (
            <Loading what="compliance" />
          ) : (
            <Group gap="lg" wrap="nowrap" align="center">
              <Ring
                value={c.devices.fullyPatched}
                total={c.devices.scanned}
                label="Scanned devices with nothing missing, approved-but-pending or failed"
                testId="chart-fully-patched"
              />
              <Stack gap={4}>
                <Text size="sm">
                  <b data-testid="fully-patched">{c.devices.fullyPatched}</b> of {c.devices.scanned} scanned
                  devices have nothing missing, pending or failed.
                </Text>
                {c.devices.devices > c.devices.scanned && (
                  <Text size="sm" c="gray.7">
                    {c.devices.devices - c.devices.scanned === 1
                      ? '1 device has'
                      : `${c.devices.devices - c.devices.scanned} devices have`}{' '}
                    not reported a scan yet.
                  </Text>
                )}
                <Text size="sm" c="gray.7">
                  {plural(c.totals.installed, 'update')} installed; {plural(c.cves.open, 'CVE')} still open.
                </Text>
              </Stack>
            </Group>
          )}
        </Card>
        <Card withBorder radius="md">
          <Title order={2} size="h4" mb="sm">
            Open updates by severity
          </Title>
          {none ? (
            <Empty>Nothing is missing: no device has reported a scan yet.</Empty>
          ) : !c ? (
            <Loading what="compliance" />
          ) : (
            <StackedBars
              label="Open updates"
              testId="chart-severity"
              segments={SEGMENTS}
              rows={SEVERITIES.map((s) => ({
                key: s,
                label: s === 'unknown' ? 'no severity' : s,
                values: c.bySeverity[s],
              }))}
            />
          )}
        </Card>
        <Card withBorder radius="md">
          <Title order={2} size="h4" mb="sm">
            Most exposed CVEs
          </Title>
          {!c ? (
            compliance.isLoading ? (
              <Loading what="CVEs" />
            ) : (
              <Empty>No CVEs yet.</Empty>
            )
          ) : c.cves.top.length === 0 ? (
            <Empty>No open CVEs: every update that fixes a known CVE is installed.</Empty>
          ) : (
            <Table.ScrollContainer minWidth={360}>
              <Table data-testid="top-cves">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>CVE</Table.Th>
                    <Table.Th>Severity</Table.Th>
                    <Table.Th>CVSS</Table.Th>
                    <Table.Th>Devices</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {c.cves.top.map((t) => (
                    <Table.Tr key={t.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/catalog?cve=${t.id}`} size="sm">
                          {t.id}
                        </Anchor>
                        {t.knownExploited && (
                          <Badge ml={6} color="red" variant="filled" size="xs">
                            exploited
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <SeverityBadge severity={t.severity} />
                      </Table.Td>
                      <Table.Td>{t.cvssScore === null ? '—' : t.cvssScore.toFixed(1)}</Table.Td>
                      <Table.Td>{t.devices}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Card>
        <Card withBorder radius="md">
          <Title order={2} size="h4" mb="sm">
            Silent the longest
          </Title>
          {quiet.error ? (
            <ErrorState error={quiet.error} />
          ) : !quiet.data ? (
            <Loading what="devices" />
          ) : quiet.data.items.length === 0 ? (
            <Empty>No devices yet.</Empty>
          ) : (
            <Table>
              <Table.Tbody>
                {quiet.data.items.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/devices/${d.id}`}>
                        {d.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{d.osFamily}</Table.Td>
                    <Table.Td>last seen {ago(d.lastSeenAt)}</Table.Td>
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
