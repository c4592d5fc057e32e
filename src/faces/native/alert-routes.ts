import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import * as alerts from '../../services/alerts.ts';
import {
  Alert,
  AlertChannel,
  AlertDelivery,
  AlertKind,
  AlertState,
  AlertSubscription,
  DeliveryStatus,
  SubscriptionOptions,
} from '../../wire/alerts.ts';
import { errors, Id, IdParam, ListOf, pageOf, PageQuery } from './schemas.ts';

// Alerts, alert subscriptions and the delivery log (docs/alerts.md). Translation only: services/alerts.ts
// authorizes and decides.

const idOf = (req: { params: unknown }) => (req.params as { id: number }).id;
type PageParams = { limit?: number; offset?: number; sort?: string };

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Kinds = Type.Array(AlertKind, { minItems: 1, maxItems: 20 });
const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'http or https' });
const Secret = Type.String({ minLength: 16, maxLength: 200 });
const Recipients = Type.Array(Type.String({ minLength: 3, maxLength: 254 }), { maxItems: 50 });

export function alertRoutes(app: FastifyInstance) {
  app.get(
    '/alerts',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts in scope, newest first',
        querystring: Type.Object({
          ...PageQuery,
          organizationId: Type.Optional(Id),
          deviceId: Type.Optional(Id),
          kind: Type.Optional(AlertKind),
          state: Type.Optional(AlertState),
        }),
        response: { 200: ListOf(Alert), ...errors },
      },
    },
    async (req) => {
      const { limit, offset, sort, ...f } = req.query as alerts.AlertFilter & PageParams;
      return alerts.listAlerts(req.ctx, f, pageOf({ limit, offset, sort }, ['id', 'createdAt', 'kind']));
    },
  );
  app.get(
    '/alerts/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['alerts'],
        summary: 'One alert',
        params: IdParam,
        response: { 200: Alert, ...errors },
      },
    },
    async (req) => alerts.getAlert(req.ctx, idOf(req)),
  );
  app.post(
    '/alerts/:id/close',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['alerts'],
        summary: 'Close an open alert, with a note why (manage_devices)',
        params: IdParam,
        body: Type.Optional(
          Type.Object(
            { notes: Type.Optional(Type.String({ maxLength: 2000 })) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: Alert, ...errors },
      },
    },
    async (req) =>
      alerts.closeAlert(req.ctx, idOf(req), (req.body as { notes?: string } | undefined)?.notes ?? null),
  );

  app.get(
    '/alert-subscriptions',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['alerts'],
        summary: "Organizations' alert subscriptions",
        querystring: Type.Object({ ...PageQuery, organizationId: Type.Optional(Id) }),
        response: { 200: ListOf(AlertSubscription), ...errors },
      },
    },
    async (req) => {
      const { limit, offset, sort, organizationId } = req.query as PageParams & { organizationId?: number };
      return alerts.listSubscriptions(
        req.ctx,
        organizationId,
        pageOf({ limit, offset, sort }, ['id', 'name', 'createdAt']),
      );
    },
  );
  app.post(
    '/alert-subscriptions',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['alerts'],
        summary: 'Subscribe to alert kinds of an organization, by webhook or e-mail (administer)',
        description:
          'A webhook gets one signed POST per alert (X-Patchline-Signature: sha256=HMAC of the body with the secret; ' +
          'X-Patchline-Delivery: the delivery id, the same on every retry); an e-mail subscription gets one digest per period.',
        body: Type.Object(
          {
            organizationId: Id,
            name: Name,
            kinds: Kinds,
            channel: AlertChannel,
            url: Type.Optional(Url),
            secret: Type.Optional(Secret),
            recipients: Type.Optional(Recipients),
            options: Type.Optional(SubscriptionOptions),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 201: AlertSubscription, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await alerts.createSubscription(req.ctx, req.body as alerts.SubscriptionInput)),
  );
  app.get(
    '/alert-subscriptions/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['alerts'],
        summary: 'One alert subscription',
        params: IdParam,
        response: { 200: AlertSubscription, ...errors },
      },
    },
    async (req) => alerts.getSubscription(req.ctx, idOf(req)),
  );
  app.patch(
    '/alert-subscriptions/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['alerts'],
        summary: 'Change an alert subscription (administer); newSecret: true replaces the secret',
        params: IdParam,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            kinds: Type.Optional(Kinds),
            url: Type.Optional(Url),
            secret: Type.Optional(Secret),
            newSecret: Type.Optional(Type.Boolean()),
            recipients: Type.Optional(Recipients),
            options: Type.Optional(SubscriptionOptions),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: AlertSubscription, ...errors },
      },
    },
    async (req) =>
      alerts.updateSubscription(
        req.ctx,
        idOf(req),
        req.body as alerts.SubscriptionPatch & { newSecret?: boolean },
      ),
  );
  app.delete(
    '/alert-subscriptions/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['alerts'],
        summary: 'Delete an alert subscription and its delivery log (administer)',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await alerts.deleteSubscription(req.ctx, idOf(req));
      return reply.status(204).send();
    },
  );
  app.post(
    '/alert-subscriptions/:id/resume',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['alerts'],
        summary: 'Queue again the deliveries that failed after a day of retries, in order (administer)',
        params: IdParam,
        response: { 200: Type.Object({ requeued: Type.Integer() }), ...errors },
      },
    },
    async (req) => alerts.resumeSubscription(req.ctx, idOf(req)),
  );
  app.get(
    '/alert-deliveries',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['alerts'],
        summary: 'The delivery log: each alert sent (or being sent) to each subscription, newest first',
        querystring: Type.Object({
          ...PageQuery,
          organizationId: Type.Optional(Id),
          subscriptionId: Type.Optional(Id),
          alertId: Type.Optional(Id),
          status: Type.Optional(DeliveryStatus),
        }),
        response: { 200: ListOf(AlertDelivery), ...errors },
      },
    },
    async (req) => {
      const { limit, offset, sort, ...f } = req.query as PageParams &
        Parameters<typeof alerts.listDeliveries>[1];
      return alerts.listDeliveries(req.ctx, f, pageOf({ limit, offset, sort }, ['id', 'createdAt']));
    },
  );
}
