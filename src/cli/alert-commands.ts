import type { Command } from 'commander';
import { ALERT_CHANNELS, ALERT_KINDS, type AlertChannel } from '../core/alerts/index.ts';
import type { AlertFilter } from '../services/alerts.ts';
import { positiveId, print, storeOptions, withContext, type StoreOpts } from './policy-commands.ts';

// `patchline alert list|close`, `patchline alert subscription list|add|remove|resume` and
// `patchline alert deliveries`: services/alerts.ts through a store opened by store-options.ts (the CLI
// acts as the system; it holds the data folder's lock, so it runs while the server is stopped).

/** services/alerts.ts, loaded when a command runs (the CLI starts without it) */
const alerts = () => import('../services/alerts.ts');
const page = (limit = 100) => ({ limit, offset: 0, sort: [] as string[] });
const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim())];

export function registerAlertCommands(program: Command) {
  const alert = program.command('alert').description('alerts, alert subscriptions and their delivery log');
  storeOptions(
    alert
      .command('list')
      .description('list alerts, newest first')
      .option('--organization <id>', 'only this organization')
      .option('--state <state>', 'open or closed')
      .option('--kind <kind>', `one of ${ALERT_KINDS.join(', ')}`),
  ).action((o: StoreOpts & { organization?: string; state?: string; kind?: string }) =>
    withContext(o, async (ctx) => {
      const r = await (
        await alerts()
      ).listAlerts(
        ctx,
        {
          ...(o.organization ? { organizationId: positiveId(o.organization) } : {}),
          ...(o.state ? { state: o.state as 'open' | 'closed' } : {}),
          ...(o.kind ? { kind: o.kind as AlertFilter['kind'] } : {}),
        },
        page(500),
      );
      print(
        o,
        r.items,
        () =>
          r.items
            .map(
              (a) => `${a.id}\t${a.state}\t${a.createdAt.toISOString()}\t${a.organizationName}\t${a.subject}`,
            )
            .join('\n') || 'no alerts',
      );
    }),
  );
  storeOptions(
    alert.command('close <id>').description('close an open alert').option('--notes <text>', 'why'),
  ).action((id: string, o: StoreOpts & { notes?: string }) =>
    withContext(o, async (ctx) => {
      const a = await (await alerts()).closeAlert(ctx, positiveId(id), o.notes ?? null);
      print(o, a, () => `closed alert ${a.id}: ${a.subject}`);
    }),
  );
  storeOptions(
    alert
      .command('deliveries')
      .description('the delivery log, newest first')
      .option('--subscription <id>', 'only this subscription'),
  ).action((o: StoreOpts & { subscription?: string }) =>
    withContext(o, async (ctx) => {
      const r = await (
        await alerts()
      ).listDeliveries(ctx, o.subscription ? { subscriptionId: positiveId(o.subscription) } : {}, page(500));
      print(
        o,
        r.items,
        () =>
          r.items
            .map(
              (d) =>
                `${d.id}\tsubscription ${d.subscriptionId}\talert ${d.alertId}\t${d.status}\t` +
                `${d.attempts} attempts\t${d.responseStatus ?? '-'}\t${d.error ?? ''}`,
            )
            .join('\n') || 'no deliveries',
      );
    }),
  );

  const sub = alert.command('subscription').description("organizations' alert subscriptions");
  storeOptions(
    sub
      .command('list')
      .description('list subscriptions')
      .option('--organization <id>', 'only this organization'),
  ).action((o: StoreOpts & { organization?: string }) =>
    withContext(o, async (ctx) => {
      const r = await (
        await alerts()
      ).listSubscriptions(ctx, o.organization ? positiveId(o.organization) : undefined, page(500));
      print(
        o,
        r.items,
        () =>
          r.items
            .map(
              (s) =>
                `${s.id}\torg ${s.organizationId}\t${s.channel}\t${s.enabled ? 'enabled ' : 'disabled'}\t` +
                `${s.name}\t${s.kinds.join(',')}\t${s.url ?? s.recipients.join(',')}`,
            )
            .join('\n') || 'no subscriptions',
      );
    }),
  );
  storeOptions(
    sub
      .command('add')
      .description('subscribe an organization to alert kinds by webhook or e-mail')
      .requiredOption('--organization <id>', 'the organization')
      .requiredOption('--name <name>', 'a name')
      .requiredOption('--kinds <kinds>', `comma-separated: ${ALERT_KINDS.join(', ')}`, list)
      .requiredOption('--channel <channel>', ALERT_CHANNELS.join(' or '))
      .option('--url <url>', 'webhook: where to POST')
      .option('--secret <secret>', 'webhook: the signing secret (made up when not given; printed once)')
      .option('--to <addresses>', 'e-mail: comma-separated recipients', list)
      .option('--reboot-days <n>', 'reboot.pending after N days')
      .option('--silent-hours <n>', 'device.silent after N hours')
      .option('--digest-minutes <n>', 'e-mail: minutes between digests'),
  ).action(
    (
      o: StoreOpts & {
        organization: string;
        name: string;
        kinds: string[];
        channel: string;
        url?: string;
        secret?: string;
        to?: string[];
        rebootDays?: string;
        silentHours?: string;
        digestMinutes?: string;
      },
    ) =>
      withContext(o, async (ctx) => {
        const s = await (
          await alerts()
        ).createSubscription(ctx, {
          organizationId: positiveId(o.organization),
          name: o.name,
          kinds: o.kinds,
          channel: o.channel as AlertChannel,
          ...(o.url ? { url: o.url } : {}),
          ...(o.secret ? { secret: o.secret } : {}),
          ...(o.to ? { recipients: o.to } : {}),
          options: {
            ...(o.rebootDays ? { rebootDays: Number(o.rebootDays) } : {}),
            ...(o.silentHours ? { silentHours: Number(o.silentHours) } : {}),
            ...(o.digestMinutes ? { digestMinutes: Number(o.digestMinutes) } : {}),
          },
        });
        print(
          o,
          s,
          () => `subscription ${s.id} created${s.secret ? `; signing secret (shown once): ${s.secret}` : ''}`,
        );
      }),
  );
  storeOptions(sub.command('remove <id>').description('delete a subscription and its delivery log')).action(
    (id: string, o: StoreOpts) =>
      withContext(o, async (ctx) => {
        await (await alerts()).deleteSubscription(ctx, positiveId(id));
        print(o, { deleted: positiveId(id) }, () => `subscription ${id} deleted`);
      }),
  );
  storeOptions(
    sub.command('resume <id>').description('queue again the deliveries that failed after a day of retries'),
  ).action((id: string, o: StoreOpts) =>
    withContext(o, async (ctx) => {
      const r = await (await alerts()).resumeSubscription(ctx, positiveId(id));
      print(o, r, () => `${r.requeued} deliveries queued again`);
    }),
  );
}
