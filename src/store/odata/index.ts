// The SQL half of OData query options: the parse tree the faces produce, and its compilation to Kysely
// expressions over a per-resource whitelist of fields (see faces/shared/odata/README.md).
export * from './ast.ts';
export * from './compile.ts';
export { syntaxError } from './errors.ts';
