import { useState } from 'react';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Group,
  List,
  Modal,
  NumberInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, patch, post, qs, type MaintenanceWindow, type WindowOccurrences } from '../api.ts';
import { useSession } from '../session.tsx';
import { occurrenceText } from '../schedule.tsx';
import { Empty, ErrorState, Loading, PageTitle, plural, when } from '../ui.tsx';

// Maintenance windows keep GravityZone's settings shape (src/core/windows/model.ts). The console edits the
// simple case: one weekly schedule shared by scans and every install class, between two hours of the day.

/** GravityZone's weekday numbers: 0 = Sunday … 6 = Saturday */
const GZ_DAYS = [
  { value: '1', label: 'Monday' },
  { value: '2', label: 'Tuesday' },
  { value: '3', label: 'Wednesday' },
  { value: '4', label: 'Thursday' },
  { value: '5', label: 'Friday' },
  { value: '6', label: 'Saturday' },
  { value: '0', label: 'Sunday' },
];
interface GzWeekly {
  recurrence: number;
  startDate?: number;
  between?: { startHour: number; startMinute: number; endHour: number; endMinute: number };
  weeklyRecurrence?: { every: number; days: number[] };
}
interface Draft {
  days: string[];
  from: number;
  to: number;
}

/**
 * Today's date in `zone` (the window's organization's), as the scheduler's start date: midnight UTC of
 * that date, in seconds. The browser's own date would be tomorrow's for an organization behind it, and
 * the occurrence open now would then come a week late.
 */
function startOfToday(zone: string | null) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone ?? undefined,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date());
  const part = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return Math.floor(Date.UTC(part('year'), part('month') - 1, part('day')) / 1000);
}

function gzSchedule(d: Draft, startDate: number) {
  return {
    format: 'gravityzone-scheduler',
    value: {
      recurrence: 3,
      startDate,
      between: { startHour: d.from, startMinute: 0, endHour: d.to, endMinute: 0 },
      weeklyRecurrence: { every: 1, days: d.days.map(Number).sort() },
    },
  };
}
/** the shared weekly schedule of a window, or null when it has another shape */
function sharedWeekly(w: MaintenanceWindow): GzWeekly | null {
  const s = w.settings.scan?.schedule;
  if (!w.settings.scan?.sameScheduleForAll || s?.format !== 'gravityzone-scheduler') return null;
  const v = s.value as GzWeekly;
  return v.recurrence === 3 && v.weeklyRecurrence ? v : null;
}
function weeklyWords(v: GzWeekly): string {
  const days = GZ_DAYS.filter((d) => v.weeklyRecurrence!.days.includes(Number(d.value))).map((d) => d.label);
  const b = v.between;
  const p = (n: number) => String(n).padStart(2, '0');
  const hours = b ? ` ${p(b.startHour)}:${p(b.startMinute)}–${p(b.endHour)}:${p(b.endMinute)}` : '';
  return `${days.join(', ')}${hours}`;
}
function newSettings(d: Draft, zone: string | null) {
  return {
    scan: {
      enabled: true,
      scheduleFormat: 'current',
      sameScheduleForAll: true,
      schedule: gzSchedule(d, startOfToday(zone)),
    },
    install: {
      enabled: true,
      security: { enabled: true },
      nonSecurity: { enabled: true },
      manuallyApproved: { enabled: false },
      rebootPostponement: { mode: 'user-may-postpone' },
    },
  };
}

export function Windows() {
  const { organizationId, orgName, organizations, can } = useSession();
  const [editing, setEditing] = useState<MaintenanceWindow | 'new' | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const list = useQuery({
    queryKey: ['windows', organizationId],
    queryFn: () =>
      get<{ items: MaintenanceWindow[] }>(
        `/maintenance-windows${qs({ organizationId: organizationId ?? undefined })}`,
      ),
  });
  const chosen = list.data?.items.find((w) => w.id === selected) ?? list.data?.items[0];
  return (
    <>
      <PageTitle
        actions={
          can('manage_policies') ? <Button onClick={() => setEditing('new')}>New window</Button> : undefined
        }
      >
        Maintenance windows
      </PageTitle>
      {list.error ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading what="maintenance windows" />
      ) : list.data.items.length === 0 ? (
        <Empty>No maintenance windows yet. A window says when devices may scan and install.</Empty>
      ) : (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table striped highlightOnHover data-testid="windows-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  {organizations.length > 1 && <Table.Th>Organization</Table.Th>}
                  <Table.Th>Schedule</Table.Th>
                  <Table.Th>Assigned to</Table.Th>
                  <Table.Th>Changed</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((w) => {
                  const weekly = sharedWeekly(w);
                  return (
                    <Table.Tr
                      key={w.id}
                      bg={chosen?.id === w.id ? 'var(--mantine-color-blue-light)' : undefined}
                    >
                      <Table.Td fw={600}>{w.name}</Table.Td>
                      {organizations.length > 1 && <Table.Td>{orgName(w.organizationId)}</Table.Td>}
                      <Table.Td>{weekly ? weeklyWords(weekly) : 'separate schedules per class'}</Table.Td>
                      <Table.Td>
                        {plural(w.assignments.policies.length, 'policy', 'policies')},{' '}
                        {plural(w.assignments.groups.length, 'group')}
                      </Table.Td>
                      <Table.Td>{when(w.updatedAt)}</Table.Td>
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          <Button size="xs" variant="default" onClick={() => setSelected(w.id)}>
                            Occurrences
                          </Button>
                          {can('manage_policies') && (
                            <Button size="xs" variant="default" onClick={() => setEditing(w)}>
                              Edit
                            </Button>
                          )}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {chosen && <WindowOccurrenceList window={chosen} />}
          <WindowCalendar windows={list.data.items} />
        </>
      )}
      {editing && (
        <WindowEditor window={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}

const USE_WORDS: Record<string, string> = {
  scan: 'scan',
  security: 'security',
  nonSecurity: 'other updates',
  manuallyApproved: 'approved by hand',
};
const usesWords = (uses: string[]) =>
  uses.length >= 3 && uses.includes('scan')
    ? 'scan and install'
    : uses.map((u) => USE_WORDS[u] ?? u).join(', ');

/** parts of an instant in a zone: its date (YYYY-MM-DD) and time (HH:mm) there */
function inZone(iso: string, zone: string) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((x) => [x.type, x.value]),
  );
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}
const dayKey = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

const CALENDAR_COLORS = ['indigo', 'teal', 'grape', 'orange', 'cyan', 'pink', 'lime', 'violet'];
const WEEKS = 4;

function useOccurrences(w: MaintenanceWindow, days: number) {
  return useQuery({
    queryKey: ['windows', 'occurrences', w.id, w.updatedAt, days],
    queryFn: () => get<WindowOccurrences>(`/maintenance-windows/${w.id}/occurrences${qs({ days })}`),
  });
}

function WindowOccurrenceList({ window: w }: { window: MaintenanceWindow }) {
  const q = useOccurrences(w, WEEKS * 7);
  return (
    <Card withBorder mt="lg" data-testid="window-occurrences">
      <Title order={2} size="h4" mb="xs">
        {w.name}: the coming occurrences
      </Title>
      {q.error ? (
        <ErrorState error={q.error} />
      ) : !q.data ? (
        <Loading what="occurrences" />
      ) : q.data.occurrences.length === 0 ? (
        <Text c="dimmed">
          {q.data.alwaysOpen.length
            ? `Always open for ${usesWords(q.data.alwaysOpen)}.`
            : 'No occurrences in the coming four weeks.'}
        </Text>
      ) : (
        <>
          <Text size="xs" c="gray.7" mb="xs">
            Times in {q.data.zone}; each device keeps the window on its own clock.
          </Text>
          <List data-testid="occurrences" spacing={2}>
            {q.data.occurrences.slice(0, 10).map((o) => (
              <List.Item key={`${o.start}/${o.uses.join()}`} data-at={o.start}>
                <time dateTime={o.start}>{occurrenceText(o.start, q.data.zone)}</time>
                {o.end && ` – ${inZone(o.end, q.data.zone).time}`} · {usesWords(o.uses)}
                {o.end && new Date(o.start) <= new Date() && new Date() < new Date(o.end) && (
                  <b data-testid="open-now"> · open now</b>
                )}
              </List.Item>
            ))}
          </List>
        </>
      )}
    </Card>
  );
}

interface CalendarItem {
  window: MaintenanceWindow;
  color: string;
  start: string;
  end: string | null;
  uses: string[];
  zone: string;
  time: string;
  endTime: string | null;
}

/** the coming four weeks, Monday first: each window's occurrences on their day (in the window's zone) */
function WindowCalendar({ windows }: { windows: MaintenanceWindow[] }) {
  const { organizations } = useSession();
  const results = useQueries({
    queries: windows.map((w) => ({
      queryKey: ['windows', 'occurrences', w.id, w.updatedAt, WEEKS * 7 + 7],
      queryFn: () =>
        get<WindowOccurrences>(`/maintenance-windows/${w.id}/occurrences${qs({ days: WEEKS * 7 + 7 })}`),
    })),
  });
  const today = new Date();
  const monday = new Date(
    today.getFullYear(),
    today.getMonth(),
    today.getDate() - ((today.getDay() + 6) % 7),
  );
  const days = Array.from(
    { length: WEEKS * 7 },
    (_, i) => new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + i),
  );
  const byDay = new Map<string, CalendarItem[]>();
  results.forEach((r, i) => {
    const w = windows[i]!;
    for (const o of r.data?.occurrences ?? []) {
      const zone = r.data!.zone;
      const local = inZone(o.start, zone);
      const item: CalendarItem = {
        window: w,
        color: CALENDAR_COLORS[i % CALENDAR_COLORS.length]!,
        ...o,
        zone,
        time: local.time,
        endTime: o.end ? inZone(o.end, zone).time : null,
      };
      byDay.set(local.date, [...(byDay.get(local.date) ?? []), item]);
    }
  });
  const error = results.find((r) => r.error)?.error;
  const loading = results.some((r) => !r.data && !r.error);
  const todayKey = dayKey(today);
  const label = (d: Date) =>
    d.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
  const entry = (it: CalendarItem) => (
    <Text
      key={`${it.window.id}/${it.start}`}
      size="xs"
      px={4}
      mb={2}
      style={{ borderLeft: `3px solid var(--mantine-color-${it.color}-7)`, lineHeight: 1.3 }}
      data-window={it.window.name}
      data-start={it.start}
      title={`${it.window.name}: ${usesWords(it.uses)} (${it.zone})`}
    >
      <b>
        {it.time}
        {it.endTime ? `–${it.endTime}` : ''}
      </b>{' '}
      {it.window.name}
      {organizations.length > 1 && windows.some((x) => x.organizationId !== it.window.organizationId)
        ? ` (${organizations.find((o) => o.id === it.window.organizationId)?.name ?? ''})`
        : ''}
    </Text>
  );
  return (
    <Card withBorder mt="lg" data-testid="window-calendar">
      <Title order={2} size="h4" mb="xs">
        The coming {WEEKS} weeks
      </Title>
      {error ? (
        <ErrorState error={error} />
      ) : loading ? (
        <Loading what="the calendar" />
      ) : (
        <>
          <Text size="xs" c="gray.7" mb="sm">
            When each window lets devices scan and install, in its organization’s time zone.
          </Text>
          <Table.ScrollContainer minWidth={700} visibleFrom="sm">
            <Table
              withColumnBorders
              layout="fixed"
              aria-label={`Maintenance windows, the coming ${WEEKS} weeks`}
            >
              <Table.Thead>
                <Table.Tr>
                  {days.slice(0, 7).map((d) => (
                    <Table.Th key={d.getDay()}>
                      {d.toLocaleDateString(undefined, { weekday: 'short' })}
                    </Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {Array.from({ length: WEEKS }, (_, week) => (
                  <Table.Tr key={week}>
                    {days.slice(week * 7, week * 7 + 7).map((d) => {
                      const key = dayKey(d);
                      const items = byDay.get(key) ?? [];
                      return (
                        <Table.Td
                          key={key}
                          data-date={key}
                          aria-label={`${label(d)}: ${items.length ? items.map((i) => `${i.window.name} ${i.time}`).join(', ') : 'no window'}`}
                          style={{ verticalAlign: 'top', height: 86 }}
                          // past days on a grey ground, their text as readable as any (a faded day failed
                          // contrast on every day of the week but the first)
                          bg={
                            key === todayKey
                              ? 'var(--mantine-color-blue-light)'
                              : key < todayKey
                                ? 'var(--mantine-color-gray-1)'
                                : undefined
                          }
                          data-past={key < todayKey || undefined}
                        >
                          <Text size="xs" fw={key === todayKey ? 700 : 500} c="gray.7" mb={2}>
                            {d.getDate()}{' '}
                            {d.getDate() === 1 || key === dayKey(days[0]!)
                              ? d.toLocaleDateString(undefined, { month: 'short' })
                              : ''}
                          </Text>
                          {items.map(entry)}
                        </Table.Td>
                      );
                    })}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Stack gap="xs" hiddenFrom="sm" data-testid="window-agenda">
            {days
              .filter((d) => dayKey(d) >= todayKey && byDay.has(dayKey(d)))
              .map((d) => (
                <div key={dayKey(d)}>
                  <Text size="sm" fw={600}>
                    {label(d)}
                  </Text>
                  {byDay.get(dayKey(d))!.map(entry)}
                </div>
              ))}
          </Stack>
        </>
      )}
    </Card>
  );
}

function WindowEditor({ window: w, onClose }: { window: MaintenanceWindow | null; onClose: () => void }) {
  const { organizations, organizationId } = useSession();
  const client = useQueryClient();
  const weekly = w ? sharedWeekly(w) : null;
  const [orgId, setOrgId] = useState<string | null>(
    organizationId !== null
      ? String(organizationId)
      : organizations.length === 1
        ? String(organizations[0]!.id)
        : null,
  );
  const [name, setName] = useState(w?.name ?? '');
  const [draft, setDraft] = useState<Draft>({
    days: weekly ? weekly.weeklyRecurrence!.days.map(String) : ['2'],
    from: weekly?.between?.startHour ?? 1,
    to: weekly?.between?.endHour ?? 5,
  });
  const [replace, setReplace] = useState(!w || !!weekly);
  /** the zone an organization's windows are read in (its own; else the browser's, as the server's is unknown here) */
  const zoneOf = (id: number) => organizations.find((o) => o.id === id)?.timeZone ?? null;
  const save = useMutation({
    mutationFn: () => {
      if (!w)
        return post<MaintenanceWindow>('/maintenance-windows', {
          organizationId: Number(orgId),
          name,
          settings: newSettings(draft, zoneOf(Number(orgId))),
        });
      const body: Record<string, unknown> = { name };
      if (replace)
        body.settings = {
          ...w.settings,
          scan: {
            ...w.settings.scan,
            enabled: true,
            sameScheduleForAll: true,
            schedule: gzSchedule(draft, weekly?.startDate ?? startOfToday(zoneOf(w.organizationId))),
          },
        };
      return patch<MaintenanceWindow>(`/maintenance-windows/${w.id}`, body);
    },
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: ['windows'] });
      notifications.show({ message: `Window ${r.name} saved` });
      onClose();
    },
  });
  const remove = useMutation({
    mutationFn: () => del(`/maintenance-windows/${w!.id}`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['windows'] });
      onClose();
    },
  });
  const error = save.error ?? remove.error;
  const hours = Array.from({ length: 24 }, (_, h) => ({
    value: String(h),
    label: `${String(h).padStart(2, '0')}:00`,
  }));
  return (
    <Modal opened onClose={onClose} title={w ? `Edit ${w.name}` : 'New maintenance window'} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          {error && (
            <Alert color="red" role="alert">
              {error.message}
            </Alert>
          )}
          {!w && (
            <Select
              label="Organization"
              required
              data={organizations.map((o) => ({ value: String(o.id), label: o.name }))}
              value={orgId}
              onChange={setOrgId}
              allowDeselect={false}
            />
          )}
          <TextInput
            label="Name"
            required
            maxLength={80}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          {w && !weekly && (
            <Checkbox
              label="Replace its per-class schedules with one weekly schedule"
              checked={replace}
              onChange={(e) => setReplace(e.currentTarget.checked)}
            />
          )}
          {replace && (
            <>
              <Checkbox.Group
                label="Scan and install on"
                value={draft.days}
                onChange={(days) => setDraft({ ...draft, days })}
              >
                <Group mt={4}>
                  {GZ_DAYS.map((d) => (
                    <Checkbox key={d.value} value={d.value} label={d.label} />
                  ))}
                </Group>
              </Checkbox.Group>
              <Group>
                <Select
                  label="From"
                  data={hours}
                  value={String(draft.from)}
                  onChange={(v) => setDraft({ ...draft, from: Number(v) })}
                  allowDeselect={false}
                  w={120}
                />
                <NumberInput
                  label="Until (hour)"
                  min={0}
                  max={23}
                  value={draft.to}
                  onChange={(v) => setDraft({ ...draft, to: Math.min(23, Math.max(0, Number(v) || 0)) })}
                  w={120}
                />
              </Group>
              <Text size="xs" c="dimmed">
                Scans and the installs of security and other updates share this schedule.
              </Text>
            </>
          )}
          <Group justify="space-between">
            {w ? (
              <Button color="red" variant="subtle" loading={remove.isPending} onClick={() => remove.mutate()}>
                Delete window
              </Button>
            ) : (
              <span />
            )}
            <Group>
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button
                type="submit"
                loading={save.isPending}
                disabled={!name.trim() || (replace && draft.days.length === 0) || (!w && !orgId)}
              >
                Save
              </Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
