import { ownsOrganization } from '../core/access.ts';
import { conflict, forbidden, invalid, notFound } from '../core/errors.ts';
import {
  deleteField,
  deviceValues,
  fieldsForOrganization,
  fieldsNamed,
  insertField,
  renameField,
  setValue,
  type CustomFieldRow,
} from '../store/repos/custom-fields-repo.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';
import { record } from './events.ts';
import { getOrganization } from './organizations.ts';

// Asset custom fields (seed 004, "Agent Custom Fields"): named fields every device can carry a value of.
// The seed's fields are global; Patchline keeps them per tenant:
// - a caller whose scope covers every organization makes global fields (every organization sees them);
//   a caller scoped to organizations makes them in its organization (the one it owns, or the one named);
// - a device shows the global fields and its organization's; a name is unique, ignoring case, among
//   the global fields and within an organization, and an organization's field may not take a global
//   field's name (a device would carry two fields of one name);
// - renaming or deleting a global field needs a scope over every organization.

export const FIELD_TYPES = ['string', 'number', 'datetime', 'date', 'time'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
const MAX_NAME = 100;
const MAX_VALUE = 1000;

function checkName(name: string, path: string): string {
  const n = name.trim();
  if (!n || n.length > MAX_NAME || [...n].some((c) => c.charCodeAt(0) < 0x20))
    throw invalid(`a custom field name is 1 to ${MAX_NAME} printable characters`, [
      { path, message: `got ${JSON.stringify(name.slice(0, 120))}` },
    ]);
  return n;
}

/** the organizations the caller owns whole (where it may define fields) */
const ownedOrganizations = (ctx: Context) => [...ctx.access.organizations];

export interface CustomFieldValue {
  name: string;
  type: string;
  value: string | null;
  /** null: a global field */
  organizationId: number | null;
}

/** a device's custom fields and values */
export async function deviceCustomFields(ctx: Context, deviceId: number): Promise<CustomFieldValue[]> {
  ctx.authorize('read');
  const device = await visibleDevice(ctx, deviceId);
  const [fields, values] = await Promise.all([
    fieldsForOrganization(ctx.store.db, device.organization_id),
    deviceValues(ctx.store.db, device.id),
  ]);
  return fields.map((f) => ({
    name: f.name,
    type: f.field_type,
    value: values.get(Number(f.id)) ?? null,
    organizationId: f.organization_id === null ? null : Number(f.organization_id),
  }));
}

export async function addCustomField(
  ctx: Context,
  input: { name: string; type?: string; organizationId?: number },
): Promise<CustomFieldValue> {
  ctx.authorize('manage_devices');
  const name = checkName(input.name, '/FieldName');
  const type = (input.type ?? 'string').trim().toLowerCase() || 'string';
  if (!(FIELD_TYPES as readonly string[]).includes(type))
    throw invalid(`a custom field's type is one of ${FIELD_TYPES.join(', ')}`, [
      { path: '/FieldType', message: `got ${JSON.stringify(input.type)}` },
    ]);
  let org: number | null;
  if (input.organizationId !== undefined) {
    await getOrganization(ctx, input.organizationId); // visible and existing, or not found
    if (!ownsOrganization(ctx.access, input.organizationId))
      throw forbidden('defining a custom field needs a scope over the whole organization');
    org = input.organizationId;
  } else if (ctx.access.all) org = null;
  else {
    const owned = ownedOrganizations(ctx);
    if (owned.length !== 1)
      throw invalid('name the organization the field belongs to (OrgId)', [
        { path: '/OrgId', message: 'is required for a caller scoped to several or partial organizations' },
      ]);
    org = owned[0]!;
  }
  const clash = (await fieldsNamed(ctx.store.db, name, org === null ? 'all' : [org])).filter(
    (f) => f.organization_id === null || org === null || Number(f.organization_id) === org,
  );
  // a global name must not shadow any organization's field either (only a global caller makes one)
  if (clash.length) throw conflict(`a custom field named '${name}' exists`);
  return ctx.store.transaction(async (tx) => {
    const f = await insertField(tx, { organization_id: org, name, field_type: type });
    await record(ctx, tx, {
      kind: 'custom_field.created',
      organizationId: org,
      subjectType: 'custom_field',
      subjectId: Number(f.id),
      data: { name, type },
    });
    return { name, type, value: null, organizationId: org };
  });
}

/** the field a rename or delete by name means: the caller's organization's, else the global one */
async function fieldToChange(ctx: Context, name: string): Promise<CustomFieldRow> {
  const all = ctx.access.all;
  const found = await fieldsNamed(ctx.store.db, name, all ? 'all' : ownedOrganizations(ctx));
  const own = found.filter((f) => f.organization_id !== null);
  const global = found.find((f) => f.organization_id === null);
  let f: CustomFieldRow | undefined;
  if (all) {
    if (global) f = global;
    else if (own.length > 1)
      throw conflict(`several organizations have a custom field named '${name}'; rename it in each`);
    else f = own[0];
  } else f = own.length === 1 ? own[0] : (global ?? own[0]);
  if (!f) throw notFound('custom field', name);
  if (f.organization_id === null) ctx.authorizeGlobal('manage_devices');
  else ctx.seeOrganization(Number(f.organization_id));
  return f;
}

export async function renameCustomField(ctx: Context, name: string, newName: string) {
  ctx.authorize('manage_devices');
  const to = checkName(newName, '/NewFieldName');
  const f = await fieldToChange(ctx, name);
  const org = f.organization_id === null ? null : Number(f.organization_id);
  const clash = (await fieldsNamed(ctx.store.db, to, org === null ? 'all' : [org])).filter(
    (x) =>
      Number(x.id) !== Number(f.id) &&
      (x.organization_id === null || org === null || Number(x.organization_id) === org),
  );
  if (clash.length) throw conflict(`a custom field named '${to}' exists`);
  await ctx.store.transaction(async (tx) => {
    await renameField(tx, Number(f.id), to);
    await record(ctx, tx, {
      kind: 'custom_field.renamed',
      organizationId: org,
      subjectType: 'custom_field',
      subjectId: Number(f.id),
      data: { from: f.name, to },
    });
  });
  return true;
}

export async function deleteCustomField(ctx: Context, name: string) {
  ctx.authorize('manage_devices');
  const f = await fieldToChange(ctx, name);
  const org = f.organization_id === null ? null : Number(f.organization_id);
  await ctx.store.transaction(async (tx) => {
    await deleteField(tx, Number(f.id));
    await record(ctx, tx, {
      kind: 'custom_field.deleted',
      organizationId: org,
      subjectType: 'custom_field',
      subjectId: Number(f.id),
      data: { name: f.name },
    });
  });
  return true;
}

function checkValue(type: string, value: string) {
  const bad = (why: string) =>
    invalid(`the value does not fit the field's type (${type}): ${why}`, [
      { path: '/FieldValue', message: why },
    ]);
  if (value.length > MAX_VALUE) throw bad(`longer than ${MAX_VALUE} characters`);
  if (value.includes('\u0000')) throw bad('holds a NUL character');
  if (value === '') return;
  if (type === 'number' && !/^-?\d+(\.\d+)?$/.test(value.trim())) throw bad('not a number');
  if ((type === 'datetime' || type === 'date') && !Number.isFinite(Date.parse(value)))
    throw bad('not a date');
  if (type === 'time' && !/^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(value.trim())) throw bad('not a time');
}

/** sets a device's value of a field (the global field, or its organization's, of that name) */
export async function setCustomFieldValue(ctx: Context, deviceId: number, name: string, value: string) {
  ctx.authorize('manage_devices');
  const device = await visibleDevice(ctx, deviceId);
  const found = await fieldsNamed(ctx.store.db, name, [device.organization_id]);
  const f = found.find((x) => x.organization_id !== null) ?? found[0];
  if (!f) throw notFound('custom field', name);
  checkValue(f.field_type, value);
  await ctx.store.transaction(async (tx) => {
    await setValue(tx, Number(f.id), device.id, value);
    await record(ctx, tx, {
      kind: 'device.custom_field_set',
      organizationId: device.organization_id,
      subjectType: 'device',
      subjectId: device.id,
      deviceId: device.id,
      data: { field: f.name, value },
    });
  });
  return true;
}
