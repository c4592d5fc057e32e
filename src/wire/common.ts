import { Type, type TSchema } from 'typebox';

// The building blocks of every wire schema (native API, agent protocol): typebox only, so the server,
// the agent and the console can all import them.
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
export const DateTime = Type.String({ format: 'date-time' });
export const NullableDateTime = Type.Union([DateTime, Type.Null()]);
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const OsFamily = Type.Enum(['windows', 'linux', 'macos', 'unknown']);
