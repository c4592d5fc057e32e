import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import * as rules from '../../services/auto-approval.ts';
import * as rollouts from '../../services/rollouts.ts';
import {
  AutoApprovalPreview,
  AutoApprovalRule,
  AutoApprovalRuleBody,
  NewRolloutPlan,
  RolloutPlan,
  RolloutPlanBody,
  RolloutPlanDetail,
} from '../../wire/rollouts.ts';
import { errors, Id, IdParam } from './schemas.ts';

// Safe rollout (issue #18): rollout plans with their rings' progress, operator actions on a rollout, and
// the organization's auto-approval rules with their preview. Translation only: services/rollouts.ts and
// services/auto-approval.ts authorize and decide.

const idOf = (req: { params: unknown }) => (req.params as { id: number }).id;
const NoteBody = Type.Optional(
  Type.Object({ note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
);
const ACTIONS: Record<string, { action: rollouts.RolloutAction; summary: string }> = {
  pause: { action: 'pause', summary: 'Pause a rollout: no ring starts and no gate is judged until resumed' },
  resume: { action: 'resume', summary: 'Resume a paused rollout' },
  'skip-gate': {
    action: 'skip-gate',
    summary:
      "Skip the current ring's gate (also a failed one): the ring counts as finished, the next follows its delay",
  },
  'roll-forward': {
    action: 'roll-forward',
    summary: 'Start the next ring now, whatever its delay and the current gate',
  },
};

export function rolloutRoutes(app: FastifyInstance) {
  app.get(
    '/rollout-plans',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['rollouts'],
        summary: 'Rollout plans of the organizations you own',
        querystring: Type.Object({ organizationId: Type.Optional(Id) }),
        response: { 200: Type.Object({ items: Type.Array(RolloutPlan) }), ...errors },
      },
    },
    async (req) => ({
      items: await rollouts.listPlans(req.ctx, (req.query as { organizationId?: number }).organizationId),
    }),
  );
  app.post(
    '/rollout-plans',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['rollouts'],
        summary:
          'Create a rollout plan: ordered deployment rings with delays and promotion gates (organizationId null: across organizations)',
        body: NewRolloutPlan,
        response: { 201: RolloutPlan, ...errors },
      },
    },
    async (req, reply) => {
      const { organizationId, ...body } = req.body as { organizationId: number | null };
      return reply.status(201).send(await rollouts.createPlan(req.ctx, organizationId, body));
    },
  );
  app.get(
    '/rollout-plans/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['rollouts'],
        summary: 'A plan and every update approved into it, ring by ring (progress, gate and why it failed)',
        params: IdParam,
        response: { 200: RolloutPlanDetail, ...errors },
      },
    },
    async (req) => rollouts.planRollouts(req.ctx, idOf(req)),
  );
  app.put(
    '/rollout-plans/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['rollouts'],
        summary: 'Replace a plan’s name and rings (rollouts under way keep their progress)',
        params: IdParam,
        body: RolloutPlanBody,
        response: { 200: RolloutPlan, ...errors },
      },
    },
    async (req) => rollouts.updatePlan(req.ctx, idOf(req), req.body),
  );
  app.delete(
    '/rollout-plans/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['rollouts'],
        summary: 'Delete a plan and its rollouts',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await rollouts.deletePlan(req.ctx, idOf(req));
      return reply.status(204).send();
    },
  );
  app.post(
    '/rollout-plans/:id/approve',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['rollouts'],
        summary: 'Approve updates into a plan: each moves ring by ring by itself',
        params: IdParam,
        body: Type.Object(
          { updateIds: Type.Array(Id, { minItems: 1, maxItems: 500 }) },
          { additionalProperties: false },
        ),
        response: { 200: RolloutPlanDetail, ...errors },
      },
    },
    async (req) =>
      rollouts.approveIntoPlan(req.ctx, idOf(req), (req.body as { updateIds: number[] }).updateIds),
  );
  for (const [path, a] of Object.entries(ACTIONS))
    app.post(
      `/rollouts/:id/${path}`,
      {
        config: { scope: 'organization' },
        schema: {
          tags: ['rollouts'],
          summary: a.summary,
          params: IdParam,
          body: NoteBody,
          response: { 200: RolloutPlanDetail, ...errors },
        },
      },
      async (req) =>
        rollouts.actOnRollout(
          req.ctx,
          idOf(req),
          a.action,
          (req.body as { note?: string } | undefined)?.note,
        ),
    );

  // ---- auto-approval rules ----
  app.get(
    '/organizations/:id/auto-approval-rules',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['auto-approval'],
        summary: "The organization's auto-approval rules, in the order they are evaluated",
        params: IdParam,
        response: { 200: Type.Object({ items: Type.Array(AutoApprovalRule) }), ...errors },
      },
    },
    async (req) => ({ items: await rules.listRules(req.ctx, idOf(req)) }),
  );
  app.post(
    '/organizations/:id/auto-approval-rules',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['auto-approval'],
        summary: 'Add a rule at the end of the organization’s list (it is evaluated at once)',
        params: IdParam,
        body: AutoApprovalRuleBody,
        response: { 201: AutoApprovalRule, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(await rules.createRule(req.ctx, idOf(req), req.body)),
  );
  app.put(
    '/organizations/:id/auto-approval-rules/order',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['auto-approval'],
        summary:
          'Reorder the rules: list every rule id once, first evaluated first (the first match decides)',
        params: IdParam,
        body: Type.Object({ ruleIds: Type.Array(Id, { maxItems: 1000 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(AutoApprovalRule) }), ...errors },
      },
    },
    async (req) => ({
      items: await rules.reorderRules(req.ctx, idOf(req), (req.body as { ruleIds: number[] }).ruleIds),
    }),
  );
  app.post(
    '/organizations/:id/auto-approval/preview',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['auto-approval'],
        summary: 'What a rule (not saved) would decide now, on which devices',
        description:
          'Only missing updates where no person or policy decided are listed: a rule never overrides them.',
        params: IdParam,
        body: AutoApprovalRuleBody,
        response: { 200: AutoApprovalPreview, ...errors },
      },
    },
    async (req) => rules.previewRule(req.ctx, idOf(req), req.body),
  );
  app.get(
    '/auto-approval-rules/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['auto-approval'],
        summary: 'One rule',
        params: IdParam,
        response: { 200: AutoApprovalRule, ...errors },
      },
    },
    async (req) => rules.getRule(req.ctx, idOf(req)),
  );
  app.put(
    '/auto-approval-rules/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['auto-approval'],
        summary: 'Replace a rule (it is evaluated at once)',
        params: IdParam,
        body: AutoApprovalRuleBody,
        response: { 200: AutoApprovalRule, ...errors },
      },
    },
    async (req) => rules.updateRule(req.ctx, idOf(req), req.body),
  );
  app.delete(
    '/auto-approval-rules/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['auto-approval'],
        summary: 'Delete a rule (its decisions stay until changed)',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await rules.deleteRule(req.ctx, idOf(req));
      return reply.status(204).send();
    },
  );
}
