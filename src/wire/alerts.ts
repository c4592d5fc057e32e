import { Type, type Static } from 'typebox';
import {
  ALERT_CHANNELS,
  ALERT_KINDS,
  ALERT_STATES,
  DELIVERY_STATUSES,
  OPTION_LIMITS,
} from '../core/alerts/index.ts';
import { DateTime, Id, Nullable, NullableDateTime } from './common.ts';

// Alerts, alert subscriptions and the delivery log as the native API answers with them (faces/native/
// alert-routes.ts) and the console reads them (types only).

export const AlertKind = Type.Enum([...ALERT_KINDS]);
export const AlertState = Type.Enum([...ALERT_STATES]);
export const AlertChannel = Type.Enum([...ALERT_CHANNELS]);
export const DeliveryStatus = Type.Enum([...DELIVERY_STATUSES]);

const option = (name: keyof typeof OPTION_LIMITS, description: string) =>
  Type.Optional(
    Type.Integer({
      minimum: OPTION_LIMITS[name].min,
      maximum: OPTION_LIMITS[name].max,
      description: `${description} (default ${OPTION_LIMITS[name].default})`,
    }),
  );
export const SubscriptionOptions = Type.Object(
  {
    rebootDays: option('rebootDays', 'reboot.pending: days a device has waited for a reboot'),
    silentHours: option('silentHours', 'device.silent: hours since the device last checked in'),
    digestMinutes: option('digestMinutes', 'e-mail: minutes between digests'),
  },
  { additionalProperties: false },
);

export const Alert = Type.Object({
  id: Id,
  organizationId: Id,
  organizationName: Type.String(),
  kind: AlertKind,
  state: AlertState,
  subject: Type.String(),
  message: Type.String(),
  deviceId: Nullable(Id),
  deviceName: Nullable(Type.String()),
  groupId: Nullable(Id),
  updateId: Nullable(Id),
  data: Type.Record(Type.String(), Type.Unknown()),
  createdAt: DateTime,
  closedAt: NullableDateTime,
  closedBy: Nullable(Type.String()),
  closeNotes: Nullable(Type.String()),
});
export type Alert = Static<typeof Alert>;

export const AlertSubscription = Type.Object({
  id: Id,
  organizationId: Id,
  name: Type.String(),
  kinds: Type.Array(AlertKind),
  channel: AlertChannel,
  url: Nullable(Type.String()),
  recipients: Type.Array(Type.String()),
  options: SubscriptionOptions,
  enabled: Type.Boolean(),
  secretSet: Type.Boolean(),
  secret: Type.Optional(
    Type.String({ description: 'the signing secret: answered once, on creation or when replaced' }),
  ),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type AlertSubscription = Static<typeof AlertSubscription>;

export const AlertDelivery = Type.Object({
  id: Id,
  subscriptionId: Id,
  alertId: Id,
  organizationId: Id,
  channel: AlertChannel,
  status: DeliveryStatus,
  attempts: Type.Integer(),
  nextAttemptAt: NullableDateTime,
  lastAttemptAt: NullableDateTime,
  deliveredAt: NullableDateTime,
  responseStatus: Nullable(Type.Integer()),
  responseExcerpt: Nullable(Type.String()),
  error: Nullable(Type.String()),
  batch: Nullable(Type.String()),
  createdAt: DateTime,
});
export type AlertDelivery = Static<typeof AlertDelivery>;
