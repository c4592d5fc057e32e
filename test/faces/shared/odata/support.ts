// Shared by the OData tests: a Kysely that compiles PostgreSQL without a database, the fields of the
// Kaseya guide's examples, and a printer that shows a parsed tree's shape.
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import {
  compileFilter,
  type CompileOptions,
  type FieldMap,
  type FilterNode,
  type Literal,
} from '../../../../src/faces/shared/odata/index.ts';
import { parseFilter } from '../../../../src/faces/shared/odata/index.ts';

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
    .where((eb) => compileFilter(node, map, eb, options))
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
