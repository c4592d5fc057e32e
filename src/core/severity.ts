import { invalid } from './errors.ts';

// The severity scale, lowest to highest; 'unknown' sorts below 'none' and is never "at least" anything.
export const SEVERITIES = ['unknown', 'none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const isSeverity = (s: string): s is Severity => (SEVERITIES as readonly string[]).includes(s);

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s) - 1; // unknown -1, none 0 … critical 4
}

/** `a >= b` on the scale; an unknown severity meets no threshold except 'unknown' itself. */
export function severityAtLeast(a: Severity, threshold: Severity): boolean {
  if (a === 'unknown') return threshold === 'unknown';
  return severityRank(a) >= severityRank(threshold);
}

/** Maps the words vendors use (Microsoft's MsrcSeverity, Debian urgency, CVSS bands, Automox) onto the scale. */
export function normalizeSeverity(raw: string | null | undefined): Severity {
  const s = (raw ?? '').trim().toLowerCase();
  if (!s) return 'unknown';
  if (isSeverity(s)) return s;
  const map: Record<string, Severity> = {
    important: 'high',
    moderate: 'medium',
    'not yet assigned': 'unknown',
    unimportant: 'low',
    urgent: 'critical',
    emergency: 'critical',
    negligible: 'low',
    informational: 'none',
    info: 'none',
  };
  return map[s] ?? 'unknown';
}

/** CVSS v3 base score to severity band (FIRST's qualitative scale). */
export function severityFromCvss(score: number): Severity {
  if (!(score >= 0 && score <= 10)) return 'unknown';
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/** A per-organization custom severity (Altiris: `<Order>|<Name>|<Level>`). */
export interface CustomSeverity {
  readonly order: number;
  readonly name: string;
  readonly level: Severity;
}

export function validateCustomSeverities(list: readonly CustomSeverity[]): CustomSeverity[] {
  const issues: { path: string; message: string }[] = [];
  const names = new Set<string>();
  const orders = new Set<number>();
  list.forEach((c, i) => {
    if (!Number.isInteger(c.order) || c.order < 0)
      issues.push({ path: `/${i}/order`, message: 'must be a non-negative integer' });
    if (orders.has(c.order)) issues.push({ path: `/${i}/order`, message: `order ${c.order} is used twice` });
    orders.add(c.order);
    const name = c.name.trim();
    if (name.length < 1 || name.length > 64)
      issues.push({ path: `/${i}/name`, message: 'must be 1 to 64 characters' });
    if (name.includes('|') || name.includes(','))
      issues.push({ path: `/${i}/name`, message: "must not contain '|' or ','" });
    if (names.has(name.toLowerCase()))
      issues.push({ path: `/${i}/name`, message: `name '${name}' is used twice` });
    names.add(name.toLowerCase());
    if (!isSeverity(c.level))
      issues.push({ path: `/${i}/level`, message: `must be one of ${SEVERITIES.join(', ')}` });
  });
  if (issues.length) throw invalid('invalid custom severities', issues);
  return [...list].map((c) => ({ ...c, name: c.name.trim() })).sort((a, b) => a.order - b.order);
}
