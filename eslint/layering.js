// The layering of Patchline, as lint rules (see docs/architecture.md). Each file belongs to a layer by
// its folder; an import is resolved against the importing file and allowed only into the layers below.
// `import type` may reach further where the table says so: types vanish at run time.
import { dirname, relative, resolve, sep } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** layer → the layers it may import at run time, and the ones it may import types from */
export const LAYERS = {
  core: { imports: ['core'], types: [] },
  wire: { imports: ['core', 'wire'], types: [] },
  'demo-data': { imports: ['core', 'demo-data'], types: [] },
  store: { imports: ['core', 'store'], types: [] },
  services: { imports: ['core', 'wire', 'store', 'services', 'demo-data'], types: [] },
  engine: { imports: ['core', 'wire', 'store', 'services', 'engine'], types: [] },
  faces: { imports: ['core', 'wire', 'services', 'faces'], types: ['store'] },
  agent: { imports: ['core', 'wire', 'agent'], types: [] },
  // the composition roots: the server and the CLI wire every layer together
  root: { imports: ['core', 'wire', 'store', 'services', 'engine', 'faces', 'agent', 'root'], types: [] },
  cli: {
    imports: ['core', 'wire', 'store', 'services', 'engine', 'faces', 'agent', 'cli', 'root'],
    types: [],
  },
  web: { imports: ['core', 'web'], types: ['wire', 'faces', 'services', 'store'] },
};

/** packages that speak SQL: only the store may import them */
const SQL_PACKAGES = ['kysely', 'pg', '@electric-sql/pglite'];

export function layerOf(file) {
  const rel = relative(ROOT, file).split(sep);
  if (rel[0] === 'web' && rel[1] === 'src') return 'web';
  if (rel[0] !== 'src') return undefined;
  if (rel.length === 2) return 'root'; // src/server.ts, src/config.ts
  return rel[1] in LAYERS ? rel[1] : undefined;
}

const isTypeOnly = (node) =>
  node.importKind === 'type' ||
  node.exportKind === 'type' ||
  (node.specifiers?.length > 0 &&
    node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));

const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'imports go down the layers only (core < store < services < faces; agent apart)' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    if (!from) return {};
    const allowed = LAYERS[from];
    function check(node) {
      if (!node.source || typeof node.source.value !== 'string') return;
      const spec = node.source.value;
      if (!spec.startsWith('.')) {
        const pkg = SQL_PACKAGES.find((p) => spec === p || spec.startsWith(`${p}/`));
        if (
          pkg &&
          from !== 'store' &&
          from !== 'root' &&
          from !== 'cli' &&
          !(isTypeOnly(node) && allowed.types.includes('store'))
        )
          context.report({
            node,
            message: `'${spec}' speaks SQL: only src/store may import it (${from} calls the store's repositories)`,
          });
        return;
      }
      const to = layerOf(resolve(dirname(file), spec));
      if (!to || allowed.imports.includes(to)) return;
      if (isTypeOnly(node) && allowed.types.includes(to)) return;
      context.report({
        node,
        message: `${from} may not import ${to} ('${spec}'): imports go down the layers only, see docs/architecture.md`,
      });
    }
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

/** services and faces never build queries: they call repository functions */
const QUERY_BUILDERS = /^(selectFrom|insertInto|updateTable|deleteFrom|selectNoFrom|mergeInto|replaceInto)$/;
const noQueries = {
  meta: { type: 'problem', docs: { description: 'no query building outside src/store' }, schema: [] },
  create(context) {
    const from = layerOf(context.filename);
    if (from !== 'services' && from !== 'faces' && from !== 'engine') return {};
    return {
      CallExpression(node) {
        const c = node.callee;
        if (
          c.type === 'MemberExpression' &&
          c.property.type === 'Identifier' &&
          QUERY_BUILDERS.test(c.property.name)
        )
          context.report({
            node,
            message: `${c.property.name}: queries live in src/store/repos; call a repository function`,
          });
      },
      TaggedTemplateExpression(node) {
        if (node.tag.type === 'Identifier' && node.tag.name === 'sql')
          context.report({
            node,
            message: 'sql`…`: queries live in src/store/repos; call a repository function',
          });
      },
      MemberExpression(node) {
        // a face holds no database handle at all: it hands the context to services
        if (from === 'faces' && node.property.type === 'Identifier' && node.property.name === 'db')
          context.report({ node, message: 'faces never touch the database handle: call a service' });
      },
    };
  },
};

export default { rules: { layering, 'no-queries': noQueries } };
