// Every entity has a stable internal id: a positive integer from the store's identity columns.
// Faces render ids in the shape their clients expect (see faces/shared/ids.ts) and parse them back.
declare const brand: unique symbol;
export type Id<Tag extends string> = number & { readonly [brand]: Tag };

export type OrganizationId = Id<'Organization'>;
export type GroupId = Id<'Group'>;
export type DeviceId = Id<'Device'>;
export type UserId = Id<'User'>;
export type RoleId = Id<'Role'>;
export type ScopeId = Id<'Scope'>;
export type ApiKeyId = Id<'ApiKey'>;
export type UpdateId = Id<'Update'>;
export type BulletinId = Id<'Bulletin'>;
export type PolicyId = Id<'Policy'>;

export const MAX_ID = Number.MAX_SAFE_INTEGER;

/** Accepts a positive safe integer (or its decimal string) and brands it; anything else is undefined. */
export function parseId<T extends Id<string>>(value: unknown): T | undefined {
  const n = typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? (n as T) : undefined;
}
