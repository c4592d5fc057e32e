import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ROLLOUT_ACTIONS, type RolloutAction } from '../core/rollout/actions.ts';
import type { RolloutView } from '../services/rollouts.ts';
import { positiveId, print, storeOptions, withContext, type StoreOpts } from './policy-commands.ts';

// `patchline rollout …` (deployment rings: plans, their rings' progress, approving into a plan, the
// operator's actions) and `patchline auto-approval …` (rules, preview): the services, as the system.

/** the services these commands call, loaded when one runs (the CLI starts without them) */
const services = async () => ({
  ...(await import('../services/auto-approval.ts')),
  ...(await import('../services/rollouts.ts')),
});

const readJson = async (file: string): Promise<unknown> => JSON.parse(await readFile(file, 'utf8'));

/** one line per ring: state, gate and why */
export function ringLines(r: RolloutView): string {
  const head = `rollout ${r.id}: ${r.updateName} (update ${r.updateId}) ${r.state}${r.reason ? ` - ${r.reason}` : ''}`;
  const rings = r.rings.map((g) => {
    const when = g.finishedAt
      ? `finished ${g.finishedAt.toISOString()}`
      : g.startedAt
        ? `started ${g.startedAt.toISOString()}, gate due ${g.gateDueAt?.toISOString() ?? '-'}`
        : `starts ${g.startsAt?.toISOString() ?? 'after the previous ring'}`;
    const pct = g.percent === null ? '' : ` ${g.percent}%/${g.minPercent}%`;
    return `  ${r.currentRing === g.index ? '>' : ' '} ${g.index + 1}. ${g.name}: ${g.devices} devices, ${when}, gate ${g.gate}${pct}${g.reason ? ` (${g.reason})` : ''}`;
  });
  return [head, ...rings].join('\n');
}

export function registerRolloutCommands(program: Command) {
  const rollout = program
    .command('rollout')
    .description('deployment rings: plans, progress, operator actions');
  storeOptions(
    rollout
      .command('plans')
      .description('list rollout plans')
      .option('--organization <id>', 'only this organization'),
  ).action((o: StoreOpts & { organization?: string }) =>
    withContext(o, async (ctx) => {
      const items = await (
        await services()
      ).listPlans(ctx, o.organization ? positiveId(o.organization) : undefined);
      print(
        o,
        items,
        () =>
          items
            .map(
              (p) =>
                `${p.id}\t${p.organizationId === null ? `orgs ${p.organizations.join(',')}` : `org ${p.organizationId}`}\t${p.rings.length} rings\t${p.name}`,
            )
            .join('\n') || 'no plans',
      );
    }),
  );
  storeOptions(
    rollout
      .command('create <organization> <file>')
      .description(
        'create a plan from a JSON file: { "name": …, "rings": [ … ] }; organization "across": a plan across the organizations its rings name',
      ),
  ).action((org: string, file: string, o: StoreOpts) =>
    withContext(o, async (ctx) => {
      const p = await (
        await services()
      ).createPlan(ctx, org === 'across' ? null : positiveId(org), await readJson(file));
      print(o, p, () => `created rollout plan ${p.id}: ${p.name}`);
    }),
  );
  storeOptions(rollout.command('show <plan>').description("a plan's rollouts, ring by ring")).action(
    (plan: string, o: StoreOpts) =>
      withContext(o, async (ctx) => {
        const r = await (await services()).planRollouts(ctx, positiveId(plan));
        print(o, r, () => [`plan ${r.plan.id}: ${r.plan.name}`, ...r.rollouts.map(ringLines)].join('\n'));
      }),
  );
  storeOptions(
    rollout.command('approve <plan> <updateIds...>').description('approve updates into a plan'),
  ).action((plan: string, ids: string[], o: StoreOpts) =>
    withContext(o, async (ctx) => {
      const r = await (await services()).approveIntoPlan(ctx, positiveId(plan), ids.map(positiveId));
      print(o, r, () => r.rollouts.map(ringLines).join('\n'));
    }),
  );
  for (const action of ROLLOUT_ACTIONS)
    storeOptions(
      rollout
        .command(`${action} <rollout>`)
        .description(`${action} a rollout`)
        .option('--note <text>', 'why, for the event log'),
    ).action((id: string, o: StoreOpts & { note?: string }) =>
      withContext(o, async (ctx) => {
        const r = await (
          await services()
        ).actOnRollout(ctx, positiveId(id), action as RolloutAction, o.note ?? '');
        const one = r.rollouts.find((x) => x.id === positiveId(id));
        print(o, one, () => (one ? ringLines(one) : ''));
      }),
    );

  const auto = program.command('auto-approval').description('risk-based auto-approval rules');
  storeOptions(auto.command('rules <organization>').description("an organization's rules, in order")).action(
    (org: string, o: StoreOpts) =>
      withContext(o, async (ctx) => {
        const items = await (await services()).listRules(ctx, positiveId(org));
        print(
          o,
          items,
          () =>
            items
              .map(
                (r) =>
                  `${r.position}. ${r.name}\t${r.enabled ? '' : '(disabled) '}${r.action}\t${JSON.stringify(r.conditions)}`,
              )
              .join('\n') || 'no rules',
        );
      }),
  );
  storeOptions(
    auto
      .command('reorder <organization> <ruleIds...>')
      .description('put the rules in this order (every rule id once, first evaluated first)'),
  ).action((org: string, ids: string[], o: StoreOpts) =>
    withContext(o, async (ctx) => {
      const items = await (await services()).reorderRules(ctx, positiveId(org), ids.map(positiveId));
      print(o, items, () => items.map((r) => `${r.position}. ${r.name} (rule ${r.id})`).join('\n'));
    }),
  );
  storeOptions(
    auto
      .command('preview <organization> <file>')
      .description('what a rule in a JSON file would decide now, on which devices'),
  ).action((org: string, file: string, o: StoreOpts) =>
    withContext(o, async (ctx) => {
      const p = await (await services()).previewRule(ctx, positiveId(org), await readJson(file));
      print(
        o,
        p,
        () =>
          p.updates
            .map((u) => `${u.name} (update ${u.updateId}): devices ${u.devices.map((d) => d.id).join(', ')}`)
            .join('\n') || 'the rule matches nothing now',
      );
    }),
  );
  storeOptions(auto.command('add <organization> <file>').description('add a rule from a JSON file')).action(
    (org: string, file: string, o: StoreOpts) =>
      withContext(o, async (ctx) => {
        const r = await (await services()).createRule(ctx, positiveId(org), await readJson(file));
        print(o, r, () => `added rule ${r.id} at position ${r.position}: ${r.name}`);
      }),
  );
}
