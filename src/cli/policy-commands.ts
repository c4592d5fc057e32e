import type { Command } from 'commander';
import type { Context } from '../services/context.ts';
import { storeOptions as storeCliOptions, withStore, type StoreCliOptions } from './store-options.ts';

// `patchline policy list|show|preview` and `patchline task list|run|stop`: the services through a store
// opened by store-options.ts's withStore (the CLI acts as the system; it holds the data folder's lock).

export interface StoreOpts extends StoreCliOptions {
  json?: boolean;
}

export const storeOptions = (cmd: Command) =>
  storeCliOptions(cmd).option('--json', 'print JSON instead of text');

/** the system's context on the store (quiet: the output may have to stay JSON) */
export const withContext = <T>(o: StoreOpts, fn: (ctx: Context) => Promise<T>): Promise<T> =>
  withStore(o, async (store) => {
    const { systemContext } = await import('../services/context.ts');
    return fn(systemContext(store, 'cli'));
  });

/** the services these commands call, loaded when one runs (the CLI starts without them) */
const services = async () => ({
  ...(await import('../services/policies.ts')),
  ...(await import('../services/preview.ts')),
  ...(await import('../services/tasks.ts')),
});

export const print = (o: StoreOpts, value: unknown, text: () => string) =>
  console.log(o.json ? JSON.stringify(value, null, 2) : text());

export const positiveId = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`not an id: ${v}`);
  return n;
};

export function registerPolicyCommands(program: Command) {
  const policy = program.command('policy').description('patch policies: list, show, preview (dry run)');
  storeOptions(
    policy
      .command('list')
      .description('list patch policies')
      .option('--organization <id>', 'only this organization'),
  ).action((o: StoreOpts & { organization?: string }) =>
    withContext(o, async (ctx) => {
      const items = await (
        await services()
      ).listPolicies(ctx, o.organization ? { organizationId: positiveId(o.organization) } : {});
      print(
        o,
        items,
        () =>
          items
            .map(
              (p) =>
                `${p.id}\torg ${p.organizationId}\t${p.enabled ? 'enabled ' : 'disabled'}\t${p.nextRunAt?.toISOString() ?? '-'}\t${p.name}`,
            )
            .join('\n') || 'no policies',
      );
    }),
  );
  storeOptions(policy.command('show <id>').description('show one policy')).action(
    (id: string, o: StoreOpts) =>
      withContext(o, async (ctx) => {
        const p = await (await services()).getPolicy(ctx, positiveId(id));
        console.log(JSON.stringify(p, null, 2));
      }),
  );
  storeOptions(
    policy
      .command('preview <id>')
      .description('what the policy would install on each device at its next occurrence'),
  ).action((id: string, o: StoreOpts) =>
    withContext(o, async (ctx) => {
      const r = await (await services()).previewPolicy(ctx, positiveId(id));
      print(
        o,
        r,
        () =>
          r.devices
            .map(
              (d) =>
                `${d.name} (device ${d.deviceId}) at ${d.nextOccurrenceLocal ?? 'never'} ${d.timeZone}: ` +
                (d.updates.map((u) => u.name).join(', ') || 'nothing'),
            )
            .join('\n') || 'the policy targets no device',
      );
    }),
  );

  const task = program.command('task').description('tasks and their instances: list, run, stop');
  storeOptions(
    task
      .command('list')
      .description('list tasks, and with --running the unfinished instances')
      .option('--running', 'list unfinished instances instead'),
  ).action((o: StoreOpts & { running?: boolean }) =>
    withContext(o, async (ctx) => {
      if (o.running) {
        const items = await (await services()).listRunningInstances(ctx);
        print(
          o,
          items,
          () =>
            items
              .map(
                (i) =>
                  `${i.id}\ttask ${i.taskId ?? '-'}\t${i.kind}\t${i.status}\t${Math.round(i.progress * 100)}%`,
              )
              .join('\n') || 'no running instances',
        );
        return;
      }
      const items = await (await services()).listTasks(ctx);
      print(
        o,
        items,
        () =>
          items
            .map(
              (t) =>
                `${t.id}\torg ${t.organizationId ?? '-'}\t${t.kind}\t${t.nextDueAt?.toISOString() ?? '-'}\t${t.name}`,
            )
            .join('\n') || 'no tasks',
      );
    }),
  );
  storeOptions(
    task
      .command('run <taskId>')
      .description('start an instance of a task now (the engine of a running server picks it up)'),
  ).action((id: string, o: StoreOpts) =>
    withContext(o, async (ctx) => {
      const i = await (await services()).runTask(ctx, positiveId(id));
      print(o, i, () => `started instance ${i.id} of task ${i.taskId} (${i.status})`);
    }),
  );
  storeOptions(
    task.command('stop <instanceId>').description('ask the engine to stop a task instance'),
  ).action((id: string, o: StoreOpts) =>
    withContext(o, async (ctx) => {
      const i = await (await services()).stopInstance(ctx, positiveId(id));
      print(o, i, () => `instance ${i.id} is now ${i.status}`);
    }),
  );
}
