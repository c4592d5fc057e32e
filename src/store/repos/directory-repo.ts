import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import type { ListQuery, Listed } from '../../core/query.ts';
import { groupVisible, orgVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { pageThrough, type Columns } from '../query.ts';

// The queryable lists of the directory: organizations, groups, devices, users and roles, each with the
// whitelist of domain fields a list query may filter and sort on (store/query.ts). The caller's scope
// is a where clause of every tenant list; users and roles span every organization (the services
// authorize who may list them).

export type { Listed };

// ---- organizations ------------------------------------------------------------------------------------

/** an organization's free-form attribute is the field `attributes.<key>` (its text) */
const ATTRIBUTE = /^attributes\.(.+)$/;
/** the same attribute as a number (`attributeNumber.<key>`): null unless it holds a number */
const NUMBER_ATTRIBUTE = /^attributeNumber\.(.+)$/;

const organizationColumns: Columns = (name) => {
  const fixed: Record<string, string> = {
    id: 'o.id',
    name: 'o.name',
    ref: 'o.ref',
    parentId: 'o.parent_id',
    rootGroupName: 'g.name',
  };
  if (Object.hasOwn(fixed, name)) return fixed[name];
  const numeric = NUMBER_ATTRIBUTE.exec(name)?.[1];
  if (numeric !== undefined)
    return sql<
      number | null
    >`(case when jsonb_typeof(${sql.ref('o.attributes')}->${numeric}) = 'number' then (${sql.ref('o.attributes')}->>${numeric})::numeric end)`;
  const key = ATTRIBUTE.exec(name)?.[1];
  return key === undefined ? undefined : sql<string | null>`${sql.ref('o.attributes')}->>${key}`;
};

const organizationBase = (db: Db, access: Access) =>
  db
    .selectFrom('organizations as o')
    .leftJoin('groups as g', (j) => j.onRef('g.organization_id', '=', 'o.id').on('g.is_root', '=', true))
    .select(['o.id', 'o.name', 'o.ref', 'o.parent_id as parentId', 'o.attributes', 'g.name as rootGroupName'])
    .where(orgVisible(access, 'o.id'));

export type OrganizationEntry = Awaited<
  ReturnType<ReturnType<typeof organizationBase>['executeTakeFirstOrThrow']>
>;

/** organizations in scope; fields: id, name, ref, parentId, rootGroupName, attributes.<key>, attributeNumber.<key> */
export const queryOrganizations = (db: Db, access: Access, q: ListQuery) =>
  pageThrough(organizationBase(db, access), q, organizationColumns, ['o.id']);

// ---- groups -------------------------------------------------------------------------------------------

const groupColumns: Columns = {
  id: 'g.id',
  name: 'g.name',
  parentId: 'g.parent_id',
  organizationId: 'g.organization_id',
};

const groupBase = (db: Db, access: Access) =>
  db
    .selectFrom('groups as g')
    .select(['g.id', 'g.name', 'g.parent_id as parentId', 'g.organization_id as organizationId'])
    .where(groupVisible(access, 'g.organization_id', 'g.id'));

export type GroupEntry = Awaited<ReturnType<ReturnType<typeof groupBase>['executeTakeFirstOrThrow']>>;

/** groups in scope, of one organization or all; fields: id, name, parentId, organizationId */
export function queryGroups(db: Db, access: Access, q: ListQuery, organizationId?: number) {
  const base = groupBase(db, access);
  return pageThrough(
    organizationId === undefined ? base : base.where('g.organization_id', '=', organizationId),
    q,
    groupColumns,
    ['g.id'],
  );
}

// ---- devices ------------------------------------------------------------------------------------------

/** seen within three check-in intervals: the agent keeps its rhythm (null when never seen) */
const seenRecently = sql<
  boolean | null
>`(d.last_seen_at > now() - make_interval(secs => d.checkin_interval_seconds * 3))`;

/** checked in within one and a half check-in intervals: active, not merely reachable */
const activeNow = sql<
  boolean | null
>`(d.last_seen_at > now() - make_interval(secs => d.checkin_interval_seconds * 1.5))`;
/** the first IPv4 and IPv6 address of the device, and its MAC addresses as one text ("a, b") */
const ipv4 = sql<string | null>`(select a from unnest(d.ip_addresses) a where strpos(a, ':') = 0 limit 1)`;
const ipv6 = sql<string | null>`(select a from unnest(d.ip_addresses) a where strpos(a, ':') > 0 limit 1)`;
const macText = sql<string | null>`nullif(array_to_string(d.mac_addresses, ', '), '')`;
/** the user the agent's inventory says is logged in (the key `loggedInUser`), if any */
const loggedInUser = sql<string | null>`nullif(d.inventory->>'loggedInUser', '')`;

const deviceColumns: Columns = {
  id: 'd.id',
  name: 'd.name',
  hostname: 'd.hostname',
  status: 'd.status',
  osFamily: 'd.os_family',
  osName: 'd.os_name',
  osVersion: 'd.os_version',
  organizationId: 'd.organization_id',
  groupId: 'd.group_id',
  groupName: 'g.name',
  timeZone: 'd.time_zone',
  lastSeenAt: 'd.last_seen_at',
  enrolledAt: 'd.enrolled_at',
  lastScanAt: 'd.last_scan_at',
  agentVersion: 'd.agent_version',
  architecture: 'd.architecture',
  seenRecently,
  activeNow,
  ipv4,
  ipv6,
  macText,
  loggedInUser,
};

const deviceBase = (db: Db, access: Access) =>
  db
    .selectFrom('devices as d')
    .innerJoin('groups as g', 'g.id', 'd.group_id')
    .select([
      'd.id',
      'd.name',
      'd.hostname',
      'd.status',
      'd.os_family as osFamily',
      'd.os_name as osName',
      'd.os_version as osVersion',
      'd.organization_id as organizationId',
      'd.group_id as groupId',
      'g.name as groupName',
      'd.ip_addresses as ipAddresses',
      'd.time_zone as timeZone',
      'd.agent_version as agentVersion',
      'd.last_seen_at as lastSeenAt',
      'd.enrolled_at as enrolledAt',
      'd.last_scan_at as lastScanAt',
      'd.architecture',
      'd.mac_addresses as macAddresses',
    ])
    .select([
      seenRecently.as('seenRecently'),
      activeNow.as('activeNow'),
      ipv4.as('ipv4'),
      ipv6.as('ipv6'),
      macText.as('macText'),
      loggedInUser.as('loggedInUser'),
    ])
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'));

export type DeviceEntry = Awaited<ReturnType<ReturnType<typeof deviceBase>['executeTakeFirstOrThrow']>>;

/**
 * devices in scope; fields: id, name, hostname, status, osFamily, osName, osVersion, organizationId,
 * groupId, groupName, timeZone, lastSeenAt, enrolledAt, lastScanAt, agentVersion, architecture,
 * seenRecently, activeNow, ipv4, ipv6, macText, loggedInUser
 */
export const queryDevices = (db: Db, access: Access, q: ListQuery) =>
  pageThrough(deviceBase(db, access), q, deviceColumns, ['d.id']);

// ---- users and roles ----------------------------------------------------------------------------------

const displayName = sql<string>`btrim(u.display_name)`;
/** a display name's first word, and the rest: "Jane van Dijk" is Jane / van Dijk */
const firstName = sql<string | null>`nullif(split_part(${displayName}, ' ', 1), '')`;
const lastName = sql<
  string | null
>`nullif(btrim(substr(${displayName}, length(split_part(${displayName}, ' ', 1)) + 1)), '')`;

const userColumns: Columns = {
  id: 'u.id',
  username: 'u.username',
  firstName,
  lastName,
  email: 'u.email',
  createdAt: 'u.created_at',
};

const userBase = (db: Db) =>
  db
    .selectFrom('users as u')
    .select(['u.id', 'u.username', 'u.email', 'u.role_id as roleId', 'u.scope_id as scopeId'])
    .select(['u.disabled', 'u.time_zone as timeZone', 'u.created_at as createdAt'])
    .select([firstName.as('firstName'), lastName.as('lastName')]);

export type UserEntry = Awaited<ReturnType<ReturnType<typeof userBase>['executeTakeFirstOrThrow']>>;

/** users; fields: id, username, firstName, lastName (of the display name), email, createdAt */
export const queryUsers = (db: Db, q: ListQuery) => pageThrough(userBase(db), q, userColumns, ['u.id']);

const roleColumns: Columns = { id: 'r.id', name: 'r.name' };

const roleBase = (db: Db) =>
  db.selectFrom('roles as r').select(['r.id', 'r.name', 'r.description', 'r.privileges', 'r.builtin']);

export type RoleEntry = Awaited<ReturnType<ReturnType<typeof roleBase>['executeTakeFirstOrThrow']>>;

/** roles; fields: id, name */
export const queryRoles = (db: Db, q: ListQuery) => pageThrough(roleBase(db), q, roleColumns, ['r.id']);
