import { sql } from 'kysely';
import type { Db } from '../db.ts';

// Asset custom fields (migration 0015): definitions, global (organization_id null) or an organization's,
// and each device's values.

export interface CustomFieldRow {
  id: number;
  organization_id: number | null;
  name: string;
  field_type: string;
}

/** the definitions a device can carry: the global ones and its organization's, by name */
export const fieldsForOrganization = (db: Db, organizationId: number) =>
  db
    .selectFrom('asset_custom_fields')
    .select(['id', 'organization_id', 'name', 'field_type'])
    .where((eb) => eb.or([eb('organization_id', 'is', null), eb('organization_id', '=', organizationId)]))
    .orderBy(sql`lower(name)`)
    .orderBy('id')
    .execute() as Promise<CustomFieldRow[]>;

/** definitions named `name` (ignoring case) among the global ones and the given organizations' */
export const fieldsNamed = (db: Db, name: string, organizationIds: readonly number[] | 'all') =>
  db
    .selectFrom('asset_custom_fields')
    .select(['id', 'organization_id', 'name', 'field_type'])
    .where(sql<boolean>`lower(name) = lower(${name})`)
    .$if(organizationIds !== 'all', (q) =>
      q.where((eb) =>
        eb.or([
          eb('organization_id', 'is', null),
          ...(organizationIds === 'all' || !organizationIds.length
            ? []
            : [eb('organization_id', 'in', organizationIds)]),
        ]),
      ),
    )
    .orderBy('id')
    .execute() as Promise<CustomFieldRow[]>;

export const insertField = (
  db: Db,
  row: { organization_id: number | null; name: string; field_type: string },
) =>
  db
    .insertInto('asset_custom_fields')
    .values(row)
    .returning(['id', 'organization_id', 'name', 'field_type'])
    .executeTakeFirstOrThrow() as Promise<CustomFieldRow>;

export const renameField = (db: Db, id: number, name: string) =>
  db.updateTable('asset_custom_fields').set({ name }).where('id', '=', id).executeTakeFirst();

export const deleteField = (db: Db, id: number) =>
  db.deleteFrom('asset_custom_fields').where('id', '=', id).executeTakeFirst();

/** a device's values, by field id */
export const deviceValues = async (db: Db, deviceId: number) =>
  new Map(
    (
      await db
        .selectFrom('asset_custom_values')
        .select(['field_id', 'value'])
        .where('device_id', '=', deviceId)
        .execute()
    ).map((r) => [Number(r.field_id), r.value]),
  );

export const setValue = (db: Db, fieldId: number, deviceId: number, value: string) =>
  db
    .insertInto('asset_custom_values')
    .values({ field_id: fieldId, device_id: deviceId, value, updated_at: sql<Date>`now()` })
    .onConflict((oc) =>
      oc.columns(['field_id', 'device_id']).doUpdateSet({
        value: (eb) => eb.ref('excluded.value'),
        updated_at: (eb) => eb.ref('excluded.updated_at'),
      }),
    )
    .execute();
