import { SEVERITIES, isSeverity, severityAtLeast, severityRank, type Severity } from '../severity.ts';
import { at, checkString, got, isRecord, rejectUnknown, type Issues } from './fields.ts';
import type { CandidateUpdate } from './model.ts';
import { compileWildcard } from './wildcard.ts';

// Advanced filter lines (Automox `advanced_filter`: one object per line, `{left, condition, right}`, for
// example `patch-source is windowsupdate` and `severity greater-than-or-equal-to medium`). An update
// satisfies an advanced rule when it satisfies EVERY line (lines narrow the selection, like the rows of
// Automox's advanced policy editor).
//
// The seed shows only those two lines and refers to a note that it does not contain, so the set below is
// Patchline's: the fields an update carries, and conditions that make sense for each kind of field.
// A line is written either as an object `{field, condition, value}` or as text `field condition value`,
// where the condition may also be a symbol (`=`, `!=`, `>=`, `<=`, `>`, `<`) and the value is the rest of
// the line (it may contain spaces; surrounding double quotes are removed).

export const TEXT_FIELDS = [
  'patch-source', // windowsupdate, apt, dnf, zypper, softwareupdate, a third-party catalog …
  'display-name',
  'package-name',
  'kb',
  'vendor',
  'product',
  'classification',
] as const;
export const ADVANCED_FIELDS = ['severity', ...TEXT_FIELDS] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
export type AdvancedField = (typeof ADVANCED_FIELDS)[number];

export const SEVERITY_CONDITIONS = [
  'is',
  'is-not',
  'greater-than-or-equal-to',
  'less-than-or-equal-to',
  'greater-than',
  'less-than',
] as const;
/** text comparisons ignore case; `matches` uses the wildcards `*` and `?` over the whole value */
export const TEXT_CONDITIONS = [
  'is',
  'is-not',
  'contains',
  'does-not-contain',
  'starts-with',
  'ends-with',
  'matches',
  'does-not-match',
] as const;
export type SeverityCondition = (typeof SEVERITY_CONDITIONS)[number];
export type TextCondition = (typeof TEXT_CONDITIONS)[number];

export type AdvancedFilter =
  | { readonly field: 'severity'; readonly condition: SeverityCondition; readonly value: Severity }
  | { readonly field: TextField; readonly condition: TextCondition; readonly value: string };

const SYMBOLS: Record<string, string> = {
  '=': 'is',
  '==': 'is',
  '!=': 'is-not',
  '>=': 'greater-than-or-equal-to',
  '<=': 'less-than-or-equal-to',
  '>': 'greater-than',
  '<': 'less-than',
};

export const VALUE_MAX = 256;

const isOneOf = <T extends string>(list: readonly T[], s: string): s is T =>
  (list as readonly string[]).includes(s);

/** Validates one line; reports problems under `path` and returns undefined when the line is unusable. */
export function parseAdvancedFilter(
  input: unknown,
  path: string,
  issues: Issues,
): AdvancedFilter | undefined {
  let field: unknown;
  let condition: unknown;
  let value: unknown;
  let fieldPath = path;
  let conditionPath = path;
  let valuePath = path;
  if (typeof input === 'string') {
    const m = /^\s*(\S+)\s+(\S+)\s+(.*?)\s*$/su.exec(input);
    if (!m) {
      issues.add(path, `must read "field condition value" (e.g. "severity >= medium"), ${got(input)}`);
      return undefined;
    }
    field = m[1]!.toLowerCase();
    condition = m[2]!.toLowerCase();
    const raw = m[3]!;
    value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  } else if (isRecord(input)) {
    rejectUnknown(input, ['field', 'condition', 'value'], path, issues);
    ({ field, condition, value } = input);
    fieldPath = at(path, 'field');
    conditionPath = at(path, 'condition');
    valuePath = at(path, 'value');
    for (const [k, v] of [
      ['field', field],
      ['condition', condition],
      ['value', value],
    ] as const) {
      if (v === undefined) issues.add(at(path, k), 'is required');
      else if (typeof v !== 'string') issues.add(at(path, k), `must be a string, ${got(v)}`);
    }
    if (typeof field !== 'string' || typeof condition !== 'string' || typeof value !== 'string')
      return undefined;
  } else {
    issues.add(path, `must be a filter line (text or {field, condition, value}), ${got(input)}`);
    return undefined;
  }
  const f = String(field);
  const c = SYMBOLS[String(condition)] ?? String(condition);
  if (!isOneOf(ADVANCED_FIELDS, f)) {
    issues.add(fieldPath, `must be one of ${ADVANCED_FIELDS.join(', ')}, ${got(field)}`);
    return undefined;
  }
  if (f === 'severity') {
    if (!isOneOf(SEVERITY_CONDITIONS, c)) {
      issues.add(
        conditionPath,
        `for severity must be one of ${SEVERITY_CONDITIONS.join(', ')}, ${got(condition)}`,
      );
      return undefined;
    }
    const v = String(value).trim().toLowerCase();
    if (!isSeverity(v)) {
      issues.add(valuePath, `must be a severity (${SEVERITIES.join(', ')}), ${got(value)}`);
      return undefined;
    }
    return { field: f, condition: c, value: v };
  }
  if (!isOneOf(TEXT_CONDITIONS, c)) {
    issues.add(conditionPath, `for ${f} must be one of ${TEXT_CONDITIONS.join(', ')}, ${got(condition)}`);
    return undefined;
  }
  const v = checkString(value, valuePath, issues, { min: 1, max: VALUE_MAX, notBlank: true });
  if (v === undefined) return undefined;
  return { field: f, condition: c, value: v };
}

/** The text form of a line, which `parseAdvancedFilter` reads back to the same line. */
export function formatAdvancedFilter(f: AdvancedFilter): string {
  const value = /^\s|\s$/u.test(f.value) ? `"${f.value}"` : f.value;
  return `${f.field} ${f.condition} ${value}`;
}

function textOf(field: TextField, u: CandidateUpdate): string | null {
  switch (field) {
    case 'patch-source':
      return u.patchSource ?? null;
    case 'display-name':
      return u.name;
    case 'package-name':
      return u.package ?? null;
    case 'kb':
      return u.kb ? normalizeKb(u.kb) : null;
    case 'vendor':
      return u.vendor ?? null;
    case 'product':
      return u.product ?? null;
    case 'classification':
      return u.classification ?? null;
  }
}

/** `5034441` and `kb5034441` both read as `KB5034441`, so either spelling matches. */
export const normalizeKb = (kb: string): string => {
  const t = kb.trim();
  return /^[0-9]+$/.test(t) ? `KB${t}` : /^kb[0-9]+$/i.test(t) ? t.toUpperCase() : t;
};

/**
 * Whether the update satisfies the line. A text field the update lacks (no KB on a Linux package) has no
 * value: positive conditions (is, contains, starts-with, ends-with, matches) fail and negative ones
 * (is-not, does-not-contain, does-not-match) hold.
 */
export function evaluateAdvancedFilter(f: AdvancedFilter, u: CandidateUpdate): boolean {
  if (f.field === 'severity') {
    const s = u.severity;
    switch (f.condition) {
      case 'is':
        return s === f.value;
      case 'is-not':
        return s !== f.value;
      case 'greater-than-or-equal-to':
        return severityAtLeast(s, f.value);
      case 'greater-than':
        return severityAtLeast(s, f.value) && s !== f.value;
      case 'less-than-or-equal-to':
        return s !== 'unknown' && f.value !== 'unknown'
          ? severityRank(s) <= severityRank(f.value)
          : s === f.value;
      case 'less-than':
        return s !== 'unknown' && f.value !== 'unknown' && severityRank(s) < severityRank(f.value);
    }
  }
  const raw = textOf(f.field, u);
  const positive = (c: TextCondition): boolean => {
    if (raw === null) return false;
    const text = raw.toLowerCase();
    const value = (f.field === 'kb' ? normalizeKb(f.value) : f.value).toLowerCase();
    switch (c) {
      case 'is':
      case 'is-not':
        return text === value;
      case 'contains':
      case 'does-not-contain':
        return text.includes(value);
      case 'starts-with':
        return text.startsWith(value);
      case 'ends-with':
        return text.endsWith(value);
      case 'matches':
      case 'does-not-match':
        return compileWildcard(value)(text);
    }
  };
  const c = f.condition;
  return c === 'is-not' || c === 'does-not-contain' || c === 'does-not-match' ? !positive(c) : positive(c);
}
