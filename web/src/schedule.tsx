import { Checkbox, Group, List, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { post, type CanonicalSchedule, type Converted } from './api.ts';
import { ErrorState, Loading } from './ui.tsx';

// The schedule builder shared by policies: a few common shapes of the canonical schedule model
// (weekly on some days, daily, monthly on day N) at a time of day in a zone. The server computes every
// occurrence (POST /schedules/convert); the console only words the shape.

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const DAY_NAMES: Record<string, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

export type ZoneChoice = 'device' | 'server' | string;
export interface ScheduleDraft {
  kind: 'weekly' | 'daily' | 'monthly';
  days: string[];
  /** day of the month for monthly schedules, 1–31 */
  day: number;
  time: string;
  /** 'device', 'server' or an IANA zone name */
  zone: ZoneChoice;
  startDate: string;
}

export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
const today = () => {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

/** a new schedule, in the given zone ('server', 'device' or an IANA name; the browser's by default) */
export function newDraft(zone: ZoneChoice = browserZone()): ScheduleDraft {
  return { kind: 'weekly', days: ['tue'], day: 1, time: '22:00', zone, startDate: today() };
}

export function toCanonical(d: ScheduleDraft): CanonicalSchedule {
  const recurrence =
    d.kind === 'weekly'
      ? { kind: 'weekly', every: 1, days: WEEKDAYS.filter((w) => d.days.includes(w)) }
      : d.kind === 'daily'
        ? { kind: 'days', every: 1 }
        : { kind: 'monthly', every: 1, on: { kind: 'day', day: d.day } };
  return {
    recurrence,
    start: `${d.startDate}T${d.time}`,
    zone: d.zone === 'device' || d.zone === 'server' ? { kind: d.zone } : { kind: 'named', name: d.zone },
    end: { kind: 'never' },
  };
}

/** the builder's draft of a stored schedule, or null when the schedule has a shape the builder lacks */
export function fromCanonical(s: CanonicalSchedule | null): ScheduleDraft | null {
  if (!s) return null;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(s.start);
  const r = s.recurrence;
  const extra = Object.keys(s).some((k) => !['recurrence', 'start', 'zone', 'end'].includes(k));
  if (!m || extra || s.end.kind !== 'never' || (r.every ?? 1) !== 1) return null;
  const zone = s.zone.kind === 'named' ? s.zone.name : s.zone.kind;
  const base = { days: [] as string[], day: 1, time: m[2]!, zone, startDate: m[1]! };
  if (r.kind === 'weekly' && r.days) return { ...base, kind: 'weekly', days: [...r.days] };
  if (r.kind === 'days') return { ...base, kind: 'daily' };
  if (r.kind === 'monthly' && r.on?.kind === 'day' && typeof r.on.day === 'number')
    return { ...base, kind: 'monthly', day: r.on.day };
  return null;
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}
function listWords(items: string[]): string {
  if (items.length < 2) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
export function zoneWords(zone: CanonicalSchedule['zone']): string {
  return zone.kind === 'named'
    ? zone.name
    : zone.kind === 'device'
      ? "each device's local time"
      : "the server's time zone";
}

/** a schedule in words: "Every Tuesday and Thursday at 22:00 (Europe/Berlin)" */
export function describeSchedule(s: CanonicalSchedule | null): string {
  if (!s) return 'Not scheduled: runs only when started by hand';
  const time = s.start.slice(11);
  const r = s.recurrence;
  const every = r.every && r.every > 1 ? r.every : 1;
  let what: string;
  if (r.kind === 'weekly' && r.days)
    what = `Every ${every > 1 ? `${ordinal(every)} week on ` : ''}${listWords(
      WEEKDAYS.filter((w) => r.days!.includes(w)).map((w) => DAY_NAMES[w]!),
    )} at ${time}`;
  else if (r.kind === 'days') what = `${every > 1 ? `Every ${every} days` : 'Every day'} at ${time}`;
  else if (r.kind === 'monthly' && r.on?.kind === 'day')
    what = `${every > 1 ? `Every ${every} months` : 'Every month'} on the ${
      r.on.day === 'last' ? 'last day' : ordinal(Number(r.on.day))
    } at ${time}`;
  else if (r.kind === 'once') what = `Once, on ${s.start.replace('T', ' at ')}`;
  else what = `A ${r.kind} schedule starting ${s.start.replace('T', ' ')}`;
  return `${what} (${zoneWords(s.zone)}), from ${s.start.slice(0, 10)}`;
}

/** an instant as a date in a zone, e.g. "Tue, 13 Jan 2026, 22:00" */
export function occurrenceText(iso: string, zone?: string): string {
  return new Date(iso).toLocaleString(undefined, {
    timeZone: zone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZoneName: 'short',
  });
}

export function OccurrenceList({ occurrences, zone }: { occurrences: string[]; zone?: string }) {
  if (occurrences.length === 0) return <Text c="dimmed">No coming occurrences.</Text>;
  return (
    <List data-testid="occurrences" spacing={2}>
      {occurrences.map((o) => (
        <List.Item key={o} data-at={o}>
          <time dateTime={o}>{occurrenceText(o, zone)}</time>
        </List.Item>
      ))}
    </List>
  );
}

/** the next occurrences of a schedule not yet saved, computed by the server */
export function LiveOccurrences({ schedule, count = 5 }: { schedule: CanonicalSchedule; count?: number }) {
  const [value] = useDebouncedValue(schedule, 300);
  const q = useQuery({
    queryKey: ['schedule-preview', value, count],
    queryFn: () => post<Converted>('/schedules/convert', { from: 'canonical', to: 'rrule', value, count }),
    retry: false,
  });
  if (q.error) return <ErrorState error={q.error} />;
  if (!q.data) return <Loading what="occurrences" />;
  return (
    <OccurrenceList
      occurrences={q.data.occurrences}
      zone={value.zone.kind === 'named' ? value.zone.name : undefined}
    />
  );
}

const ZONES = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

export function ScheduleBuilder({
  draft,
  onChange,
}: {
  draft: ScheduleDraft;
  onChange: (d: ScheduleDraft) => void;
}) {
  const set = (changes: Partial<ScheduleDraft>) => onChange({ ...draft, ...changes });
  return (
    <Stack gap="sm" data-testid="schedule-builder">
      <Group align="end" wrap="wrap">
        <Select
          label="Repeats"
          data={[
            { value: 'weekly', label: 'Weekly' },
            { value: 'daily', label: 'Daily' },
            { value: 'monthly', label: 'Monthly' },
          ]}
          value={draft.kind}
          onChange={(v) => v && set({ kind: v as ScheduleDraft['kind'] })}
          allowDeselect={false}
          w={140}
        />
        {draft.kind === 'monthly' && (
          <NumberInput
            label="Day of the month"
            min={1}
            max={31}
            value={draft.day}
            onChange={(v) => set({ day: Math.min(31, Math.max(1, Number(v) || 1)) })}
            w={150}
          />
        )}
        <TextInput
          label="Time"
          type="time"
          value={draft.time}
          onChange={(e) => set({ time: e.currentTarget.value })}
          w={130}
          required
        />
        <Select
          label="Time zone"
          searchable
          data={[
            { value: 'device', label: "Each device's local time" },
            { value: 'server', label: "The server's time zone" },
            ...ZONES.map((z) => ({ value: z, label: z })),
          ]}
          value={draft.zone}
          onChange={(v) => v && set({ zone: v })}
          allowDeselect={false}
          w={{ base: '100%', sm: 260 }}
        />
        <TextInput
          label="Starting"
          type="date"
          value={draft.startDate}
          onChange={(e) => set({ startDate: e.currentTarget.value })}
          w={170}
          required
        />
      </Group>
      {draft.kind === 'weekly' && (
        <Checkbox.Group label="Days of the week" value={draft.days} onChange={(days) => set({ days })}>
          <Group mt={4} gap="md">
            {WEEKDAYS.map((w) => (
              <Checkbox key={w} value={w} label={DAY_NAMES[w]} />
            ))}
          </Group>
        </Checkbox.Group>
      )}
    </Stack>
  );
}
