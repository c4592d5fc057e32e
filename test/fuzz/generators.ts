import fc from 'fast-check';
import type { RouteEntry } from '../../src/faces/shared/route-table.ts';

// Arbitraries of requests, derived from the route table (src/faces/shared/route-table.ts): path
// parameters, query strings and JSON bodies from each route's schema, valid ones and mutated ones. The
// dialects' own grammars (OData, XML, …) come from the face registry (faces.ts), which builds on these.

/** a JSON Schema as the routes register it (TypeBox output is plain JSON Schema) */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** one request of the fuzz, before credentials are attached (they change while it runs) */
export interface FuzzRequest {
  readonly method: string;
  /** the path with its query string, as sent */
  readonly url: string;
  /** the route it was generated for (`POST /api/v1/devices/:id/scan`) */
  readonly route: string;
  /** which credential the runner sends (faces.ts: AuthKind), or an explicit Authorization header */
  readonly auth: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly payload?: string;
}

// ---- weird values ----------------------------------------------------------------------------------

export const LONE_SURROGATES = ['\uD800', '\uDFFF', 'a\uDBFFb', '\uDC00\uD800'];

/** text that no store can hold or that tends to break parsers */
export const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    ...LONE_SURROGATES,
    '\uFEFF',
    '\u202E',
    '😀',
    'Ω≈ç√',
    "'; drop table users; --",
    '%00',
    '%',
    '\\',
    '"',
    '<x>',
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
    'prototype',
    'null',
    'NaN',
    '-0',
    '1e999',
    '9'.repeat(400),
    'x'.repeat(5000),
    '\r\n',
    '\t',
    '../../etc/passwd',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** numbers at and beyond the edges of every integer column */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1.5,
    2 ** 31,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    1e21,
    -1e21,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** any JSON value, small, with weird texts and numbers in it */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    nastyNumber,
    nastyText,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(nastyText, fc.string({ maxLength: 10 })), tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** JSON texts no schema can describe: deep nesting, numbers beyond doubles, broken syntax */
export const nastyJsonText: fc.Arbitrary<string> = fc.oneof(
  fc
    .constantFrom(65, 200, 5_000, 200_000)
    .chain((n) =>
      fc
        .constantFrom('[]', '{}', 'obj')
        .map((kind) =>
          kind === '[]'
            ? '['.repeat(n) + ']'.repeat(n)
            : kind === '{}'
              ? '{"a":'.repeat(n) + '1' + '}'.repeat(n)
              : '{"name":' + '['.repeat(n) + ']'.repeat(n) + '}',
        ),
    ),
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '0',
    '"text"',
    '[]',
    '{',
    '{"a":',
    '{"a":1,}',
    '{,}',
    '{"a":1e999}',
    '{"a":-1e999}',
    '{"id":123456789012345678901234567890}',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '{"\\u0000":1}',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '\uFEFF{}',
    'NaN',
    "{'a':1}",
    '[' + '1,'.repeat(50_000) + '1]',
    '{"a":"' + 'x'.repeat(200_000) + '"}',
  ),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

// ---- schema → valid values -------------------------------------------------------------------------

const typesOf = (s: JsonSchema): string[] =>
  s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];

const cache = new WeakMap<JsonSchema, fc.Arbitrary<unknown>>();

/** values the schema accepts (mostly: patterns with lengths, formats beyond date-time are approximate) */
export function validValue(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || typeof schema !== 'object') return fc.constant(undefined);
  const hit = cache.get(schema);
  if (hit) return hit;
  const arb = build(schema, depth);
  cache.set(schema, arb);
  return arb;
}

function build(s: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (depth > 8) return fc.constant(null);
  if ('const' in s) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) return fc.oneof(...alts.map((a) => validValue(a, depth + 1)));
  if (s.allOf?.length) {
    // objects merged; anything else takes the first
    const parts = s.allOf;
    if (parts.every((p) => p.properties))
      return validValue(
        {
          type: 'object',
          properties: Object.assign({}, ...parts.map((p) => p.properties)),
          required: parts.flatMap((p) => p.required ?? []),
        },
        depth + 1,
      );
    return validValue(parts[0], depth + 1);
  }
  const types = typesOf(s);
  if (types.length > 1) return fc.oneof(...types.map((t) => validValue({ ...s, type: t }, depth + 1)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
      // ids and counts are small in the world the fuzz runs in: the low end is where records are
      return fc.oneof(
        { arbitrary: fc.integer({ min, max: Math.min(max, min + 40) }), weight: 3 },
        { arbitrary: fc.integer({ min, max }), weight: 1 },
      );
    }
    case 'number': {
      const min = s.minimum ?? -1e6;
      const max = s.maximum ?? 1e6;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'string':
      return stringOf(s);
    case 'array': {
      const item = Array.isArray(s.items)
        ? fc.oneof(...s.items.map((i) => validValue(i, depth + 1)))
        : validValue(s.items ?? {}, depth + 1);
      const minLength = s.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? 5, minLength + 5));
      return fc.array(item, { minLength, maxLength });
    }
    case 'object':
    default: {
      if (!s.properties && !s.patternProperties && types[0] !== 'object') return nastyJson;
      const props = Object.entries(s.properties ?? {});
      const model = Object.fromEntries(props.map(([k, p]) => [k, validValue(p, depth + 1)]));
      const required = (s.required ?? []).filter((k) => k in model);
      const rec = fc.record(model, { requiredKeys: required });
      const pattern = Object.entries(s.patternProperties ?? {})[0];
      if (!pattern) return rec;
      const extra = fc.dictionary(
        fc.stringMatching(new RegExp(pattern[0])),
        validValue(pattern[1], depth + 1),
        {
          maxKeys: 3,
        },
      );
      return fc.tuple(rec, extra).map(([a, b]) => ({ ...b, ...a }));
    }
  }
}

function stringOf(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 40, minLength + 40));
  if (s.format === 'date-time')
    return fc
      .date({
        min: new Date('1990-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
  if (s.format === 'date')
    return fc
      .date({
        min: new Date('1990-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 10));
  if (s.pattern)
    return fc
      .stringMatching(new RegExp(s.pattern))
      .map((t) => (t.length > (s.maxLength ?? Infinity) ? t.slice(0, s.maxLength) : t));
  return fc.oneof(
    {
      arbitrary: fc.string({ minLength: Math.max(minLength, 1), maxLength, unit: 'grapheme-ascii' }),
      weight: 3,
    },
    { arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }), weight: 1 },
  );
}

// ---- schema → mutated values -----------------------------------------------------------------------

/** a value of the wrong kind for `s`, or one just outside what it allows */
export function wrongValue(s: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const edges: fc.Arbitrary<unknown>[] = [nastyJson];
  if (s) {
    if (s.maximum !== undefined) edges.push(fc.constantFrom(s.maximum + 1, s.maximum + 0.5, s.maximum * 1e6));
    if (s.minimum !== undefined) edges.push(fc.constantFrom(s.minimum - 1, s.minimum - 0.5, -(2 ** 63)));
    if (s.maxLength !== undefined) edges.push(fc.constant('x'.repeat(s.maxLength + 1)));
    if (s.maxItems !== undefined)
      edges.push(fc.constant(Array.from({ length: s.maxItems + 1 }, (_, i) => i)));
    if (s.enum)
      edges.push(
        fc.constantFrom(...s.enum.map((e) => (typeof e === 'string' ? e.toUpperCase() + ' ' : 'x'))),
      );
  }
  return fc.oneof(...edges);
}

type Path = (string | number)[];

/** the paths of the containers inside a value (where a mutation can go) */
function containers(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (out.length > 50) return out;
  if (Array.isArray(v)) {
    out.push(at);
    v.forEach((e, i) => containers(e, [...at, i], out));
  } else if (v && typeof v === 'object') {
    out.push(at);
    for (const [k, e] of Object.entries(v)) containers(e, [...at, k], out);
  }
  return out;
}

function getAt(v: unknown, path: Path): unknown {
  return path.reduce<unknown>((acc, k) => (acc as Record<string | number, unknown>)[k], v);
}

/** a copy of `value` (JSON) with one container changed: a field retyped, an unknown field, a deep nest */
export function mutated(value: unknown, schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const copy = () => structuredClone(value) as unknown;
  const spots = containers(value);
  const retype = fc.tuple(fc.nat(), wrongValue(schema), fc.nat()).map(([i, bad, j]) => {
    const v = copy();
    if (!spots.length) return bad;
    const target = getAt(v, spots[i % spots.length] as Path) as Record<string, unknown> | unknown[];
    const keys = Object.keys(target);
    if (!keys.length) return bad;
    (target as Record<string, unknown>)[keys[j % keys.length] as string] = bad;
    return v;
  });
  const extraField = fc
    .tuple(
      fc.nat(),
      fc.oneof(nastyText, fc.constantFrom('__proto__', 'constructor', 'id', 'isAdmin', 'organizationId')),
      nastyJson,
    )
    .map(([i, key, bad]) => {
      const v = copy();
      const objs = spots.filter((p) => !Array.isArray(getAt(v, p)));
      if (!objs.length) return { [key]: bad };
      const target = getAt(v, objs[i % objs.length] as Path) as Record<string, unknown>;
      Object.defineProperty(target, key, {
        value: bad,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return v;
    });
  const deep = fc.constantFrom(65, 300).map((n) => {
    let inner: unknown = 1;
    for (let k = 0; k < n; k++) inner = [inner];
    const v = copy();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      (v as Record<string, unknown>)[keys[0] ?? 'x'] = inner;
      return v;
    }
    return inner;
  });
  const dropRequired = fc.nat().map((i) => {
    const v = copy();
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.length) delete (v as Record<string, unknown>)[keys[i % keys.length] as string];
    return v;
  });
  return fc.oneof(retype, extraField, deep, dropRequired, nastyJson);
}

/** a JSON body for a body schema: valid (often), mutated, or a text no schema describes */
export function jsonBody(schema: JsonSchema | undefined): fc.Arbitrary<string | undefined> {
  if (!schema)
    return fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 4 },
      { arbitrary: jsonText(nastyJson), weight: 1 },
    );
  const valid = validValue(schema);
  return fc.oneof(
    { arbitrary: jsonText(valid), weight: 4 },
    { arbitrary: jsonText(valid.chain((v) => mutated(v, schema))), weight: 4 },
    { arbitrary: nastyJsonText, weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

/** JSON text of a value; an own `__proto__` key (defineProperty) is written as a key */
export const jsonText = (a: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  a.map((v) => JSON.stringify(v) ?? 'null');

// ---- path parameters -------------------------------------------------------------------------------

/** raw texts for a path segment (already percent-encoded where they must be) */
export const nastySegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '-0',
    '00001',
    '1.0',
    '1e3',
    '0x1F',
    '%201',
    '1%20',
    '+1',
    '9007199254740992',
    '99999999999999999999999999',
    '-9223372036854775809',
    '%00',
    '1%00',
    '%ED%A0%80', // a lone surrogate in (invalid) UTF-8
    '%C0%80',
    '%FF',
    '%',
    '%zz',
    '%2F',
    '%2e%2e',
    '..',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    'true',
    '%E2%80%AE',
    '%F0%9F%98%80',
    'x'.repeat(3000),
    '1'.repeat(300),
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((t) => encodeText(t)),
  fc.integer().map(String),
);

/** a segment for `:name`: a valid value from the params schema, or a nasty one */
export function segment(schema: JsonSchema | undefined): fc.Arbitrary<string> {
  const valid = schema
    ? validValue(schema).map((v) => encodeText(String(v)))
    : fc.integer({ min: 1, max: 40 }).map(String);
  return fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: nastySegment, weight: 2 });
}

/** the route's url with every `:param` (and a wildcard `*`) filled in */
export function pathOf(route: RouteEntry): fc.Arbitrary<string> {
  const params = (route.schema?.params as JsonSchema | undefined)?.properties ?? {};
  const parts = route.url.split('/');
  const arbs = parts.map((p) => {
    if (p.startsWith(':')) return segment(params[p.slice(1)]);
    if (p === '*')
      return fc.oneof(
        fc.constantFrom(
          '',
          'x',
          'index.html',
          'a/b/c',
          '%2e%2e/%2e%2e/etc/passwd',
          '..%2f..%2f',
          '%00',
          '%ED%A0%80',
        ),
        fc.array(nastySegment, { maxLength: 3 }).map((a) => a.join('/')),
      );
    return fc.constant(p);
  });
  return fc.tuple(...arbs).map((segs) => segs.join('/'));
}

// ---- query strings ---------------------------------------------------------------------------------

/** one `key=value` pair, raw (the caller joins them with `&`) */
export type QueryPair = readonly [key: string, value: string];

const enc = (v: unknown) => encodeText(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

/** an unencodable text (a lone surrogate) reaches the server as invalid UTF-8 */
export function encodeText(t: string): string {
  try {
    return encodeURIComponent(t);
  } catch {
    return t.replace(/[\uD800-\uDFFF]/g, '%ED%A0%80').replace(/[^%A-Za-z0-9_.~-]/g, (c) => {
      try {
        return encodeURIComponent(c);
      } catch {
        return '%ED%A0%80';
      }
    });
  }
}

/** raw texts for a query value */
export const nastyQueryValue: fc.Arbitrary<string> = fc.oneof(
  nastySegment,
  nastyText.map(encodeText),
  fc.constantFrom('', '%00', '%ED%A0%80', '1&', '=', '[]', 'a,b,,', ',', '-', '--name'),
);

/** pairs for a querystring schema: each property valid, mutated or absent; unknown keys sometimes */
export function queryPairs(schema: JsonSchema | undefined): fc.Arbitrary<QueryPair[]> {
  const props = Object.entries(schema?.properties ?? {});
  const perProp = props.map(([k, s]) =>
    fc.oneof(
      { arbitrary: fc.constant<QueryPair[]>([]), weight: 4 },
      { arbitrary: validValue(s).map((v): QueryPair[] => [[k, enc(v)]]), weight: 3 },
      { arbitrary: wrongValue(s).map((v): QueryPair[] => [[k, enc(v)]]), weight: 1 },
      { arbitrary: nastyQueryValue.map((v): QueryPair[] => [[k, v]]), weight: 1 },
      {
        arbitrary: fc.tuple(validValue(s), validValue(s)).map(([a, b]): QueryPair[] => [
          [k, enc(a)],
          [k, enc(b)],
        ]),
        weight: 1,
      },
    ),
  );
  const unknown = fc.oneof(
    { arbitrary: fc.constant<QueryPair[]>([]), weight: 6 },
    {
      arbitrary: fc.array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(
              '__proto__',
              'constructor[prototype][x]',
              'a[b]',
              'limit[]',
              '%00',
              '%ED%A0%80',
              'x'.repeat(2000),
            ),
            fc.string({ minLength: 1, maxLength: 10 }).map(encodeText),
          ),
          nastyQueryValue,
        ),
        { maxLength: 3 },
      ),
      weight: 1,
    },
  );
  return fc.tuple(fc.tuple(...perProp), unknown).map(([ps, u]) => [...ps.flat(), ...u]);
}

export const joinQuery = (pairs: readonly QueryPair[]) =>
  pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : '';

// ---- headers ---------------------------------------------------------------------------------------

/** a Content-Type for a body: mostly JSON, sometimes something else */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'text/plain',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/json, text/plain',
      ';;;',
      'application/merge-patch+json',
    ),
    weight: 2,
  },
);

/** the route's template text: `GET /api/v1/devices/:id` */
export const routeName = (r: RouteEntry) => `${r.method} ${r.url}`;
