// Every source rates differently; this maps their words and scores onto Patchline's scale, once.
import { SEVERITIES, type Severity } from './model.ts';

/** CVSS (v2, v3, v4 qualitative ranges): 0 none, <4 low, <7 medium, <9 high, else critical. */
export function severityFromScore(score: number | undefined): Severity {
  if (score === undefined || !Number.isFinite(score) || score < 0 || score > 10) return 'unknown';
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

const WORDS: Readonly<Record<string, Severity>> = {
  none: 'none',
  // Debian "unimportant" and Ubuntu "negligible" are real but minor issues that get no security fix
  unimportant: 'low',
  negligible: 'low',
  low: 'low',
  minor: 'low',
  medium: 'medium',
  moderate: 'medium', // Red Hat, GitHub, Microsoft, BSI
  high: 'high',
  important: 'high', // Red Hat, Microsoft
  critical: 'critical',
};

/**
 * A vendor's word (Red Hat Low/Moderate/Important/Critical, Ubuntu negligible…critical, Debian urgency,
 * GitHub MODERATE, Microsoft Important) on Patchline's scale; `unknown` for anything else
 * (`untriaged`, `not yet assigned`). Debian marks guessed urgencies with `*` or `**`: those count.
 */
export function severityFromText(text: string | undefined): Severity {
  if (text === undefined) return 'unknown';
  const word = text.trim().toLowerCase().replace(/\*+$/, '');
  return WORDS[word] ?? 'unknown';
}

/** The worse of the given severities; `unknown` only when nothing is known. */
export function maxSeverity(values: Iterable<Severity>): Severity {
  let best: Severity = 'unknown';
  for (const v of values) if (SEVERITIES.indexOf(v) > SEVERITIES.indexOf(best)) best = v;
  return best;
}
