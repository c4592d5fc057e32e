// Shared by the OData tests: a Kysely that compiles PostgreSQL without a database, the fields of the
// Kaseya guide's examples, and a printer that shows a parsed tree's shape. A test field names its
// column directly: the face's half (translate.ts) sees it as a domain field of the same name, and the
// store's half (store/query.ts) as that column, so one map drives the whole way from text to SQL.
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Expression,
  type SelectQueryBuilder,
} from 'kysely';
import { field } from '../../../../src/core/query.ts';
import {
  toCondition,
  toListQuery,
  toSort,
  type FieldMap as FaceFields,
  type FieldType,
  type FilterNode,
  type Literal,
  type OrderByItem,
  type QueryOptions,
  type TranslateOptions,
} from '../../../../src/faces/shared/odata/index.ts';
import { parseFilter } from '../../../../src/faces/shared/odata/index.ts';
import * as store from '../../../../src/store/query.ts';

export type CompileOptions = TranslateOptions;

export interface FieldSpec {
  readonly column: string | Expression<unknown>;
  readonly type: FieldType;
  readonly filterable?: boolean;
  readonly sortable?: boolean;
}
export type FieldMap = Readonly<Record<string, FieldSpec>>;

/** the face's view of a test map: each field is the domain field of its own name */
export const faceFields = (map: FieldMap): FaceFields =>
  Object.fromEntries(
    Object.entries(map).map(([name, { column: _, ...spec }]) => [name, { ...spec, expr: field(name) }]),
  );

/** the store's view of a test map: each domain field is its column */
export const columns = (map: FieldMap): store.Columns =>
  Object.fromEntries(Object.entries(map).map(([name, spec]) => [name, spec.column]));

/** `$filter` all the way to a where clause, as a face and a repository do it between them */
export function applyFilter<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  filter: FilterNode | undefined,
  map: FieldMap,
  options?: CompileOptions,
) {
  const condition = filter === undefined ? undefined : toCondition(filter, faceFields(map), options);
  return store.applyFilter(query, condition, columns(map));
}

/** `$orderby` all the way to order by */
export function applyOrderBy<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  orderby: readonly OrderByItem[],
  map: FieldMap,
) {
  return store.applySort(query, toSort(orderby, faceFields(map)), columns(map));
}

/** all four options all the way to SQL */
export function applyQueryOptions<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  options: QueryOptions,
  map: FieldMap,
  compileOptions?: CompileOptions,
) {
  return store.applyListQuery(query, toListQuery(options, faceFields(map), compileOptions), columns(map));
}

export const db = new Kysely<Record<string, Record<string, unknown>>>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** The fields the guide's examples use, spelled as its model tables do. */
export const fields: FieldMap = {
  OrgName: { column: 'o.name', type: 'string' },
  OrgType: { column: 'o.type', type: 'string' },
  OrgRevenue: { column: 'o.revenue', type: 'number' },
  AssetName: { column: 'a.name', type: 'string' },
  AgentId: { column: 'ag.kaseya_id', type: 'number' },
  AgentName: { column: 'ag.name', type: 'string' },
  LastCheckInTime: { column: 'ag.last_check_in', type: 'datetime' },
  Online: { column: 'ag.online', type: 'boolean' },
  MachineGuid: { column: 'ag.guid', type: 'guid' },
  Priority: { column: 't.priority', type: 'number' },
  Severity: { column: 't.severity', type: 'string' },
  Notes: { column: 't.notes', type: 'string', sortable: false },
  Secret: { column: 't.secret', type: 'string', filterable: false },
};

const PREFIX = 'select * from "t" where ';

/** The SQL condition and parameters a `$filter` compiles to. */
export function where(
  filter: string,
  map: FieldMap = fields,
  options?: CompileOptions,
): { sql: string; parameters: readonly unknown[] } {
  const node = parseFilter(filter);
  const compiled = db
    .selectFrom('t')
    .selectAll()
    .where(store.compileCondition(toCondition(node, faceFields(map), options), columns(map)))
    .compile();
  if (!compiled.sql.startsWith(PREFIX)) throw new Error(`unexpected SQL: ${compiled.sql}`);
  return { sql: compiled.sql.slice(PREFIX.length), parameters: compiled.parameters };
}

/** The message of the error `fn` throws, or a note that it threw nothing. */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
}

/** A tree as an S-expression: `(and (eq A 1) (not (startswith B 'x')))`. */
export function show(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${show(node.left)} ${show(node.right)})`;
    case 'not':
      return `(not ${show(node.operand)})`;
    case 'compare':
      return `(${node.op} ${node.field.name} ${showLiteral(node.value)})`;
    case 'match':
      return `(${node.fn} ${node.field.name} ${showLiteral(node.value)})`;
    case 'fieldTest':
      return node.field.name;
  }
}

export function showLiteral(value: Literal): string {
  switch (value.kind) {
    case 'string':
      return JSON.stringify(value.value);
    case 'number':
      return `${value.text}${value.decimal ? 'M' : ''}`;
    case 'boolean':
      return String(value.value);
    case 'null':
      return 'null';
    case 'datetime':
      return `DATETIME(${value.text})`;
    case 'guid':
      return `guid(${value.value})`;
  }
}
