import { invalid } from '../../core/errors.ts';
import { whoAmI } from '../../services/auth.ts';
import { resolveBulletinsToUpdates } from '../../services/catalog.ts';
import type { Context } from '../../services/context.ts';
import { ensureStaged, isStaged, listStagingUpdates } from '../../services/staging.ts';
import { listRunningInstances, runNow } from '../../services/tasks.ts';
import { checkBulletins } from './catalog.ts';
import { parseGuidList, renderGuid, renderGuids } from './guids.ts';
import { method, type Call, type Method } from './table.ts';

// Staging (seed 000): the package cache of the server (services/staging.ts) is Altiris' package store;
// this server is the one package server. "Download Software Update Package" instances are Patchline's
// stage task instances, "Distribute Software Updates" ones its distribute task instances.

/** the updates of a list of bulletins and/or updates, each existing */
async function updatesOf(call: Call, param: string): Promise<number[]> {
  const { ctx, args, env } = call;
  const text = args.str(param);
  const bulletins: number[] = [];
  const updates = new Set<number>();
  for (const g of parseGuidList(text, param)) {
    if (g.kind === 'bulletin') bulletins.push(g.id);
    else if (g.kind === 'update') {
      await isStaged(ctx, g.id, env); // not found when the update does not exist for the caller
      updates.add(g.id);
    } else
      throw invalid(`${param}: must list bulletins or updates`, [
        { path: param, message: 'must list bulletins or updates' },
      ]);
  }
  const ids = await checkBulletins(ctx, [...new Set(bulletins)]);
  for (const u of await resolveBulletinsToUpdates(ctx, ids)) updates.add(u);
  return [...updates].sort((a, b) => a - b);
}

async function split(call: Call, param: string) {
  const staged: number[] = [];
  const nonstaged: number[] = [];
  for (const id of await updatesOf(call, param))
    ((await isStaged(call.ctx, id, call.env)) ? staged : nonstaged).push(id);
  return { staged, nonstaged };
}

/** the status of the first active instance of a kind of task, or '' without one */
export async function firstActive(ctx: Context, kind: string): Promise<string> {
  const running = (await listRunningInstances(ctx)).filter((i) => i.kind === kind);
  running.sort((a, b) => a.id - b.id);
  return running[0]?.status ?? '';
}

export const stagingMethods: Method[] = [
  method(
    'EnsureStaged',
    'int',
    "Ensures the list of bulletins (and bulletins' updates) is staged.",
    ['bulletinGuids:string', 'sync:boolean'],
    async (call) => {
      const ids = await updatesOf(call, 'bulletinGuids');
      const sync = call.args.bool('sync');
      if (!ids.length)
        throw invalid('EnsureStaged: bulletinGuids must list at least one bulletin or update', [
          { path: 'bulletinGuids', message: 'is empty' },
        ]);
      // sync: the packages are downloaded before the answer, which counts those staged now (-1 when one
      // failed); otherwise a "Download Software Update Package" instance (a stage task instance the
      // engine runs, followed with GetStagingTaskStatus) downloads them, and the answer counts those it
      // will download (0 when everything is staged already, and then no instance starts)
      if (sync) {
        const r = await ensureStaged(call.ctx, { updateIds: ids }, call.env);
        return r.errors.length ? -1 : r.staged.length;
      }
      call.ctx.authorizeGlobal('import_catalog'); // the server's package cache is every organization's
      const { nonstaged } = await split(call, 'bulletinGuids');
      if (!nonstaged.length) return 0;
      await runNow(call.ctx, {
        organizationId: null, // the server's package cache: a server-wide task
        kind: 'stage',
        name: 'Download Software Update Package',
        parameters: { updateIds: nonstaged },
      });
      return nonstaged.length;
    },
  ),
  method(
    'IsStaged',
    'boolean',
    'Checks if ALL provided bulletins and updates are staged.',
    ['bulletinGuids:string'],
    async (call) => (await split(call, 'bulletinGuids')).nonstaged.length === 0,
  ),
  method(
    'GetStagedUpdates',
    'string',
    'Returns list of staged updates for provided bulletins.',
    ['bulletinGuids:string'],
    async (call) => renderGuids('update', (await split(call, 'bulletinGuids')).staged),
  ),
  method(
    'GetNonstagedUpdates',
    'string',
    'Returns the list of non-staged updates for provided bulletins.',
    ['bulletinGuids:string'],
    async (call) => renderGuids('update', (await split(call, 'bulletinGuids')).nonstaged),
  ),
  method('GetAllStagedUpdates', 'string', 'Returns the list of ALL staged updates.', [], async ({ ctx }) => {
    const ids: number[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await listStagingUpdates(ctx, { staged: true }, { limit: 500, offset, sort: ['id'] });
      ids.push(...page.items.map((u) => u.id));
      if (page.items.length < 500) break;
    }
    return renderGuids('update', ids);
  }),
  method(
    'GetPackageServerGuid',
    'string',
    'Obtains list of Package Servers and returns GUID of the first non-constrained.',
    [],
    async ({ ctx }) => {
      whoAmI(ctx); // any signed-in caller: this server is the one package server
      return renderGuid('packageServer', 1);
    },
  ),
  method(
    'GetStagingTaskStatus',
    'string',
    'Returns current status for "Download Software Update Package" task.',
    [],
    async ({ ctx }) => firstActive(ctx, 'stage'),
  ),
  method(
    'IsStagingTaskRunning',
    'boolean',
    "Checks if 'Download Software Update Package' task is running.",
    [],
    async ({ ctx }) => (await firstActive(ctx, 'stage')) !== '',
  ),
  method(
    'GetDistributionTaskStatus',
    'string',
    'Returns current "Distribute Software Updates" task status.',
    [],
    async ({ ctx }) => firstActive(ctx, 'distribute'),
  ),
  method(
    'IsSoftwareUpdateDistributionRunning',
    'boolean',
    'Returns status of "Distribute Software Updates" task.',
    [],
    async ({ ctx }) => (await firstActive(ctx, 'distribute')) !== '',
  ),
];
