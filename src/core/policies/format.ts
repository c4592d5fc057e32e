import type { AdvancedFilter } from './advanced-filter.ts';
import type { Schedule } from '../schedule/model.ts';
import {
  formatTimeOfDay,
  type DownloadSettings,
  type RebootPostponement,
  type WindowsUpdateOptions,
} from './behaviour.ts';
import type {
  KeptLists,
  Notifications,
  PatchClasses,
  PolicyBehaviour,
  RebootPendingMode,
  RuleKind,
  SelectionRule,
  VendorProductSelection,
} from './model.ts';

// The native shape of a policy's rule and behaviour, rendered from the model: the inverse of parsePolicy
// (parse.ts), so what a reader gets is a body the parser takes back unchanged (a policy whose rule and
// behaviour are rendered here parses to the same policy). The rule is flat, `{kind, …its fields,
// vendorProducts, classes, includeOptional}`, and times of day are "hh:mm", as a client writes them.

/** a selection rule as a body writes it */
export interface RuleBody {
  readonly kind: RuleKind;
  readonly patterns?: readonly string[];
  readonly severities?: readonly string[];
  readonly filters?: readonly AdvancedFilter[];
  readonly bulletins?: readonly number[];
  readonly updates?: readonly number[];
  /** null: no vendor or product restriction */
  readonly vendorProducts: VendorProductSelection | null;
  readonly classes: PatchClasses;
  readonly includeOptional: boolean;
  /** lists kept without being applied (model.ts KeptLists); absent when none */
  readonly keptLists?: KeptLists;
}

/** a reboot postponement as a body writes it: the interval's times as "hh:mm" */
export type RebootPostponementBody =
  | Exclude<RebootPostponement, { mode: 'within-interval' }>
  | (Omit<Extract<RebootPostponement, { mode: 'within-interval' }>, 'between'> & {
      readonly between: { readonly start: string; readonly end: string };
    });

/** behaviour as a body writes it */
export interface BehaviourBody {
  readonly autoInstall: boolean;
  readonly autoReboot: boolean;
  readonly suppressReboot: boolean;
  readonly rebootPostponement: RebootPostponementBody | null;
  readonly whenRebootPending: RebootPendingMode;
  readonly notifications: Notifications;
  readonly runMissedAsap: boolean;
  readonly overrideMaintenanceWindows: boolean;
  readonly download: DownloadSettings;
  readonly installCommandLine?: string | null;
  readonly windowsUpdate?: WindowsUpdateOptions | null;
  readonly notifySchedule?: Schedule | null;
  readonly rebootSchedule?: Schedule | null;
}

export function formatRule(rule: SelectionRule): RuleBody {
  return {
    ...rule.match,
    vendorProducts: rule.vendorProducts,
    classes: rule.classes,
    includeOptional: rule.includeOptional,
    ...(rule.keptLists ? { keptLists: rule.keptLists } : {}),
  };
}

export function formatRebootPostponement(r: RebootPostponement): RebootPostponementBody {
  if (r.mode !== 'within-interval') return r;
  return {
    ...r,
    between: { start: formatTimeOfDay(r.between.start), end: formatTimeOfDay(r.between.end) },
  };
}

export function formatBehaviour(b: PolicyBehaviour): BehaviourBody {
  return {
    ...b,
    rebootPostponement: b.rebootPostponement && formatRebootPostponement(b.rebootPostponement),
  };
}
