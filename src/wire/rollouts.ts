import { Type, type Static } from 'typebox';
import { RULE_ACTIONS } from '../core/auto-approval.ts';
import { WEEKDAYS } from '../core/rollout/model.ts';
import { ROLLOUT_STATES } from '../core/rollout/progress.ts';
import { SEVERITIES } from '../core/severity.ts';
import { DateTime, Id, Nullable, NullableDateTime } from './common.ts';

// The native API's rollout plans (deployment rings) and auto-approval rules: bodies and resources.
// The shapes are checked here; the rules between fields (a ring needs members, unique ring names, a
// plan only with approve) in core/rollout/model.ts and core/auto-approval.ts.

const Percent = Type.Number({ minimum: 0, maximum: 100 });
const Ids = Type.Array(Id, { maxItems: 1000 });

export const RingDelay = Type.Union([
  Type.Object(
    { kind: Type.Literal('after_previous'), hours: Type.Number({ minimum: 0, maximum: 8760 }) },
    {
      additionalProperties: false,
      description: 'N hours after the previous ring finished (ring 1: after the approval)',
    },
  ),
  Type.Object(
    {
      kind: Type.Literal('release_day'),
      week: Type.Integer({ minimum: -1, maximum: 4, description: '1–4, or -1 for the last' }),
      weekday: Type.Enum([...WEEKDAYS]),
      offsetDays: Type.Optional(Type.Integer({ minimum: -27, maximum: 27 })),
      hour: Type.Optional(Type.Integer({ minimum: 0, maximum: 23, description: 'UTC' })),
    },
    {
      additionalProperties: false,
      description:
        'relative to the vendor release day, e.g. second Tuesday + 1 day, not before the previous ring finished',
    },
  ),
]);

export const PromotionGate = Type.Object(
  {
    minPercent: Percent,
    afterHours: Type.Number({ minimum: 0, maximum: 2160 }),
  },
  { additionalProperties: false },
);

export const Ring = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    groups: Type.Optional(Ids),
    devices: Type.Optional(Ids),
    sample: Type.Optional(
      Nullable(
        Type.Object(
          { groupId: Id, percent: Type.Number({ exclusiveMinimum: 0, maximum: 100 }) },
          { additionalProperties: false },
        ),
      ),
    ),
    delay: Type.Optional(RingDelay),
    gate: Type.Optional(PromotionGate),
  },
  { additionalProperties: false },
);

export const RolloutPlanBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    rings: Type.Array(Ring, { minItems: 1, maxItems: 10 }),
  },
  { additionalProperties: false },
);
export const NewRolloutPlan = Type.Object(
  {
    /**
     * the plan's organization; null: a plan across the organizations its rings name (a provider's), which
     * only a caller administering every one of them may make, see or act on
     */
    organizationId: Nullable(Id),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    rings: Type.Array(Ring, { minItems: 1, maxItems: 10 }),
  },
  { additionalProperties: false },
);

const StoredRing = Type.Object({
  name: Type.String(),
  groups: Type.Array(Id),
  devices: Type.Array(Id),
  sample: Nullable(Type.Object({ groupId: Id, percent: Type.Number() })),
  delay: Type.Object({
    kind: Type.Enum(['after_previous', 'release_day']),
    hours: Type.Optional(Type.Number()),
    week: Type.Optional(Type.Integer()),
    weekday: Type.Optional(Type.String()),
    offsetDays: Type.Optional(Type.Integer()),
    hour: Type.Optional(Type.Integer()),
  }),
  gate: Type.Object({ minPercent: Type.Number(), afterHours: Type.Number() }),
});

export const RolloutPlan = Type.Object({
  id: Id,
  /** null: a plan across organizations (`organizations`) */
  organizationId: Nullable(Id),
  organizations: Type.Array(Id, { description: 'every organization the plan spans' }),
  name: Type.String(),
  rings: Type.Array(StoredRing),
  createdBy: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type RolloutPlan = Static<typeof RolloutPlan>;

export const RingProgress = Type.Object({
  index: Type.Integer(),
  name: Type.String(),
  startedAt: NullableDateTime,
  finishedAt: NullableDateTime,
  startsAt: NullableDateTime,
  gateDueAt: NullableDateTime,
  gate: Type.Enum(['pending', 'passed', 'failed', 'skipped']),
  minPercent: Type.Number(),
  afterHours: Type.Number(),
  percent: Nullable(Type.Number()),
  devices: Type.Integer({ description: 'devices of the ring the update applies to, when it started' }),
  reason: Nullable(Type.String({ description: 'why the gate passed or failed, or who skipped it' })),
});

export const Rollout = Type.Object({
  id: Id,
  planId: Id,
  organizationId: Nullable(Id),
  updateId: Id,
  updateName: Type.String(),
  state: Type.Enum([...ROLLOUT_STATES]),
  reason: Nullable(Type.String()),
  approvedBy: Type.String(),
  approvedAt: DateTime,
  currentRing: Type.Integer(),
  rings: Type.Array(RingProgress),
});
export type Rollout = Static<typeof Rollout>;

export const RolloutPlanDetail = Type.Object({ plan: RolloutPlan, rollouts: Type.Array(Rollout) });
export type RolloutPlanDetail = Static<typeof RolloutPlanDetail>;

export const RuleConditions = Type.Object(
  {
    knownExploited: Type.Optional(Type.Boolean()),
    epssScoreAtLeast: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    epssPercentileAtLeast: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    cvssAtLeast: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
    severityAtLeast: Type.Optional(Type.Enum([...SEVERITIES])),
    customSeverity: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 }),
    ),
    minAgeDays: Type.Optional(Type.Number({ minimum: 0, maximum: 3650 })),
    classifications: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 }),
    ),
    product: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'wildcard: * and ?' })),
    package: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'wildcard: * and ?' })),
    groups: Type.Optional(Ids),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const AutoApprovalRuleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    enabled: Type.Optional(Type.Boolean()),
    conditions: Type.Optional(RuleConditions),
    action: Type.Enum([...RULE_ACTIONS]),
    planId: Type.Optional(Nullable(Id)),
  },
  { additionalProperties: false },
);

export const AutoApprovalRule = Type.Object({
  id: Id,
  organizationId: Id,
  position: Type.Integer(),
  name: Type.String(),
  enabled: Type.Boolean(),
  conditions: RuleConditions,
  action: Type.Enum([...RULE_ACTIONS]),
  planId: Nullable(Id),
  createdBy: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type AutoApprovalRule = Static<typeof AutoApprovalRule>;

export const AutoApprovalPreview = Type.Object({
  organizationId: Id,
  action: Type.Enum([...RULE_ACTIONS]),
  planId: Nullable(Id),
  updates: Type.Array(
    Type.Object({ updateId: Id, name: Type.String(), devices: Type.Array(Type.Object({ id: Id })) }),
  ),
  deviceCount: Type.Integer(),
});
export type AutoApprovalPreview = Static<typeof AutoApprovalPreview>;
