import { useState } from 'react';
import { Anchor, Badge, Group, Table, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { get, qs, type Page, type PatchEvent } from '../api.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, label, Loading, PageTitle, Pager, when } from '../ui.tsx';

/** an event kind in words: "task_instance.created" → "Task started" (unknown kinds spelled out) */
const KIND_WORDS: Record<string, string> = {
  'api_key.created': 'API key created',
  'api_key.revoked': 'API key revoked',
  'approval.set': 'Approval set',
  'approval.cleared': 'Approval cleared',
  'auth.login': 'Signed in',
  'auth.logout': 'Signed out',
  'bulletins.custom_severity_set': 'Custom severity set',
  'catalog.imported': 'Catalog imported',
  'custom_severities.replaced': 'Custom severities changed',
  'device.clone_suspected': 'Copied agent refused',
  'device.created': 'Device added',
  'device.credential_rotated': 'Device credential renewed',
  'device.deleted': 'Device deleted',
  'device.enrolled': 'Device enrolled',
  'device.updated': 'Device changed',
  'device_update.status': 'Update status changed',
  'group.created': 'Group created',
  'group.deleted': 'Group deleted',
  'group.updated': 'Group changed',
  'install_token.created': 'Install token created',
  'install_token.revoked': 'Install token revoked',
  'job.cancelled': 'Job cancelled',
  'job.started': 'Job started',
  'job.succeeded': 'Job succeeded',
  'job.failed': 'Job failed',
  'organization.created': 'Organization created',
  'organization.deleted': 'Organization deleted',
  'organization.updated': 'Organization changed',
  'package.rejected': 'Package rejected',
  'package.staged': 'Package staged',
  'policy.created': 'Policy created',
  'policy.deleted': 'Policy deleted',
  'policy.updated': 'Policy changed',
  'role.created': 'Role created',
  'role.deleted': 'Role deleted',
  'role.updated': 'Role changed',
  'scope.created': 'Scope created',
  'scope.deleted': 'Scope deleted',
  'scope.updated': 'Scope changed',
  'task.created': 'Task created',
  'task.schedule_invalid': 'Task schedule not valid',
  'task.scheduled': 'Task scheduled',
  'task_instance.cancelled': 'Task cancelled',
  'task_instance.created': 'Task started',
  'task_instance.stop_requested': 'Task stop requested',
  'task_instance.target_changed': 'Task targets changed',
  'user.created': 'User created',
  'user.deleted': 'User deleted',
  'user.updated': 'User changed',
  'window.created': 'Maintenance window created',
  'window.deleted': 'Maintenance window deleted',
  'window.updated': 'Maintenance window changed',
};
export function kindWords(kind: string): string {
  const known = KIND_WORDS[kind];
  if (known) return known;
  const words = kind.replace(/[._]/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
/** newest first by time (the demo's history is recorded out of id order) */
export const EVENT_ORDER = '-at';

/** one sentence for an event: what changed, from and to */
export function describe(e: PatchEvent): string {
  const d = e.data;
  const parts: string[] = [];
  if (typeof d.from !== 'undefined' || typeof d.to !== 'undefined')
    parts.push(`${label(String(d.from ?? '—'))} → ${label(String(d.to ?? '—'))}`);
  if (typeof d.action === 'string') parts.push(d.action);
  if (typeof d.reason === 'string') parts.push(`(${d.reason})`);
  if (typeof d.name === 'string') parts.push(d.name);
  return parts.join(' ');
}

export function EventLine({ event: e }: { event: PatchEvent }) {
  return (
    <Group gap="xs" wrap="wrap" align="baseline">
      <Text size="xs" c="gray.7" w={150}>
        <time dateTime={e.at} data-event-at={e.at}>
          {when(e.at)}
        </time>
      </Text>
      <Badge variant="outline" color="gray.8" tt="none" title={e.kind} style={{ overflow: 'visible' }}>
        {kindWords(e.kind)}
      </Badge>
      <Text size="sm">{describe(e)}</Text>
      {e.deviceId !== null && (
        <Anchor component={Link} to={`/devices/${e.deviceId}`} size="sm">
          {e.deviceName ?? `device ${e.deviceId}`}
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
        `/events${qs({ organizationId: organizationId ?? undefined, kind: kind.trim() || undefined, limit: LIMIT, offset, sort: EVENT_ORDER })}`,
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
                    <Table.Td title={e.kind}>{kindWords(e.kind)}</Table.Td>
                    <Table.Td>{describe(e)}</Table.Td>
                    <Table.Td>{orgName(e.organizationId)}</Table.Td>
                    <Table.Td>
                      {e.deviceId !== null ? (
                        <Anchor component={Link} to={`/devices/${e.deviceId}`}>
                          {e.deviceName ?? `device ${e.deviceId}`}
                        </Anchor>
                      ) : (
                        `${label(e.subjectType)} ${e.subjectId ?? ''}`
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
