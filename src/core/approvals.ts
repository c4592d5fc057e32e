// Approval decisions and their precedence (DESIGN.md): a decision on the device beats one on a group
// (the nearest group first), which beats the organization's, which beats the policy rule.
// At the same level a user's decision beats one set by a policy. A decision an auto-approval rule or a
// rollout plan set (source 'rule') is weaker than every other one, whatever its level: a person's decision
// (or a policy's) anywhere in the chain still wins over what a rule decided on its own.

export const APPROVAL_ACTIONS = ['approve', 'ignore', 'none'] as const;
/** 'none' is "do nothing": neither install nor ignore; the update stays missing. */
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];
export type ApprovalLevel = 'device' | 'group' | 'organization' | 'policy';
export type ApprovalSource = 'user' | 'policy' | 'rule';
export const APPROVAL_SOURCES: readonly ApprovalSource[] = ['user', 'policy', 'rule'];

export interface Decision {
  readonly level: ApprovalLevel;
  /** for group decisions: 0 = the device's own group, 1 = its parent, … */
  readonly depth?: number;
  readonly action: ApprovalAction;
  readonly source: ApprovalSource;
  readonly setBy?: string;
  readonly setAt?: Date;
}

const LEVEL_RANK: Record<ApprovalLevel, number> = { device: 0, group: 1, organization: 2, policy: 3 };

/** Orders decisions from strongest to weakest. */
export function compareDecisions(a: Decision, b: Decision): number {
  return (
    (a.source === 'rule' ? 1 : 0) - (b.source === 'rule' ? 1 : 0) ||
    LEVEL_RANK[a.level] - LEVEL_RANK[b.level] ||
    (a.depth ?? 0) - (b.depth ?? 0) ||
    (a.source === b.source ? 0 : a.source === 'user' ? -1 : 1)
  );
}

/** The decision that governs, or undefined when nobody decided anything. */
export function effectiveDecision(decisions: readonly Decision[]): Decision | undefined {
  let best: Decision | undefined;
  for (const d of decisions) if (!best || compareDecisions(d, best) < 0) best = d;
  return best;
}

export function effectiveApproval(decisions: readonly Decision[]): ApprovalAction | undefined {
  return effectiveDecision(decisions)?.action;
}

/**
 * Where the decision governing an update on one device comes from, as the device-centred dialects
 * (N-sight's policy codes) show it: `override` when a user decided on the device itself; anything else
 * (a group's, the organization's, a policy rule's decision, or none) is inherited. Nobody deciding
 * anything is "do nothing" (the update stays missing), inherited.
 */
export interface ApprovalOrigin {
  readonly action: ApprovalAction;
  readonly override: boolean;
}

export function approvalOrigin(
  d: Pick<Decision, 'action' | 'level' | 'source'> | undefined | null,
): ApprovalOrigin {
  if (!d) return { action: 'none', override: false };
  return { action: d.action, override: d.level === 'device' && d.source === 'user' };
}
