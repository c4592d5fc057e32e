import { evaluateAdvancedFilter, formatAdvancedFilter, normalizeKb } from './advanced-filter.ts';
import type {
  CandidateUpdate,
  DeviceFacts,
  Exclusion,
  ExclusionReason,
  PatchPolicy,
  PolicyTargets,
  RuleMatch,
  Selection,
  SelectionRule,
  VendorProductPair,
  VendorProductSelection,
} from './model.ts';
import { compileWildcard } from './wildcard.ts';

// Which of a device's missing updates a policy selects, and why each other one is left out.
//
// Every update goes through these steps in order; the first that fails names the exclusion:
//  1. the policy is enabled                                         → 'policy-disabled'
//  2. the policy targets the device (device, group or saved filter) → 'not-targeted'
//  3. the effective approval (approvals apply on top of the rule):
//     - 'ignore' always excludes                                   → 'ignored'
//     - 'none' ("do nothing", N-able's Do Nothing) excludes too: somebody decided that this update
//       must neither be installed nor ignored, and that decision outranks the policy rule, which is the
//       weakest level of approval precedence. The update stays missing and is still reported, unlike
//       an ignored one.                                            → 'do-nothing'
//     - undefined means nobody decided: the rule alone decides.
//     - 'approve' is consent to install this update: the manual rule requires it, it admits the update
//       through the manually-approved class and past the optional flag, but it does not override the
//       rule's own filters (patterns, severities, filter lines, lists, vendors/products), which are the
//       policy author's scope.
//  4. the rule's match (all / include / exclude / severity / advanced / manual / list)
//  5. the vendor/product selection                                  → 'vendor-product'
//  6. the update classes: security or non-security enabled, or approved with manually-approved enabled
//                                                                   → 'class-disabled'
//  7. optional updates only when the rule includes them (or the update is approved) → 'optional'

export function isTargeted(targets: PolicyTargets, device: DeviceFacts): boolean {
  // a policy targeting a rollout plan reaches its rings' devices (the caller knows which they are)
  if ((targets.rolloutPlan ?? null) !== null) return device.inRolloutPlan === true;
  if (targets.devices.includes(device.id)) return true;
  if (device.groupIds.some((g) => targets.groups.includes(g))) return true;
  return targets.deviceFilter !== null && (device.deviceFilterIds ?? []).includes(targets.deviceFilter);
}

export function selectUpdates(
  policy: PatchPolicy,
  device: DeviceFacts,
  candidates: readonly CandidateUpdate[],
): Selection {
  const targeted = isTargeted(policy.targets, device);
  const selected: CandidateUpdate[] = [];
  const excluded: Exclusion[] = [];
  const evaluate = compileRule(policy.rule, device);
  for (const update of candidates) {
    let verdict: Verdict | null;
    if (!policy.enabled) verdict = ['policy-disabled', 'the policy is disabled'];
    else if (!targeted) verdict = ['not-targeted', `the policy does not target device ${device.id}`];
    else verdict = evaluate(update);
    if (verdict) excluded.push({ update, reason: verdict[0], detail: verdict[1] });
    else selected.push(update);
  }
  return { targeted, selected, excluded };
}

type Verdict = readonly [ExclusionReason, string];
/** null when the update is selected */
type Evaluator = (u: CandidateUpdate) => Verdict | null;

/** The rule alone (steps 3 to 7), for callers that already know the device is targeted. */
export function compileRule(rule: SelectionRule, device: Pick<DeviceFacts, 'osFamily'>): Evaluator {
  const match = compileMatch(rule.match);
  const vendor = rule.vendorProducts ? compileVendorProducts(rule.vendorProducts, device.osFamily) : null;
  const { classes } = rule;
  return (u) => {
    const approved = u.approval === 'approve';
    if (u.approval === 'ignore') return ['ignored', 'the update is ignored for this device'];
    if (u.approval === 'none') return ['do-nothing', "the update's approval is 'do nothing'"];
    const m = match(u);
    if (m) return m;
    const v = vendor?.(u);
    if (v) return v;
    const classOn = u.security ? classes.security : classes.nonSecurity;
    if (!classOn && !(approved && classes.manuallyApproved)) {
      const cls = u.security ? 'security' : 'non-security';
      return [
        'class-disabled',
        `${cls} updates are not enabled${classes.manuallyApproved ? ' and the update is not approved' : ''}`,
      ];
    }
    if (u.optional && !rule.includeOptional && !approved)
      return ['optional', 'optional updates are not included'];
    return null;
  };
}

/** The texts a name/KB/package pattern is matched against. */
function patternTexts(u: CandidateUpdate): string[] {
  const texts = [u.name];
  if (u.kb) texts.push(u.kb, normalizeKb(u.kb));
  if (u.package) texts.push(u.package);
  return texts;
}

function compileMatch(match: RuleMatch): Evaluator {
  switch (match.kind) {
    case 'all':
      return () => null;
    case 'manual':
      return (u) =>
        u.approval === 'approve' ? null : ['not-approved', 'the rule installs only approved updates'];
    case 'include':
    case 'exclude': {
      const matchers = match.patterns.map((p) => [p, compileWildcard(p)] as const);
      const firstMatch = (u: CandidateUpdate): string | undefined => {
        const texts = patternTexts(u);
        return matchers.find(([, m]) => texts.some((t) => m(t)))?.[0];
      };
      return match.kind === 'include'
        ? (u) =>
            firstMatch(u) === undefined
              ? ['not-included', 'no include pattern matches its name, KB or package']
              : null
        : (u) => {
            const p = firstMatch(u);
            return p === undefined
              ? null
              : ['excluded-by-pattern', `matches the exclude pattern ${JSON.stringify(p)}`];
          };
    }
    case 'severity': {
      const set = new Set(match.severities);
      return (u) =>
        set.has(u.severity)
          ? null
          : ['severity', `severity ${u.severity} is not one of ${match.severities.join(', ')}`];
    }
    case 'advanced':
      return (u) => {
        const failed = match.filters.find((f) => !evaluateAdvancedFilter(f, u));
        return failed ? ['advanced-filter', `fails the filter line "${formatAdvancedFilter(failed)}"`] : null;
      };
    case 'list': {
      const updates = new Set<number>(match.updates);
      const bulletins = new Set<number>(match.bulletins);
      return (u) =>
        updates.has(u.updateId) || (u.bulletinId != null && bulletins.has(u.bulletinId))
          ? null
          : ['not-listed', 'neither the update nor its bulletin is listed'];
    }
  }
}

function compilePair(pair: VendorProductPair): (u: CandidateUpdate) => boolean {
  const vendor = compileWildcard(pair.vendor);
  const products = pair.products.map(compileWildcard);
  return (u) =>
    u.vendor != null &&
    vendor(u.vendor) &&
    (products.length === 0 || (u.product != null && products.some((p) => p(u.product!))));
}

function compileVendorProducts(sel: VendorProductSelection, os: DeviceFacts['osFamily']): Evaluator {
  // a pair for another operating system does not apply to this device
  const pairs = sel.pairs.filter((p) => p.os === null || p.os === os).map(compilePair);
  const matches = (u: CandidateUpdate) => pairs.some((m) => m(u));
  return sel.mode === 'include'
    ? (u) => (matches(u) ? null : ['vendor-product', 'its vendor/product is not among the included pairs'])
    : (u) => (matches(u) ? ['vendor-product', 'its vendor/product is among the excluded pairs'] : null);
}
