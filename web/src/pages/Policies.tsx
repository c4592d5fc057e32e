import { useEffect, useRef, useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  MultiSelect,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import {
  get,
  post,
  put,
  qs,
  type Group as DeviceGroup,
  type Page,
  type Policy,
  type PolicyPreview,
  type Severity,
} from '../api.ts';
import type { RolloutPlan } from '../../../src/wire/rollouts.ts';
import { useSession } from '../session.tsx';
import {
  describeSchedule,
  fromCanonical,
  LiveOccurrences,
  newDraft,
  OccurrenceList,
  ScheduleBuilder,
  toCanonical,
  type ScheduleDraft,
} from '../schedule.tsx';
import { Empty, ErrorState, Loading, PageTitle, plural, SeverityBadge, when } from '../ui.tsx';

const RULE_LABEL: Record<string, string> = {
  all: 'All updates',
  severity: 'By severity',
  manual: 'Manually approved only',
  include: 'Names matching patterns',
  exclude: 'All but names matching patterns',
  advanced: 'Advanced filter',
  list: 'Listed bulletins and updates',
};
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];

/** what a policy does, in words: its rule, or its scripts for a worklet or required-software policy */
function ruleWords(p: Policy): string {
  const rule = p.rule;
  if (!rule) {
    const rs = p.requiredSoftware as { packageName?: string; packageVersion?: string | null } | null;
    if (p.kind === 'required-software' && rs)
      return `Required software: ${rs.packageName}${rs.packageVersion ? ` ${rs.packageVersion}` : ''}`;
    const w = p.worklet as { scripts?: { osFamily: string }[] } | null;
    return `Worklet (scripts for ${(w?.scripts ?? []).map((x) => x.osFamily).join(', ') || 'no OS'})`;
  }
  const base = RULE_LABEL[rule.kind] ?? rule.kind;
  return rule.kind === 'severity' && rule.severities ? `${base}: ${rule.severities.join(', ')}` : base;
}

export function Policies() {
  const { organizationId, orgName, organizations, can } = useSession();
  const list = useQuery({
    queryKey: ['policies', 'list', organizationId],
    queryFn: () =>
      get<{ items: Policy[] }>(`/policies${qs({ organizationId: organizationId ?? undefined })}`),
  });
  return (
    <>
      <PageTitle
        actions={
          can('manage_policies') ? (
            <Button component={Link} to="/policies/new">
              New policy
            </Button>
          ) : undefined
        }
      >
        Policies
      </PageTitle>
      {list.error ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading what="policies" />
      ) : list.data.items.length === 0 ? (
        <Empty>No policies yet. A policy says which updates to install on which devices, and when.</Empty>
      ) : (
        <Table.ScrollContainer minWidth={700}>
          <Table striped highlightOnHover data-testid="policies-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                {organizations.length > 1 && <Table.Th>Organization</Table.Th>}
                <Table.Th>Rule</Table.Th>
                <Table.Th>Schedule</Table.Th>
                <Table.Th>Enabled</Table.Th>
                <Table.Th>Next run</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((p) => (
                <Table.Tr key={p.id} data-policy={p.name}>
                  <Table.Td>
                    <Anchor component={Link} to={`/policies/${p.id}`} fw={600}>
                      {p.name}
                    </Anchor>
                  </Table.Td>
                  {organizations.length > 1 && <Table.Td>{orgName(p.organizationId)}</Table.Td>}
                  <Table.Td>{ruleWords(p)}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{describeSchedule(p.schedule)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={p.enabled ? 'green' : 'gray'} variant="light">
                      {p.enabled ? 'enabled' : 'disabled'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{p.nextRunAt ? when(p.nextRunAt) : '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}

/** /policies/new and /policies/:id */
export function PolicyPage() {
  const { id } = useParams();
  const isNew = id === 'new';
  const policy = useQuery({
    queryKey: ['policies', 'one', id],
    queryFn: () => get<Policy>(`/policies/${id}`),
    enabled: !isNew,
  });
  const [editing, setEditing] = useState(false);
  if (isNew)
    return (
      <>
        <PageTitle>New policy</PageTitle>
        <PolicyForm />
      </>
    );
  if (policy.error) return <ErrorState error={policy.error} retry={() => void policy.refetch()} />;
  if (!policy.data) return <Loading what="the policy" />;
  const p = policy.data;
  return editing ? (
    <>
      <PageTitle>Edit {p.name}</PageTitle>
      <PolicyForm policy={p} onDone={() => setEditing(false)} />
    </>
  ) : (
    <PolicyView policy={p} onEdit={() => setEditing(true)} />
  );
}

function PolicyView({ policy: p, onEdit }: { policy: Policy; onEdit: () => void }) {
  const client = useQueryClient();
  const { orgName, can, organizations } = useSession();
  const rootGroupId = organizations.find((o) => o.id === p.organizationId)?.rootGroupId;
  const occurrences = useQuery({
    queryKey: ['policies', 'occurrences', p.id, p.updatedAt],
    queryFn: () => get<{ occurrences: string[] }>(`/policies/${p.id}/occurrences?count=5`),
    enabled: !!p.schedule,
  });
  const toggle = useMutation({
    mutationFn: () => post<Policy>(`/policies/${p.id}/${p.enabled ? 'disable' : 'enable'}`),
    onSuccess: (r) => {
      client.setQueryData(['policies', 'one', String(p.id)], r);
      void client.invalidateQueries({ queryKey: ['policies'] });
      notifications.show({ message: `${r.name} is ${r.enabled ? 'enabled' : 'disabled'}` });
    },
    onError: (e) => notifications.show({ color: 'red', title: 'Not changed', message: e.message }),
  });
  const zone = p.schedule?.zone.kind === 'named' ? p.schedule.zone.name : undefined;
  return (
    <>
      <PageTitle
        actions={
          can('manage_policies') && (
            <Group>
              {p.kind === 'patch' && (
                <Button variant="default" onClick={onEdit}>
                  Edit
                </Button>
              )}
              <Button
                color={p.enabled ? 'orange' : 'green'}
                variant="light"
                loading={toggle.isPending}
                onClick={() => toggle.mutate()}
              >
                {p.enabled ? 'Disable' : 'Enable'}
              </Button>
            </Group>
          )
        }
      >
        {p.name}{' '}
        <Badge color={p.enabled ? 'green' : 'gray'} variant="light" data-testid="policy-enabled">
          {p.enabled ? 'enabled' : 'disabled'}
        </Badge>
      </PageTitle>
      <SimpleGrid cols={{ base: 1, md: 2 }} mb="lg">
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Policy
          </Title>
          <Stack gap={4}>
            <Text size="sm">Organization: {orgName(p.organizationId)}</Text>
            <Text size="sm">
              {p.kind === 'patch' ? 'Updates' : 'Runs'}: {ruleWords(p)}
            </Text>
            <Text size="sm">
              Targets:{' '}
              <span data-testid="policy-targets">
                {p.targets.rolloutPlan
                  ? `the rings of rollout plan ${p.targets.rolloutPlan}`
                  : p.targets.groups.length + p.targets.devices.length === 0
                    ? 'no groups or devices yet'
                    : rootGroupId != null && p.targets.groups.includes(rootGroupId)
                      ? 'the whole organization'
                      : [
                          plural(p.targets.groups.length, 'group'),
                          plural(p.targets.devices.length, 'device'),
                        ].join(', ')}
              </span>
            </Text>
            {p.notes && <Text size="sm">Notes: {p.notes}</Text>}
            <Text size="sm" c="dimmed">
              Created by {p.createdBy}, changed {when(p.updatedAt)}
            </Text>
          </Stack>
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Schedule
          </Title>
          <Text size="sm" mb="xs" data-testid="schedule-words">
            {describeSchedule(p.schedule)}
          </Text>
          {p.schedule &&
            (!p.enabled ? (
              <Text c="dimmed" size="sm">
                Disabled: the schedule does not fire.
              </Text>
            ) : null)}
          {p.schedule &&
            (occurrences.error ? (
              <ErrorState error={occurrences.error} />
            ) : !occurrences.data ? (
              <Loading what="occurrences" />
            ) : (
              <>
                <Text size="sm" fw={600}>
                  Next occurrences
                </Text>
                <OccurrenceList occurrences={occurrences.data.occurrences} zone={zone} />
              </>
            ))}
        </Card>
      </SimpleGrid>
      {/* a preview shows the updates a patch policy installs; a script policy installs none */}
      {p.kind === 'patch' && <PolicyPreviewTable policyId={p.id} version={p.updatedAt} />}
    </>
  );
}

function PolicyPreviewTable({ policyId, version }: { policyId: number; version: string }) {
  const preview = useQuery({
    queryKey: ['policies', 'preview', policyId, version],
    queryFn: () => get<PolicyPreview>(`/policies/${policyId}/preview`),
  });
  return (
    <>
      <Title order={2} size="h3" mb="xs">
        Preview: the next run
      </Title>
      {preview.error ? (
        <ErrorState error={preview.error} retry={() => void preview.refetch()} />
      ) : !preview.data ? (
        <Loading what="the preview" />
      ) : preview.data.devices.length === 0 ? (
        <Empty>This policy targets no devices.</Empty>
      ) : (
        <Table.ScrollContainer minWidth={700}>
          <Table striped data-testid="preview-table" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Device</Table.Th>
                <Table.Th>Next run (device time)</Table.Th>
                <Table.Th>Window</Table.Th>
                <Table.Th>Updates it would get</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.data.devices.map((d) => (
                <Table.Tr key={d.deviceId}>
                  <Table.Td>
                    <Anchor component={Link} to={`/devices/${d.deviceId}`}>
                      {d.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {d.nextOccurrenceLocal ? `${d.nextOccurrenceLocal.replace('T', ' ')} ${d.timeZone}` : '—'}
                  </Table.Td>
                  <Table.Td>
                    {d.windowAllows === null ? 'no window' : d.windowAllows ? 'allows' : 'blocks'}
                  </Table.Td>
                  <Table.Td>
                    {d.updates.length === 0 ? (
                      <Text size="sm" c="dimmed">
                        nothing
                        {d.excluded.length > 0 ? ` (${d.excluded.length} excluded)` : ''}
                      </Text>
                    ) : (
                      <Stack gap={2}>
                        {d.updates.map((u) => (
                          <Group key={u.updateId} gap={6} wrap="nowrap">
                            <SeverityBadge severity={u.severity as Severity} />
                            <Text size="sm">
                              {u.name}
                              {u.version ? ` ${u.version}` : ''}
                            </Text>
                          </Group>
                        ))}
                        {d.excluded.length > 0 && (
                          <Text
                            size="xs"
                            c="dimmed"
                            title={d.excluded.map((x) => `${x.name}: ${x.detail}`).join('\n')}
                          >
                            {d.excluded.length} excluded
                          </Text>
                        )}
                      </Stack>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}

function PolicyForm({ policy, onDone }: { policy?: Policy; onDone?: () => void }) {
  const { organizations, organizationId } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [orgId, setOrgId] = useState<string | null>(
    policy
      ? String(policy.organizationId)
      : organizationId !== null
        ? String(organizationId)
        : organizations.length === 1
          ? String(organizations[0]!.id)
          : null,
  );
  const [name, setName] = useState(policy?.name ?? '');
  const [notes, setNotes] = useState(policy?.notes ?? '');
  const [ruleKind, setRuleKind] = useState(policy?.rule?.kind ?? 'all');
  const [severities, setSeverities] = useState<string[]>(policy?.rule?.severities ?? ['critical', 'high']);
  const [groups, setGroups] = useState<string[]>(policy?.targets.groups.map(String) ?? []);
  /** a rollout plan instead of groups: what the policy selects moves ring by ring */
  const [planId, setPlanId] = useState<string | null>(
    policy?.targets.rolloutPlan ? String(policy.targets.rolloutPlan) : null,
  );
  const existing = policy ? fromCanonical(policy.schedule) : null;
  const custom = !!policy?.schedule && !existing;
  const [scheduled, setScheduled] = useState(policy ? !!policy.schedule : true);
  /** a new policy's schedule runs in its organization's zone (as the server's effectiveZone resolves it) */
  const zoneOf = (id: string | null) => {
    const o = organizations.find((x) => String(x.id) === id);
    return o?.timeZone ?? 'server';
  };
  const [draft, setDraft] = useState<ScheduleDraft>(existing ?? newDraft(zoneOf(orgId)));
  const zoneTouched = useRef(false);
  useEffect(() => {
    // the organizations may arrive after the form opened, or the operator picks another one
    if (!policy && !zoneTouched.current) setDraft((d) => ({ ...d, zone: zoneOf(orgId) }));
  }, [orgId, organizations]);

  const groupList = useQuery({
    queryKey: ['groups', 'all', orgId],
    queryFn: () => get<Page<DeviceGroup>>(`/groups${qs({ organizationId: orgId, limit: 500 })}`),
    enabled: !!orgId,
  });

  const plans = useQuery({
    queryKey: ['rollout-plans', orgId],
    queryFn: () => get<{ items: RolloutPlan[] }>(`/rollout-plans${qs({ organizationId: orgId })}`),
    enabled: !!orgId,
  });

  const schedule = !scheduled ? null : custom ? policy!.schedule : toCanonical(draft);
  // no group chosen: the whole organization, said explicitly as its top groups in view (the root group
  // for a scope over the whole organization); an empty target list would target no device
  const visibleGroups = groupList.data?.items ?? [];
  const visibleIds = new Set(visibleGroups.map((g) => g.id));
  const wholeOrganization = visibleGroups
    .filter((g) => g.parentId === null || !visibleIds.has(g.parentId))
    .map((g) => g.id);
  const targetGroups = groups.length ? groups.map(Number) : policy ? [] : wholeOrganization;
  const rule =
    policy?.rule && policy.rule.kind === ruleKind
      ? { ...policy.rule, ...(ruleKind === 'severity' ? { severities } : {}) }
      : ruleKind === 'severity'
        ? { kind: 'severity', severities }
        : { kind: ruleKind };
  const body = {
    name,
    notes,
    rule,
    targets: planId
      ? { groups: [], devices: [], rolloutPlan: Number(planId) }
      : {
          groups: targetGroups,
          devices: policy?.targets.devices ?? [],
          ...(policy?.targets.deviceFilter ? { deviceFilter: policy.targets.deviceFilter } : {}),
        },
    schedule,
    ...(policy ? { enabled: policy.enabled, behaviour: policy.behaviour } : {}),
  };
  const save = useMutation({
    mutationFn: () =>
      policy
        ? put<Policy>(`/policies/${policy.id}`, body)
        : post<Policy>('/policies', { ...body, organizationId: Number(orgId) }),
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: ['policies'] });
      notifications.show({ message: `Policy ${r.name} saved` });
      if (onDone) onDone();
      else navigate(`/policies/${r.id}`);
    },
  });
  const weeklyWithoutDays = scheduled && !custom && draft.kind === 'weekly' && draft.days.length === 0;

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Stack maw={900}>
        {save.error && (
          <Alert color="red" role="alert" title="The policy was not saved">
            {'issues' in save.error && (save.error as { issues: unknown[] }).issues.length ? (
              (save.error as { issues: { path: string; message: string }[] }).issues.map((i) => (
                <Text size="sm" key={i.path + i.message}>
                  {i.path}: {i.message}
                </Text>
              ))
            ) : (
              <Text size="sm">{save.error.message}</Text>
            )}
          </Alert>
        )}
        {!policy && (
          <Select
            label="Organization"
            required
            data={organizations.map((o) => ({ value: String(o.id), label: o.name }))}
            value={orgId}
            onChange={(v) => {
              setOrgId(v);
              setGroups([]);
            }}
            allowDeselect={false}
            w={{ base: '100%', sm: 320 }}
          />
        )}
        <TextInput
          label="Name"
          required
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          w={{ base: '100%', sm: 420 }}
        />
        <Textarea label="Notes" value={notes} onChange={(e) => setNotes(e.currentTarget.value)} autosize />
        <Group align="end" wrap="wrap">
          <Select
            label="Updates to install"
            data={Object.entries(RULE_LABEL)
              .filter(([k]) => ['all', 'severity', 'manual'].includes(k) || k === policy?.rule?.kind)
              .map(([value, label]) => ({ value, label }))}
            value={ruleKind}
            onChange={(v) => v && setRuleKind(v)}
            allowDeselect={false}
            w={260}
          />
          {ruleKind === 'severity' && (
            <MultiSelect
              label="Severities"
              data={SEVERITIES}
              value={severities}
              onChange={setSeverities}
              w={{ base: '100%', sm: 360 }}
            />
          )}
        </Group>
        <MultiSelect
          label="Target groups"
          description={
            policy ? 'None: this policy targets no group' : 'None: every device of the organization'
          }
          searchable
          data={(groupList.data?.items ?? []).map((g) => ({
            value: String(g.id),
            label: g.isRoot ? '(root: the whole organization)' : g.name,
          }))}
          value={groups}
          onChange={setGroups}
          disabled={!orgId || !!planId}
          w={{ base: '100%', sm: 420 }}
        />
        <Select
          label="Rollout plan"
          description="Instead of groups: what the policy selects is approved into the plan and installs ring by ring"
          placeholder="None: the target groups"
          clearable
          data={(plans.data?.items ?? []).map((pl) => ({ value: String(pl.id), label: pl.name }))}
          value={planId}
          onChange={setPlanId}
          disabled={!orgId}
          w={{ base: '100%', sm: 420 }}
        />
        <Card withBorder>
          <Stack gap="sm">
            <Checkbox
              label="Run on a schedule"
              checked={scheduled}
              onChange={(e) => setScheduled(e.currentTarget.checked)}
            />
            {scheduled && custom && (
              <Text size="sm">
                {describeSchedule(policy!.schedule)}. This schedule was made outside the console and is kept
                as it is; untick “Run on a schedule” to remove it.
              </Text>
            )}
            {scheduled && !custom && (
              <ScheduleBuilder
                draft={draft}
                onChange={(d) => {
                  if (d.zone !== draft.zone) zoneTouched.current = true;
                  setDraft(d);
                }}
              />
            )}
            {scheduled && schedule && (
              <>
                <Text size="sm" fw={600} data-testid="draft-words">
                  {describeSchedule(schedule)}
                </Text>
                {weeklyWithoutDays ? (
                  <Text size="sm" c="red">
                    Choose at least one day of the week.
                  </Text>
                ) : (
                  <div data-testid="live-occurrences">
                    <Text size="sm" c="dimmed">
                      Next occurrences
                    </Text>
                    <LiveOccurrences schedule={schedule} />
                  </div>
                )}
              </>
            )}
          </Stack>
        </Card>
        <Group>
          <Button
            type="submit"
            loading={save.isPending}
            disabled={
              !orgId ||
              !name.trim() ||
              weeklyWithoutDays ||
              (!policy && !planId && !groups.length && !groupList.data)
            }
          >
            {policy ? 'Save policy' : 'Create policy'}
          </Button>
          <Button variant="default" onClick={() => (onDone ? onDone() : navigate('/policies'))}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
