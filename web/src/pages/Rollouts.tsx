import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AutoApprovalPreview,
  AutoApprovalRule,
  Rollout,
  RolloutPlan,
  RolloutPlanDetail,
} from '../../../src/wire/rollouts.ts';
import { get, post, put, qs } from '../api.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorState, label, Loading, PageTitle, when } from '../ui.tsx';

// Safe rollout: each plan's rollouts ring by ring (progress, gate, and why a gate failed) with the
// operator's actions, and the organization's auto-approval rules with a preview of a rule before saving.

const STATE_COLOR: Record<string, string> = {
  running: 'blue',
  paused: 'yellow',
  halted: 'red',
  completed: 'green',
};
const GATE_COLOR: Record<string, string> = {
  pending: 'gray',
  passed: 'green',
  failed: 'red',
  skipped: 'orange',
};

function RolloutCard({ r, planId }: { r: Rollout; planId: number }) {
  const { can } = useSession();
  const qc = useQueryClient();
  const act = useMutation({
    mutationFn: (action: string) => post<RolloutPlanDetail>(`/rollouts/${r.id}/${action}`, {}),
    onSuccess: (_d, action) => {
      notifications.show({ color: 'green', message: `Rollout of ${r.updateName}: ${label(action)} done` });
      void qc.invalidateQueries({ queryKey: ['rollout-plan', planId] });
    },
    onError: (e) => notifications.show({ color: 'red', message: (e as Error).message }),
  });
  const actions: [string, string, boolean][] = [
    ['pause', 'Pause', r.state === 'running'],
    ['resume', 'Resume', r.state === 'paused'],
    ['skip-gate', 'Skip gate', r.state !== 'completed' && !!r.rings[r.currentRing]?.startedAt],
    ['roll-forward', 'Roll forward', r.state !== 'completed'],
  ];
  return (
    <Card withBorder data-testid={`rollout-${r.id}`}>
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Text fw={600}>{r.updateName}</Text>
          <Badge color={STATE_COLOR[r.state] ?? 'gray'} data-testid="rollout-state">
            {r.state}
          </Badge>
        </Group>
        {can('approve') && (
          <Group gap="xs">
            {actions
              .filter(([, , shown]) => shown)
              .map(([a, text]) => (
                <Button
                  key={a}
                  size="xs"
                  variant="default"
                  loading={act.isPending}
                  onClick={() => act.mutate(a)}
                >
                  {text}
                </Button>
              ))}
          </Group>
        )}
      </Group>
      {r.state === 'halted' && r.reason && (
        <Alert color="red" title="Rollout stopped" mb="xs" data-testid="rollout-reason">
          {r.reason}
        </Alert>
      )}
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Ring</Table.Th>
            <Table.Th>Devices</Table.Th>
            <Table.Th>Started</Table.Th>
            <Table.Th>Gate</Table.Th>
            <Table.Th>Healthy</Table.Th>
            <Table.Th>Why</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {r.rings.map((g) => (
            <Table.Tr key={g.index} data-testid={`ring-${g.index}`}>
              <Table.Td>
                {r.currentRing === g.index ? '▸ ' : ''}
                {g.index + 1}. {g.name}
              </Table.Td>
              <Table.Td>{g.startedAt ? g.devices : '–'}</Table.Td>
              <Table.Td>
                {g.startedAt
                  ? when(g.startedAt)
                  : g.startsAt
                    ? `from ${when(g.startsAt)}`
                    : 'after the previous ring'}
              </Table.Td>
              <Table.Td>
                <Badge color={GATE_COLOR[g.gate] ?? 'gray'} data-testid="ring-gate">
                  {g.gate}
                </Badge>{' '}
                {g.gate === 'pending' && g.gateDueAt && (
                  <Text span size="xs">
                    judged {when(g.gateDueAt)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {g.percent === null ? '–' : `${g.percent}%`} of {g.minPercent}% needed after {g.afterHours} h
              </Table.Td>
              <Table.Td data-testid="ring-reason">{g.reason ?? ''}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

function PlanCard({ plan }: { plan: RolloutPlan }) {
  const q = useQuery({
    queryKey: ['rollout-plan', plan.id],
    queryFn: () => get<RolloutPlanDetail>(`/rollout-plans/${plan.id}`),
  });
  return (
    <Stack gap="xs" data-testid={`plan-${plan.id}`}>
      <Title order={2} size="h4">
        {plan.name}{' '}
        <Text span size="sm" c="dimmed">
          {plan.rings.map((r) => r.name).join(' → ')}
        </Text>
      </Title>
      {q.isLoading && <Loading what="rollouts" />}
      {q.error && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.data && !q.data.rollouts.length && <Empty>No update was approved into this plan yet.</Empty>}
      {q.data?.rollouts.map((r) => (
        <RolloutCard key={r.id} r={r} planId={plan.id} />
      ))}
    </Stack>
  );
}

export function Rollouts() {
  const { organizationId } = useSession();
  const q = useQuery({
    queryKey: ['rollout-plans', organizationId],
    queryFn: () => get<{ items: RolloutPlan[] }>(`/rollout-plans${qs({ organizationId })}`),
  });
  return (
    <>
      <PageTitle>Rollouts</PageTitle>
      {q.isLoading && <Loading what="rollout plans" />}
      {q.error && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.data && !q.data.items.length && (
        <Empty>No rollout plan yet: create one through the API or `patchline rollout create`.</Empty>
      )}
      <Stack gap="xl">
        {q.data?.items.map((p) => (
          <PlanCard key={p.id} plan={p} />
        ))}
      </Stack>
    </>
  );
}

const EXAMPLE_RULE = JSON.stringify(
  { name: 'Known exploited, approve', conditions: { knownExploited: true }, action: 'approve' },
  null,
  2,
);

export function AutoApproval() {
  const { organizationId, organizations, can } = useSession();
  const [picked, setPicked] = useState<number | null>(null);
  const org = organizationId ?? picked ?? organizations[0]?.id ?? null;
  const [text, setText] = useState(EXAMPLE_RULE);
  const qc = useQueryClient();
  const rules = useQuery({
    queryKey: ['auto-approval-rules', org],
    enabled: org !== null,
    queryFn: () => get<{ items: AutoApprovalRule[] }>(`/organizations/${org}/auto-approval-rules`),
  });
  const parse = () => {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new Error(`the rule is not JSON: ${(e as Error).message}`, { cause: e });
    }
  };
  const preview = useMutation({
    mutationFn: async () => post<AutoApprovalPreview>(`/organizations/${org}/auto-approval/preview`, parse()),
  });
  const reorder = useMutation({
    mutationFn: (ruleIds: number[]) =>
      put<{ items: AutoApprovalRule[] }>(`/organizations/${org}/auto-approval-rules/order`, { ruleIds }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['auto-approval-rules', org] }),
    onError: (e) => notifications.show({ color: 'red', message: (e as Error).message }),
  });
  /** the rule at index i swapped with its neighbour (-1 up, +1 down): the first matching rule decides */
  const move = (i: number, by: -1 | 1) => {
    const ids = (rules.data?.items ?? []).map((r) => r.id);
    const j = i + by;
    if (j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    reorder.mutate(ids);
  };
  const save = useMutation({
    mutationFn: async () => post<AutoApprovalRule>(`/organizations/${org}/auto-approval-rules`, parse()),
    onSuccess: (r) => {
      notifications.show({ color: 'green', message: `Rule ${r.name} saved` });
      void qc.invalidateQueries({ queryKey: ['auto-approval-rules', org] });
    },
  });
  return (
    <>
      <PageTitle>Auto-approval rules</PageTitle>
      {organizationId === null && organizations.length > 1 && (
        <Select
          label="Organization"
          mb="md"
          w={260}
          value={org === null ? null : String(org)}
          onChange={(v) => setPicked(v ? Number(v) : null)}
          data={organizations.map((o) => ({ value: String(o.id), label: o.name }))}
        />
      )}
      {rules.error && <ErrorState error={rules.error} retry={() => void rules.refetch()} />}
      {rules.data && !rules.data.items.length && <Empty>No rule: every update waits for a person.</Empty>}
      {!!rules.data?.items.length && (
        <Table striped mb="lg" data-testid="rules">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>When</Table.Th>
              <Table.Th>Then</Table.Th>
              {can('approve') && <Table.Th>Order</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.data.items.map((r, i, all) => (
              <Table.Tr key={r.id} data-testid={`rule-${r.id}`}>
                <Table.Td>{r.position}</Table.Td>
                <Table.Td>
                  {r.name}
                  {!r.enabled && ' (disabled)'}
                </Table.Td>
                <Table.Td>
                  <code>{JSON.stringify(r.conditions)}</code>
                </Table.Td>
                <Table.Td>
                  {r.action}
                  {r.planId !== null && ` into plan ${r.planId}`}
                </Table.Td>
                {can('approve') && (
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button
                        size="compact-xs"
                        variant="default"
                        aria-label={`Move ${r.name} up`}
                        disabled={i === 0 || reorder.isPending}
                        onClick={() => move(i, -1)}
                      >
                        ↑
                      </Button>
                      <Button
                        size="compact-xs"
                        variant="default"
                        aria-label={`Move ${r.name} down`}
                        disabled={i === all.length - 1 || reorder.isPending}
                        onClick={() => move(i, 1)}
                      >
                        ↓
                      </Button>
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Textarea
        label="A rule"
        description="conditions: knownExploited, epssScoreAtLeast, epssPercentileAtLeast, cvssAtLeast, severityAtLeast, customSeverity, minAgeDays, classifications, product, package, groups, tags; action: approve, ignore or stop"
        autosize
        minRows={6}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        styles={{ input: { fontFamily: 'monospace' } }}
      />
      <Group mt="sm">
        <Button
          variant="default"
          onClick={() => preview.mutate()}
          loading={preview.isPending}
          disabled={org === null}
        >
          Preview
        </Button>
        {can('approve') && (
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={org === null}>
            Save rule
          </Button>
        )}
      </Group>
      {(preview.error || save.error) && (
        <Alert color="red" mt="sm">
          {((preview.error ?? save.error) as Error).message}
        </Alert>
      )}
      {preview.data && (
        <Stack mt="md" gap="xs" data-testid="preview">
          <Text>
            Would {preview.data.action} now on {preview.data.deviceCount} device
            {preview.data.deviceCount === 1 ? '' : 's'}:
          </Text>
          {preview.data.updates.map((u) => (
            <Text key={u.updateId} size="sm">
              {u.name}: devices {u.devices.map((d) => d.id).join(', ')}
            </Text>
          ))}
        </Stack>
      )}
    </>
  );
}
