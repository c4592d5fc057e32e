import {
  PostgresQueryCompiler,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
} from 'kysely';
import type { Store } from '../../src/store/db.ts';

/** what a statement is, for a profile: its kind and, for a builder's query, its first table */
function describe(node: OperationNode): string {
  const n = node as OperationNode & {
    from?: { froms: { table?: { identifier?: { name: string } } }[] };
    into?: { table: { identifier: { name: string } } };
    table?: { table?: { identifier?: { name: string } } };
  };
  const table =
    n.into?.table.identifier.name ??
    n.from?.froms[0]?.table?.identifier?.name ??
    n.table?.table?.identifier?.name;
  return table ? `${n.kind} ${table}` : n.kind;
}

/**
 * A store that counts the statements its callers send (query builder and `sql` alike, inside
 * transactions too; BEGIN and COMMIT are not counted, nor what triggers run on the server). Used to
 * show that a use case costs a fixed number of statements whatever its size.
 */
export function countingStore(
  store: Store,
): Store & { statements: string[]; texts: string[]; ms: number[]; reset(): void } {
  const statements: string[] = [];
  /** each statement's SQL text, in the order of `statements` */
  const texts: string[] = [];
  const compiler = new PostgresQueryCompiler();
  /** each statement's time from its compilation to its result */
  const ms: number[] = [];
  const kinds = new Map<string, { what: string; text: string; t: number }>();
  const plugin: KyselyPlugin = {
    // called for subqueries too: only results count, one per statement executed
    transformQuery: (args: PluginTransformQueryArgs) => {
      kinds.set(args.queryId.queryId, {
        what: describe(args.node),
        text: compiler.compileQuery(args.node, args.queryId).sql,
        t: performance.now(),
      });
      return args.node;
    },
    transformResult: async (args: PluginTransformResultArgs) => {
      const k = kinds.get(args.queryId.queryId);
      statements.push(k?.what ?? '?');
      texts.push(k?.text ?? '?');
      ms.push(k ? performance.now() - k.t : NaN);
      kinds.delete(args.queryId.queryId);
      return args.result;
    },
  };
  const db = store.db.withPlugin(plugin);
  return {
    ...store,
    db,
    transaction: (fn) => db.transaction().execute(fn),
    statements,
    texts,
    ms,
    reset: () => {
      statements.splice(0);
      texts.splice(0);
      ms.splice(0);
      kinds.clear();
    },
  };
}
