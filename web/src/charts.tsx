import { Group, Stack, Text } from '@mantine/core';

// Small charts in plain SVG: a ring for a share, horizontal stacked bars for counts by category. Each is
// an image with a label that says what it shows in words, and the numbers are printed beside it, so
// nothing is only a colour.

export const color = (name: string, shade = 7) => `var(--mantine-color-${name}-${shade})`;

/** a share as a ring, with the percentage in the middle */
export function Ring({
  value,
  total,
  label,
  color: c = color('green'),
  size = 132,
  testId,
}: {
  value: number;
  total: number;
  label: string;
  color?: string;
  size?: number;
  testId?: string;
}) {
  const share = total > 0 ? value / total : 0;
  const r = 15.915; // circumference 100: dash lengths are percentages
  const pct = Math.round(share * 100);
  return (
    <svg
      viewBox="0 0 42 42"
      width={size}
      height={size}
      role="img"
      aria-label={`${label}: ${pct}% (${value} of ${total})`}
      data-testid={testId}
      data-value={value}
      data-total={total}
    >
      <circle cx="21" cy="21" r={r} fill="none" stroke={color('gray', 2)} strokeWidth="5" />
      {share > 0 && (
        <circle
          cx="21"
          cy="21"
          r={r}
          fill="none"
          stroke={c}
          strokeWidth="5"
          strokeDasharray={`${share * 100} ${100 - share * 100}`}
          strokeDashoffset="25"
          strokeLinecap={share < 1 ? 'butt' : undefined}
        />
      )}
      <text x="21" y="23.5" textAnchor="middle" fontSize="8" fontWeight="700" fill="currentColor">
        {pct}%
      </text>
    </svg>
  );
}

export interface BarSegment {
  key: string;
  label: string;
  color: string;
}
export interface BarRow {
  key: string;
  label: string;
  values: Record<string, number>;
}

/** one horizontal bar per row, stacked by segment, scaled to the largest row */
export function StackedBars({
  rows,
  segments,
  label,
  testId,
}: {
  rows: BarRow[];
  segments: BarSegment[];
  label: string;
  testId?: string;
}) {
  const totals = rows.map((r) => segments.reduce((n, s) => n + (r.values[s.key] ?? 0), 0));
  const max = Math.max(1, ...totals);
  return (
    <Stack gap={6} data-testid={testId}>
      <Group gap="md" wrap="wrap" aria-hidden>
        {segments.map((s) => (
          <Group key={s.key} gap={4} wrap="nowrap">
            <svg width="10" height="10" aria-hidden>
              <rect width="10" height="10" rx="2" fill={s.color} />
            </svg>
            <Text size="xs">{s.label}</Text>
          </Group>
        ))}
      </Group>
      {rows.map((r, i) => {
        let x = 0;
        const words = segments
          .filter((s) => r.values[s.key])
          .map((s) => `${r.values[s.key]} ${s.label}`)
          .join(', ');
        return (
          <div key={r.key} data-row={r.key} data-total={totals[i]}>
            <Group justify="space-between" gap="xs" wrap="nowrap">
              <Text size="sm">{r.label}</Text>
              <Text size="sm" fw={600}>
                {totals[i]}
              </Text>
            </Group>
            <svg
              width="100%"
              height="14"
              viewBox="0 0 100 14"
              preserveAspectRatio="none"
              role="img"
              aria-label={`${label}, ${r.label}: ${totals[i] ? words : 'none'}`}
            >
              <rect width="100" height="14" rx="2" fill={color('gray', 1)} />
              {segments.map((s) => {
                const w = ((r.values[s.key] ?? 0) / max) * 100;
                const rect = w > 0 ? <rect key={s.key} x={x} width={w} height="14" fill={s.color} /> : null;
                x += w;
                return rect;
              })}
            </svg>
          </div>
        );
      })}
    </Stack>
  );
}
