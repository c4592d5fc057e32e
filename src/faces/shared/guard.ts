import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { invalid, type FieldIssue } from '../../core/errors.ts';
import { parseStrictInteger } from './ids.ts';

// One input guard for every face (issue "Hardening"): what no handler, service or store can take is
// refused here, before any handler, as `invalid` (400) naming the field. The error reaches the error
// handler of the face the route belongs to, so each face answers in its own format (problem JSON, the
// Kaseya envelope), and nothing is changed by a refused request. The checks of the parsed input run after
// the face has authenticated the caller (authenticate-first.ts): without a valid credential, a 401 first.
//
// - a body nested deeper than MAX_BODY_DEPTH (recursive code further on would overflow the stack);
// - text holding NUL or a lone UTF-16 surrogate (PostgreSQL stores neither) in a body, a query string,
//   a path parameter or a header, a Basic credential included;
// - an integer path or query parameter not written as decimal digits within the safe-integer range
//   (`0x1F`, ` 1`, `99999999999999999999`): the schemas' coercion would read them as numbers;
// - a malformed `patchline_session` cookie is dropped: the caller is simply not signed in.
// Object body schemas that do not say otherwise refuse unknown fields (set once, at route registration).

/** Deep enough for any real body (policies, inventories, Kaseya attributes), far from the stack's limit. */
export const MAX_BODY_DEPTH = 64;

const SESSION_COOKIE = 'patchline_session';

// NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one
// eslint-disable-next-line no-control-regex -- NUL is what is looked for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** why `text` cannot be stored, or undefined when it can */
export function unstorable(text: string): string | undefined {
  const m = UNSTORABLE.exec(text);
  if (!m) return undefined;
  return m[0] === '\u0000'
    ? 'must not contain NUL characters (\\u0000)'
    : 'must be well-formed Unicode text: it holds a lone surrogate';
}

// worded as the schema validation's refusals are: `invalid params: params/id must …` (the face adds the issue)
const refuse = (issue: FieldIssue) => invalid(`invalid ${issue.path.split('/')[0]}`, [issue]);

// parsed JSON and XML are plain objects; a parsed query string is an object without Object's prototype
// (fast-querystring's); a Buffer or a stream (an upload) is not walked
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !ArrayBuffer.isView(v) &&
  !(v instanceof Date) &&
  typeof (v as { pipe?: unknown }).pipe !== 'function';

/**
 * Walks a parsed body, a query or the path parameters without recursion: every text (keys included)
 * must be storable and no value may sit deeper than `maxDepth`. Buffers and streams are not walked.
 */
export function checkValue(value: unknown, where: string, maxDepth = MAX_BODY_DEPTH): void {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: where, depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { v, path, depth } = item;
    if (typeof v === 'string') {
      const why = unstorable(v);
      if (why) throw refuse({ path, message: why });
      continue;
    }
    const isArray = Array.isArray(v);
    if (!isArray && !isPlainObject(v)) continue;
    if (depth >= maxDepth)
      throw refuse({
        path,
        message: `is nested too deeply (at most ${maxDepth} levels of objects and lists)`,
      });
    if (isArray) {
      v.forEach((e, i) => stack.push({ v: e, path: `${path}/${i}`, depth: depth + 1 }));
      continue;
    }
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
      const why = unstorable(k);
      if (why) throw refuse({ path, message: `has a field name that ${why}` });
      stack.push({ v: e, path: `${path}/${k}`, depth: depth + 1 });
    }
  }
}

// ---- integer parameters ----------------------------------------------------------------------------

type JsonSchema = {
  type?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema | JsonSchema[];
};

const isInteger = (s: JsonSchema | undefined): boolean =>
  !!s &&
  (s.type === 'integer' ||
    (Array.isArray(s.type) && s.type.includes('integer')) ||
    (s.anyOf ?? s.oneOf ?? []).some(isInteger) ||
    (s.type === 'array' && !Array.isArray(s.items) && isInteger(s.items)));

/** the names of the integer properties of a params or querystring schema */
function integerNames(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  const own = Object.entries(schema.properties ?? {})
    .filter(([, s]) => isInteger(s))
    .map(([k]) => k);
  return [...own, ...(schema.allOf ?? []).flatMap(integerNames)];
}

const integersOf = new WeakMap<object, string[]>();
function integerParams(schema: unknown): string[] {
  if (!schema || typeof schema !== 'object') return [];
  let names = integersOf.get(schema);
  if (!names) {
    names = integerNames(schema as JsonSchema);
    integersOf.set(schema, names);
  }
  return names;
}

/** integer parameters are read by the one strict parser before the schema's coercion sees them */
function checkIntegers(values: unknown, schema: unknown, where: string) {
  if (!isPlainObject(values)) return;
  for (const name of integerParams(schema)) {
    const raw = values[name];
    for (const text of Array.isArray(raw) ? raw : [raw]) {
      if (typeof text !== 'string') continue;
      const r = parseStrictInteger(text);
      if (typeof r === 'string') throw refuse({ path: `${where}/${name}`, message: r });
    }
  }
}

// ---- strict bodies ---------------------------------------------------------------------------------

/**
 * Object schemas of a body that do not say whether other fields are allowed refuse them: a misspelt
 * field is an error, not silently dropped, and an unchecked field cannot carry anything in. Nested
 * objects and list items are made strict the same way; a schema that allows other fields says so.
 */
export function strictBodySchema(schema: JsonSchema): void {
  const stack: JsonSchema[] = [schema];
  const seen = new Set<JsonSchema>();
  for (let s = stack.pop(); s; s = stack.pop()) {
    if (typeof s !== 'object' || seen.has(s)) continue;
    seen.add(s);
    if (s.type === 'object' && s.properties && s.additionalProperties === undefined)
      s.additionalProperties = false;
    stack.push(...Object.values(s.properties ?? {}), ...(s.anyOf ?? []), ...(s.oneOf ?? []));
    if (s.items) stack.push(...(Array.isArray(s.items) ? s.items : [s.items]));
    if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null)
      stack.push(s.additionalProperties as JsonSchema);
  }
}

// ---- headers ---------------------------------------------------------------------------------------

function checkHeaders(req: FastifyRequest) {
  for (const [name, value] of Object.entries(req.headers)) {
    for (const text of Array.isArray(value) ? value : [value]) {
      if (typeof text !== 'string') continue;
      const why = unstorable(text);
      if (why) throw refuse({ path: `headers/${name}`, message: why });
    }
  }
  // a Basic credential is text once decoded: its user name reaches the store
  const basic = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (basic?.[1]) {
    const why = unstorable(Buffer.from(basic[1], 'base64').toString('utf8'));
    if (why) throw refuse({ path: 'headers/authorization', message: `holds a Basic credential that ${why}` });
  }
}

/** the cookie header without a session cookie that is no token (bad escapes, unstorable text) */
function withoutMalformedSession(cookie: string): string {
  const parts = cookie.split(/;\s*/);
  const kept = parts.filter((p) => {
    if (!p.startsWith(`${SESSION_COOKIE}=`)) return true;
    try {
      return unstorable(decodeURIComponent(p.slice(SESSION_COOKIE.length + 1))) === undefined;
    } catch {
      return false;
    }
  });
  return kept.length === parts.length ? cookie : kept.join('; ');
}

/** the checks of the parsed input, before the schema's coercion and validation */
async function checkInput(req: FastifyRequest) {
  checkValue(req.params, 'params');
  checkValue(req.query, 'querystring');
  checkValue(req.body, 'body');
  const schema = req.routeOptions.schema;
  checkIntegers(req.params, schema?.params, 'params');
  checkIntegers(req.query, schema?.querystring, 'querystring');
}

/** Registers the guard for every route of `app`; call it before any face is registered. */
export function registerInputGuard(app: FastifyInstance) {
  app.addHook('onRoute', (route: RouteOptions) => {
    const body = route.schema?.body as JsonSchema | undefined;
    if (body && typeof body === 'object') {
      // a copy: schemas are shared between routes and with the documentation of responses
      const copy = structuredClone(body);
      strictBodySchema(copy);
      route.schema = { ...route.schema, body: copy };
    }
    // the route's own hook: it runs after the face's hooks, so after the face has authenticated the
    // caller (faces/shared/authenticate-first.ts), and before the schema
    route.preValidation = [checkInput, ...[route.preValidation ?? []].flat()];
  });
  app.addHook('onRequest', async (req) => {
    const cookie = req.headers.cookie;
    if (cookie?.includes(SESSION_COOKIE)) {
      const kept = withoutMalformedSession(cookie);
      if (kept !== cookie) {
        if (kept) req.headers.cookie = kept;
        else delete req.headers.cookie;
      }
    }
    checkHeaders(req);
  });
}
