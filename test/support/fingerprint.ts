import { sql } from 'kysely';
import type { Store } from '../../src/store/db.ts';

// A fingerprint of everything a store holds, in one query: per table, the md5 of its rows (each as JSON,
// sorted). Two fingerprints that differ name the tables whose contents changed between them. The tenancy
// matrix (test/faces/matrix.suite.ts) takes one before and one after a refused call to prove it changed
// nothing, where reading the same objects back through the API would take dozens of requests.

export interface FingerprintOptions {
  /** columns left out of every row: ones a caller's own request touches (its key's last use) */
  ignoreColumns?: readonly string[];
  /**
   * Rows that are the callers' own, left out (their own keys, their own device's check-in and audit):
   * these users' keys and sessions (user_id in api_keys and sessions; their users rows stay in: a caller
   * that changes its own role or scope is caught), these devices' rows (devices, and device_id anywhere),
   * and the events these API keys and devices are the actors of; except rows of the organization
   * `watched`, which are never left out.
   */
  own?: {
    users?: readonly number[];
    keys?: readonly number[];
    devices?: readonly number[];
    watched?: number;
  };
}

interface Table {
  name: string;
  columns: Set<string>;
}

const tablesOf = new WeakMap<Store, Promise<Table[]>>();

/** the store's tables and their columns (its schema does not change under a test) */
function tables(store: Store): Promise<Table[]> {
  let t = tablesOf.get(store);
  if (!t) {
    t = sql<{ name: string; columns: string[] }>`
      select c.table_name as name, array_agg(c.column_name::text order by c.column_name) as columns
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
        and c.table_name not like 'kysely\\_%'
      group by c.table_name
      order by c.table_name`
      .execute(store.db)
      .then((r) => r.rows.map((x) => ({ name: identifier(x.name), columns: new Set(x.columns) })));
    tablesOf.set(store, t);
  }
  return t;
}

function identifier(s: string) {
  if (!/^[a-z_][a-z0-9_]*$/.test(s)) throw new Error(`not a plain identifier: ${s}`);
  return s;
}

function ids(list: readonly number[] | undefined): string {
  for (const id of list ?? []) if (!Number.isSafeInteger(id)) throw new Error(`not an id: ${id}`);
  return (list ?? []).join(', ');
}

/** the condition (SQL) a row of the table meets when it is the callers' own, or undefined: none can be */
function ownRows(t: Table, own: NonNullable<FingerprintOptions['own']>): string | undefined {
  const users = ids(own.users);
  const keys = ids(own.keys);
  const devices = ids(own.devices);
  const c: string[] = [];
  if (users && t.columns.has('user_id')) c.push(`t.user_id in (${users})`);
  if (devices && t.name === 'devices') c.push(`t.id in (${devices})`);
  if (devices && t.columns.has('device_id')) c.push(`t.device_id in (${devices})`);
  if (t.name === 'events') {
    const quoted = (list: string) =>
      list
        .split(', ')
        .map((x) => `'${x}'`)
        .join(', ');
    if (keys) c.push(`(t.actor_type = 'api_key' and t.actor_id in (${quoted(keys)}))`);
    if (devices) c.push(`(t.actor_type = 'device' and t.actor_id in (${quoted(devices)}))`);
  }
  if (!c.length) return undefined;
  const watched =
    own.watched !== undefined && t.columns.has('organization_id')
      ? ` and t.organization_id is distinct from ${ids([own.watched])}`
      : '';
  return `(${c.join(' or ')})${watched}`;
}

/** per table, the md5 of its rows */
export async function fingerprint(store: Store, o: FingerprintOptions = {}): Promise<Map<string, string>> {
  const all = await tables(store);
  const drop = (o.ignoreColumns ?? []).map((c) => ` - '${identifier(c)}'`).join('');
  const parts = all.map((t) => {
    const own = o.own ? ownRows(t, o.own) : undefined;
    // coalesce: a condition on a null column is null, and such a row is not the callers'
    const where = own ? ` where not coalesce(${own}, false)` : '';
    return (
      `select '${t.name}' as name, md5(coalesce(string_agg(r, E'\\n' order by r), '')) as digest ` +
      `from (select (to_jsonb(t)${drop})::text as r from "${t.name}" t${where}) s`
    );
  });
  const r = await sql<{ name: string; digest: string }>`${sql.raw(parts.join('\nunion all\n'))}`.execute(
    store.db,
  );
  return new Map(r.rows.map((x) => [x.name, x.digest]));
}

/** the tables whose contents differ between two fingerprints (sorted) */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}
