import { useState } from 'react';
import { Anchor, Badge, Button, Card, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { get, qs, type Bulletin, type Cve, type Page } from '../api.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, Loading, PageTitle, Pager, SeverityBadge, StatusBadge, when } from '../ui.tsx';

const LIMIT = 25;
const CVE_RE = /^CVE-\d{4}-\d{4,}$/i;

function BulletinTable({ items, testId }: { items: Bulletin[]; testId: string }) {
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table striped data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Bulletin</Table.Th>
            <Table.Th>Title</Table.Th>
            <Table.Th>Severity</Table.Th>
            <Table.Th>CVEs</Table.Th>
            <Table.Th>Released</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((b) => (
            <Table.Tr key={b.id}>
              <Table.Td fw={600}>
                {b.url ? (
                  <Anchor href={b.url} target="_blank" rel="noreferrer">
                    {b.externalId ?? `#${b.id}`}
                  </Anchor>
                ) : (
                  (b.externalId ?? `#${b.id}`)
                )}
                {!b.enabled && (
                  <Badge ml="xs" color="gray" variant="light">
                    disabled
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{b.title ?? '—'}</Text>
                {b.vendor && (
                  <Text size="xs" c="dimmed">
                    {b.vendor.name}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <SeverityBadge severity={b.severity} />
              </Table.Td>
              <Table.Td>
                <Text size="sm">
                  {b.cves.slice(0, 4).join(', ')}
                  {b.cves.length > 4 ? ` and ${b.cves.length - 4} more` : ''}
                </Text>
              </Table.Td>
              <Table.Td>{b.releasedAt ? new Date(b.releasedAt).toLocaleDateString() : '—'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function CveLookup() {
  // the dashboard links here with ?cve=CVE-…
  const [params] = useSearchParams();
  const linked = params.get('cve')?.trim().toUpperCase() ?? '';
  const [input, setInput] = useState(CVE_RE.test(linked) ? linked : '');
  const [cve, setCve] = useState<string | null>(CVE_RE.test(linked) ? linked : null);
  const { orgName } = useSession();
  const q = useQuery({
    queryKey: ['cve', cve],
    queryFn: () => get<Cve>(`/cves/${encodeURIComponent(cve!)}`),
    enabled: !!cve,
    retry: false,
  });
  const valid = CVE_RE.test(input.trim());
  return (
    <Card withBorder mb="lg">
      <Title order={2} size="h4" mb="xs">
        CVE lookup
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) setCve(input.trim().toUpperCase());
        }}
      >
        <Group align="end">
          <TextInput
            label="CVE"
            placeholder="CVE-2024-3094"
            value={input}
            onChange={(e) => setInput(e.currentTarget.value)}
            error={input && !valid ? 'a CVE looks like CVE-2024-3094' : undefined}
            w={{ base: '100%', sm: 260 }}
          />
          <Button type="submit" disabled={!valid}>
            Look up
          </Button>
        </Group>
      </form>
      {cve &&
        (q.error ? (
          <ErrorState error={q.error} />
        ) : !q.data ? (
          <Loading what={cve} />
        ) : (
          <Stack mt="md" gap="sm" data-testid="cve-result">
            <Group gap="xs">
              <Text fw={700}>{q.data.id}</Text>
              <SeverityBadge severity={q.data.severity} />
              {q.data.cvssScore !== null && <Badge variant="outline">CVSS {q.data.cvssScore}</Badge>}
              {q.data.knownExploited && <Badge color="red">known exploited</Badge>}
            </Group>
            {q.data.description && <Text size="sm">{q.data.description}</Text>}
            <Text size="sm" c="dimmed">
              Published {when(q.data.publishedAt)}
            </Text>
            <Title order={3} size="h5">
              Bulletins that fix it
            </Title>
            {q.data.bulletins.length === 0 ? (
              <Text c="dimmed" size="sm">
                No bulletin in the catalog names this CVE.
              </Text>
            ) : (
              <BulletinTable items={q.data.bulletins} testId="cve-bulletins" />
            )}
            <Title order={3} size="h5">
              Exposed devices ({q.data.exposedDevices.length})
            </Title>
            {q.data.exposedDevices.length === 0 ? (
              <Text c="dimmed" size="sm">
                No device in your scope is exposed.
              </Text>
            ) : (
              <Table.ScrollContainer minWidth={600}>
                <Table striped data-testid="cve-devices">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Device</Table.Th>
                      <Table.Th>Organization</Table.Th>
                      <Table.Th>Update</Table.Th>
                      <Table.Th>Installed</Table.Th>
                      <Table.Th>Status</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {q.data.exposedDevices.map((d) => (
                      <Table.Tr key={`${d.deviceId}-${d.update.id}`}>
                        <Table.Td>
                          <Anchor component={Link} to={`/devices/${d.deviceId}`}>
                            {d.deviceName}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>{orgName(d.organizationId)}</Table.Td>
                        <Table.Td>
                          {d.update.name}
                          {d.update.version ? ` ${d.update.version}` : ''}
                          {d.update.kb ? ` (${d.update.kb})` : ''}
                        </Table.Td>
                        <Table.Td>{d.installedVersion ?? '—'}</Table.Td>
                        <Table.Td>
                          <StatusBadge status={d.status} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Stack>
        ))}
    </Card>
  );
}

export function Catalog() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [offset, setOffset] = useState(0);
  const list = useQuery({
    queryKey: ['bulletins', q, offset],
    queryFn: () => get<Page<Bulletin>>(`/bulletins${qs({ q, limit: LIMIT, offset, sort: '-releasedAt' })}`),
  });
  return (
    <>
      <PageTitle>Catalog</PageTitle>
      <CveLookup />
      <Title order={2} size="h4" mb="xs">
        Bulletins
      </Title>
      <TextInput
        label="Search bulletins"
        placeholder="title, identifier or package"
        type="search"
        value={search}
        onChange={(e) => {
          setSearch(e.currentTarget.value);
          setOffset(0);
        }}
        w={{ base: '100%', sm: 320 }}
        mb="md"
      />
      {list.error ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading what="bulletins" />
      ) : list.data.items.length === 0 ? (
        <Empty>{q ? `No bulletin matches “${q}”.` : 'The catalog has no bulletins yet.'}</Empty>
      ) : (
        <>
          <BulletinTable items={list.data.items} testId="bulletins-table" />
          <Pager total={list.data.total} limit={LIMIT} offset={offset} onChange={setOffset} />
        </>
      )}
    </>
  );
}
