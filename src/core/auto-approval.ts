import { invalid, type FieldIssue } from './errors.ts';
import { compileWildcard } from './policies/wildcard.ts';
import { isSeverity, severityAtLeast, type Severity } from './severity.ts';

// Risk-based auto-approval rules: per organization, ordered; the first rule whose conditions all hold for
// an (update, device) pair decides, and its action is approve (optionally into a rollout plan), ignore,
// or do nothing (stop: later rules are not consulted). Pure: the service gathers the catalog's facts.

export const RULE_ACTIONS = ['approve', 'ignore', 'stop'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** every condition is optional; a rule with none matches everything */
export interface RuleConditions {
  readonly knownExploited?: boolean;
  readonly epssScoreAtLeast?: number; // 0..1
  readonly epssPercentileAtLeast?: number; // 0..1
  readonly cvssAtLeast?: number; // 0..10
  readonly severityAtLeast?: Severity; // the vendor's severity
  readonly customSeverity?: readonly string[]; // one of these of the organization's custom severities
  readonly minAgeDays?: number; // days since release
  readonly classifications?: readonly string[];
  readonly product?: string; // wildcard
  readonly package?: string; // wildcard, on the package name (or the update's name)
  readonly groups?: readonly number[]; // the device is in one of these groups or below
  readonly tags?: readonly string[]; // the device has one of these tags
}

export interface AutoApprovalRuleBody {
  readonly name: string;
  readonly enabled: boolean;
  readonly conditions: RuleConditions;
  readonly action: RuleAction;
  /** with action approve: approve into this rollout plan instead of everywhere at once */
  readonly planId: number | null;
}

/** what the catalog knows of an update, for one organization */
export interface UpdateFacts {
  readonly updateId: number;
  readonly name: string;
  readonly packageName: string | null;
  readonly product: string | null;
  readonly classification: string;
  readonly severity: Severity;
  readonly customSeverity: string | null;
  readonly knownExploited: boolean;
  readonly epssScore: number | null;
  readonly epssPercentile: number | null;
  readonly cvss: number | null;
  readonly releasedAt: Date | null;
}

export interface DeviceFacts {
  readonly deviceId: number;
  /** the device's group and every ancestor */
  readonly groupChain: readonly number[];
  readonly tags: readonly string[];
}

const DAY = 86_400_000;
const atLeast = (v: number | null, t: number | undefined) => t === undefined || (v !== null && v >= t);

/** whether the rule's conditions hold for an update on a device at `now` */
export function ruleMatches(c: RuleConditions, u: UpdateFacts, d: DeviceFacts, now: Date): boolean {
  if (c.knownExploited !== undefined && u.knownExploited !== c.knownExploited) return false;
  if (!atLeast(u.epssScore, c.epssScoreAtLeast)) return false;
  if (!atLeast(u.epssPercentile, c.epssPercentileAtLeast)) return false;
  if (!atLeast(u.cvss, c.cvssAtLeast)) return false;
  if (c.severityAtLeast !== undefined && !severityAtLeast(u.severity, c.severityAtLeast)) return false;
  if (c.customSeverity?.length) {
    const cs = u.customSeverity?.toLowerCase();
    if (!cs || !c.customSeverity.some((s) => s.toLowerCase() === cs)) return false;
  }
  if (
    c.minAgeDays !== undefined &&
    (!u.releasedAt || now.getTime() - u.releasedAt.getTime() < c.minAgeDays * DAY)
  )
    return false;
  if (
    c.classifications?.length &&
    !c.classifications.some((x) => x.toLowerCase() === u.classification.toLowerCase())
  )
    return false;
  if (c.product !== undefined && !(u.product !== null && compileWildcard(c.product)(u.product))) return false;
  if (c.package !== undefined && !compileWildcard(c.package)(u.packageName ?? u.name)) return false;
  if (c.groups?.length && !c.groups.some((g) => d.groupChain.includes(g))) return false;
  if (c.tags?.length) {
    const has = new Set(d.tags.map((t) => t.toLowerCase()));
    if (!c.tags.some((t) => has.has(t.toLowerCase()))) return false;
  }
  return true;
}

export interface RuleDecision<R> {
  readonly rule: R;
  readonly action: RuleAction;
}

/** the first enabled rule (in order) that matches decides; undefined when none does */
export function decideByRules<R extends AutoApprovalRuleBody>(
  rules: readonly R[],
  u: UpdateFacts,
  d: DeviceFacts,
  now: Date,
): RuleDecision<R> | undefined {
  for (const r of rules)
    if (r.enabled && ruleMatches(r.conditions, u, d, now)) return { rule: r, action: r.action };
  return undefined;
}

// ---- validation of a rule body (the native API's shape) ----

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const CONDITION_KEYS = [
  'knownExploited',
  'epssScoreAtLeast',
  'epssPercentileAtLeast',
  'cvssAtLeast',
  'severityAtLeast',
  'customSeverity',
  'minAgeDays',
  'classifications',
  'product',
  'package',
  'groups',
  'tags',
] as const;

function parseConditions(v: unknown, issues: FieldIssue[]): RuleConditions {
  if (v === undefined) return {};
  if (!isObj(v)) {
    issues.push({ path: '/conditions', message: 'must be an object' });
    return {};
  }
  const out: Record<string, unknown> = {};
  const num = (k: string, max: number) => {
    const x = v[k];
    if (x === undefined) return;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > max)
      issues.push({ path: `/conditions/${k}`, message: `must be a number from 0 to ${max}` });
    else out[k] = x;
  };
  const strings = (k: string, max = 100) => {
    const x = v[k];
    if (x === undefined) return;
    if (
      !Array.isArray(x) ||
      x.length > max ||
      !x.every((s) => typeof s === 'string' && s.length >= 1 && s.length <= 200)
    )
      issues.push({
        path: `/conditions/${k}`,
        message: `must be a list of at most ${max} non-empty strings`,
      });
    else out[k] = [...x];
  };
  const pattern = (k: string) => {
    const x = v[k];
    if (x === undefined) return;
    if (typeof x !== 'string' || !x.length || x.length > 200)
      issues.push({ path: `/conditions/${k}`, message: 'must be a wildcard pattern of 1 to 200 characters' });
    else out[k] = x;
  };
  for (const k of Object.keys(v))
    if (!(CONDITION_KEYS as readonly string[]).includes(k))
      issues.push({ path: `/conditions/${k}`, message: 'unknown condition' });
  if (v.knownExploited !== undefined) {
    if (typeof v.knownExploited !== 'boolean')
      issues.push({ path: '/conditions/knownExploited', message: 'must be a boolean' });
    else out.knownExploited = v.knownExploited;
  }
  num('epssScoreAtLeast', 1);
  num('epssPercentileAtLeast', 1);
  num('cvssAtLeast', 10);
  num('minAgeDays', 3650);
  if (v.severityAtLeast !== undefined) {
    if (typeof v.severityAtLeast !== 'string' || !isSeverity(v.severityAtLeast))
      issues.push({ path: '/conditions/severityAtLeast', message: 'must be a severity' });
    else out.severityAtLeast = v.severityAtLeast;
  }
  strings('customSeverity');
  strings('classifications');
  strings('tags');
  pattern('product');
  pattern('package');
  if (v.groups !== undefined) {
    const g = v.groups;
    if (!Array.isArray(g) || g.length > 1000 || !g.every((x) => Number.isInteger(x) && (x as number) > 0))
      issues.push({ path: '/conditions/groups', message: 'must be a list of group ids' });
    else out.groups = [...new Set(g as number[])];
  }
  return out as RuleConditions;
}

export function parseAutoApprovalRule(v: unknown): AutoApprovalRuleBody {
  if (!isObj(v)) throw invalid('an auto-approval rule must be an object');
  const issues: FieldIssue[] = [];
  for (const k of Object.keys(v))
    if (!['name', 'enabled', 'conditions', 'action', 'planId'].includes(k))
      issues.push({ path: `/${k}`, message: 'unknown field' });
  const name = typeof v.name === 'string' ? v.name.trim() : '';
  if (!name || name.length > 200) issues.push({ path: '/name', message: 'must be 1 to 200 characters' });
  if (v.enabled !== undefined && typeof v.enabled !== 'boolean')
    issues.push({ path: '/enabled', message: 'must be a boolean' });
  if (!(RULE_ACTIONS as readonly unknown[]).includes(v.action))
    issues.push({ path: '/action', message: `must be one of ${RULE_ACTIONS.join(', ')}` });
  let planId: number | null = null;
  if (v.planId !== undefined && v.planId !== null) {
    if (!Number.isInteger(v.planId) || (v.planId as number) <= 0)
      issues.push({ path: '/planId', message: 'must be a rollout plan id' });
    else if (v.action !== 'approve')
      issues.push({ path: '/planId', message: 'only an approve rule can name a plan' });
    else planId = v.planId as number;
  }
  const conditions = parseConditions(v.conditions, issues);
  if (issues.length) throw invalid('invalid auto-approval rule', issues);
  return { name, enabled: v.enabled !== false, conditions, action: v.action as RuleAction, planId };
}
