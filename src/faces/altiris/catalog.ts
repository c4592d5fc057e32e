import { invalid, notFound } from '../../core/errors.ts';
import { SEVERITIES } from '../../core/severity.ts';
import {
  listBulletins,
  listCustomSeverities,
  resolveBulletinsToUpdates,
  resolveCvesToBulletins,
  setBulletinCustomSeverity,
  setBulletinEnabled,
} from '../../services/catalog.ts';
import type { Context } from '../../services/context.ts';
import { deletePolicy, listPolicies, updatePolicy, type PolicyView } from '../../services/policies.ts';
import { guidListOf, listEntries, parseGuidList, renderGuids } from './guids.ts';
import { homeOrganization } from './scope.ts';
import { method, type Method } from './table.ts';

// Bulletins and updates (seed 000): CVE resolution, bulletin to update and policy resolution, disabling
// bulletins, custom severities.

/** the bulletins of a GUID list, each existing (not found otherwise) */
export async function bulletinsOf(ctx: Context, text: string, param: string): Promise<number[]> {
  return checkBulletins(ctx, guidListOf('bulletin', text, param));
}

/** the bulletins, each existing (not found otherwise) */
export async function checkBulletins(ctx: Context, ids: number[]): Promise<number[]> {
  if (!ids.length) return ids;
  const found = await listBulletins(ctx, { ids }, { limit: ids.length, offset: 0, sort: ['id'] });
  const known = new Set(found.items.map((b) => b.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing !== undefined) throw notFound('software bulletin', renderGuids('bulletin', [missing]));
  return ids;
}

const bodyOf = (p: PolicyView) => ({
  name: p.name,
  notes: p.notes,
  enabled: p.enabled,
  rule: p.rule,
  targets: p.targets,
  schedule: p.schedule,
  behaviour: p.behaviour,
});

/** the policies whose list rule names one of the bulletins or updates */
function listing(p: PolicyView, bulletins: Set<number>, updates: Set<number>) {
  const r = p.rule as { kind: string; bulletins?: number[]; updates?: number[] };
  return (
    r.kind === 'list' &&
    ((r.bulletins ?? []).some((b) => bulletins.has(b)) || (r.updates ?? []).some((u) => updates.has(u)))
  );
}

/** the severity number an Altiris custom severity's Level carries: Patchline's level, by rank */
export const severityLevel = (level: string) => Math.max(0, (SEVERITIES as readonly string[]).indexOf(level));

export const catalogMethods: Method[] = [
  method(
    'ResolveCveIdsToBulletins',
    'string',
    'Gets the GUID list of bulletins, associated with provided CVE IDs.',
    ['cveIds:string', 'isInitalSetOnly:boolean'],
    async ({ ctx, args }) => {
      const cves = listEntries(args.str('cveIds'));
      if (!cves.length)
        throw invalid('cveIds: give at least one CVE ID', [{ path: 'cveIds', message: 'is empty' }]);
      return renderGuids('bulletin', await resolveCvesToBulletins(ctx, cves, args.bool('isInitalSetOnly')));
    },
  ),
  method(
    'ResolveToUpdates',
    'string',
    'Gets the GUID list of all updates for provided bulletins.',
    ['bulletinGuids:string'],
    async ({ ctx, args }) => {
      const ids = await bulletinsOf(ctx, args.str('bulletinGuids'), 'bulletinGuids');
      return renderGuids('update', await resolveBulletinsToUpdates(ctx, ids));
    },
  ),
  method(
    'ResolveToPolicies',
    'string',
    'Gets the GUID list of policies, created for listed bulletins or updates.',
    ['bulletinGuids:string'],
    async ({ ctx, args }) => {
      const bulletins = new Set<number>();
      const updates = new Set<number>();
      for (const g of parseGuidList(args.str('bulletinGuids'), 'bulletinGuids')) {
        if (g.kind === 'bulletin') bulletins.add(g.id);
        else if (g.kind === 'update') updates.add(g.id);
        else
          throw invalid('bulletinGuids: must list bulletins or updates', [
            { path: 'bulletinGuids', message: 'must list bulletins or updates' },
          ]);
      }
      // a policy made from bulletins also covers their updates, and the other way round
      for (const u of await resolveBulletinsToUpdates(ctx, [...bulletins])) updates.add(u);
      const policies = await listPolicies(ctx);
      return renderGuids(
        'policy',
        policies.filter((p) => listing(p, bulletins, updates)).map((p) => p.id),
      );
    },
  ),
  method(
    'DisableBulletins',
    'boolean',
    'Disables provided bulletins and removes them from policies (optionally).',
    ['bulletinGuids:string', 'deletePolicies:boolean'],
    async ({ ctx, args }) => {
      const ids = await bulletinsOf(ctx, args.str('bulletinGuids'), 'bulletinGuids');
      if (!ids.length)
        throw invalid('DisableBulletins: bulletinGuids must list at least one bulletin', [
          { path: 'bulletinGuids', message: 'is empty' },
        ]);
      for (const id of ids) await setBulletinEnabled(ctx, id, false);
      if (args.bool('deletePolicies')) {
        const drop = new Set(ids);
        for (const p of await listPolicies(ctx)) {
          if (!listing(p, drop, new Set())) continue;
          const r = p.rule as unknown as { kind: 'list'; bulletins: number[]; updates: number[] };
          const bulletins = r.bulletins.filter((b) => !drop.has(b));
          // a policy left with nothing to distribute is deleted, as the product deletes an empty one
          if (!bulletins.length && !r.updates.length) await deletePolicy(ctx, p.id);
          else await updatePolicy(ctx, p.id, { ...bodyOf(p), rule: { ...r, bulletins } });
        }
      }
      return true;
    },
  ),
  method(
    'GetCustomSeverities',
    'string',
    'Returns the list of Patch Custom Severities as comma-separated entries: <Order>|<Name>|<Level>, …',
    [],
    async ({ ctx }) => {
      const org = await homeOrganization(ctx, 'GetCustomSeverities');
      return (await listCustomSeverities(ctx, org))
        .map((c) => `${c.order}|${c.name}|${severityLevel(c.level)}`)
        .join(',');
    },
  ),
  method('GetCustomSeverityLevels', 'string', 'Gets IDs of custom severities.', [], async ({ ctx }) => {
    const org = await homeOrganization(ctx, 'GetCustomSeverityLevels');
    return (await listCustomSeverities(ctx, org)).map((c) => String(c.order)).join(',');
  }),
  method(
    'SetSeverityLevel',
    'void',
    'Changes the bulletin severity.',
    ['itemGuids:string', 'level:int'],
    async ({ ctx, args }) => {
      const org = await homeOrganization(ctx, 'SetSeverityLevel');
      const ids = await bulletinsOf(ctx, args.str('itemGuids'), 'itemGuids');
      const level = args.int('level');
      // the level is a custom severity's ID (GetCustomSeverityLevels); -1 takes the custom severity away
      let name: string | null = null;
      if (level !== -1) {
        const c = (await listCustomSeverities(ctx, org)).find((s) => s.order === level);
        if (!c)
          throw invalid(
            `level: ${level} is no custom severity ID (see GetCustomSeverityLevels), nor -1 to clear`,
            [{ path: 'level', message: 'unknown custom severity' }],
          );
        name = c.name;
      }
      await setBulletinCustomSeverity(ctx, org, ids, name);
    },
  ),
];
