import fc from 'fast-check';
import { AREAS } from '../../src/faces/gravityzone/areas.ts';
import { GZ_KINDS, gzId, patchGuid } from '../../src/faces/gravityzone/ids.ts';
import type { RouteEntry } from '../../src/faces/shared/route-table.ts';
import type { AuthKind, BodyPart, FaceFuzz } from './faces.ts';
import { garbageAuth } from './faces.ts';
import { contentType, nastyJson, nastyJsonText, nastyText, type QueryPair } from './generators.ts';
import { validParams } from '../core/windows/gz-helpers.ts';

// The GravityZone face's grammar (JSON-RPC 2.0 over POST /api/v1.0/jsonrpc/{area}): requests over each
// area's method names (and some of other areas, and none at all), params built from the names the
// methods read with ids of every kind (24 hex digits naming real records often, malformed ones too),
// the seed's window settings mutated, paging, filters; single calls, batches (empty, oversized),
// notifications, ids of every JSON type, broken envelopes and text that is no JSON.

const PREFIX = '/api/v1.0/jsonrpc';

const ALL_METHODS = Object.values(AREAS).flatMap((a) => Object.keys(a.methods));

const smallId = fc.integer({ min: 1, max: 40 });
const hexId = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...(Object.keys(GZ_KINDS) as (keyof typeof GZ_KINDS)[])), smallId)
      .map(([k, n]) => gzId(k, n)),
    weight: 6,
  },
  {
    arbitrary: fc.constantFrom(
      '',
      'abc',
      '0'.repeat(24),
      'f'.repeat(24),
      'g'.repeat(24),
      '1'.repeat(25),
      'FFFFFFFFFFFFFFFFFFFFFFFF',
    ),
    weight: 1,
  },
  { arbitrary: nastyText, weight: 1 },
);
const idOfKind = (k: keyof typeof GZ_KINDS) =>
  fc.oneof({ arbitrary: smallId.map((n) => gzId(k, n)), weight: 5 }, { arbitrary: hexId, weight: 1 });
const patchId = fc.oneof(
  smallId.map(patchGuid),
  fc.constantFrom(
    '{0001354A-0000-0000-0000-000000000000}',
    'not-a-guid',
    '{}',
    '00016c6e-0000-0000-0000-000000000000',
  ),
);
const list = <T>(a: fc.Arbitrary<T>) =>
  fc.oneof(
    { arbitrary: fc.array(a, { maxLength: 4 }), weight: 6 },
    { arbitrary: fc.array(a, { minLength: 101, maxLength: 120 }), weight: 1 },
  );

/** settings: the valid baseline, sometimes with one value replaced by a weird one */
const settings: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(null).map(() => validParams().settings), weight: 3 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          ['scanPatchesSettings', 'enabled'],
          ['scanPatchesSettings', 'useFallbackSchedule'],
          ['scanPatchesSettings', 'scheduler'],
          ['installPatchesSettings', 'enabled'],
          ['installPatchesSettings', 'updateType'],
          ['installPatchesSettings', 'postponeReboot'],
          ['installPatchesSettings', 'manuallyApprovedPatchIds'],
          ['installPatchesSettings', 'specificVendorAndProduct'],
          ['downloadSettings', 'cachingServers'],
        ),
        nastyJson,
      )
      .map(([[a, b], v]) => {
        const s = validParams().settings;
        s[a!][b!] = v;
        return s;
      }),
    weight: 3,
  },
  { arbitrary: nastyJson, weight: 1 },
);

const PARAMS: Record<string, fc.Arbitrary<unknown>> = {
  companyId: idOfKind('company'),
  parentId: fc.oneof(idOfKind('company'), idOfKind('group')),
  endpointId: idOfKind('endpoint'),
  policyId: idOfKind('policy'),
  maintenanceWindowId: idOfKind('window'),
  id: idOfKind('window'),
  taskId: idOfKind('task'),
  targetIds: list(fc.oneof(idOfKind('endpoint'), idOfKind('group'))),
  maintenanceWindowIds: list(idOfKind('window')),
  patchIds: list(patchId),
  name: fc.oneof(fc.string({ maxLength: 90 }), nastyText),
  allowChangeByOtherUsers: fc.oneof(fc.boolean(), nastyJson),
  settings,
  page: fc.oneof(fc.integer({ min: 0, max: 5 }), nastyJson),
  perPage: fc.oneof(fc.integer({ min: 0, max: 120 }), nastyJson),
  type: fc.integer({ min: -1, max: 4 }),
  isManaged: fc.oneof(fc.boolean(), nastyJson),
  filters: fc.oneof(
    fc.record(
      { type: fc.integer({ min: 0, max: 4 }), severity: fc.constantFrom('critical', 'low', 'nope') },
      { requiredKeys: [] },
    ),
    fc.record({
      details: fc.record({ name: fc.oneof(fc.string({ maxLength: 8 }), nastyJson) }, { requiredKeys: [] }),
    }),
    nastyJson,
  ),
};

/** params: some of the names methods read, with values of their grammar; sometimes no object at all */
const params: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc
      .subarray(Object.keys(PARAMS), { maxLength: 6 })
      .chain((keys) =>
        fc
          .tuple(...keys.map((k) => PARAMS[k]!))
          .map((vals) => Object.fromEntries(keys.map((k, i) => [k, vals[i]]))),
      ),
    weight: 12,
  },
  {
    arbitrary: fc
      .constant(null)
      .map(() => ({ ...validParams(), name: `fuzz window ${Math.random().toString(36).slice(2, 8)}` })),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(undefined, [], [1], 'x', 7, null), weight: 1 },
);

const rpcId = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.constantFrom(1.5, true, {}, []),
);

function requestOf(area: string): fc.Arbitrary<unknown> {
  const own = Object.keys(AREAS[area]?.methods ?? {});
  const method = fc.oneof(
    { arbitrary: own.length ? fc.constantFrom(...own) : fc.constant('getCompaniesList'), weight: 8 },
    { arbitrary: fc.constantFrom(...ALL_METHODS, 'toString', '__proto__', 'constructor'), weight: 1 },
    { arbitrary: nastyText, weight: 1 },
  );
  const call = fc.tuple(method, params, rpcId, fc.integer({ min: 0, max: 19 })).map(([m, p, id, roll]) => {
    const o: Record<string, unknown> = { jsonrpc: '2.0', method: m, id };
    if (p !== undefined) o.params = p;
    if (roll === 0) delete o.id; // a notification
    if (roll === 1) o.jsonrpc = '1.0';
    if (roll === 2) delete o.method;
    return o;
  });
  return fc.oneof(
    { arbitrary: call, weight: 10 },
    { arbitrary: fc.array(call, { minLength: 1, maxLength: 3 }), weight: 2 },
    {
      arbitrary: fc.constantFrom(
        [],
        Array.from({ length: 60 }, () => ({ jsonrpc: '2.0', method: 'x', id: 1 })),
      ),
      weight: 1,
    },
    { arbitrary: nastyJson, weight: 1 },
  );
}

const body = (route: RouteEntry): fc.Arbitrary<BodyPart> => {
  if (['GET', 'HEAD', 'OPTIONS'].includes(route.method)) return fc.constant<BodyPart>({});
  const area = route.url.slice(PREFIX.length + 1);
  return fc.oneof(
    {
      arbitrary: requestOf(area).map((v): BodyPart => ({
        payload: JSON.stringify(v) ?? 'null',
        contentType: 'application/json',
      })),
      weight: 10,
    },
    {
      arbitrary: fc.tuple(requestOf(area), contentType).map(([v, ct]): BodyPart => ({
        payload: JSON.stringify(v) ?? '',
        ...(ct ? { contentType: ct } : {}),
      })),
      weight: 1,
    },
    {
      arbitrary: nastyJsonText.map((payload): BodyPart => ({ payload, contentType: 'application/json' })),
      weight: 1,
    },
    { arbitrary: fc.constant<BodyPart>({}), weight: 1 },
  );
};

const weighted = (...kinds: [AuthKind | fc.Arbitrary<AuthKind>, number][]) =>
  fc.oneof(
    ...kinds.map(([k, weight]) => ({ arbitrary: typeof k === 'string' ? fc.constant(k) : k, weight })),
  );

export const gravityzone: FaceFuzz = {
  name: 'gravityzone',
  owns: (r) => r.url === PREFIX || r.url.startsWith(`${PREFIX}/`),
  auth: () => weighted(['gz-admin', 6], ['gz-scoped', 4], ['admin-key', 1], ['none', 1], [garbageAuth, 1]),
  query: () => fc.constant<QueryPair[]>([]),
  body,
};
