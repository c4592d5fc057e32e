import type { RequiredSoftwarePolicy, WorkletPolicy } from '../scripts/model.ts';
import type { PatchPolicy } from './model.ts';

// A policy has a kind: a patch policy selects updates to install (its `rule`); a worklet runs an
// evaluation and, when it fails, a remediation script (Automox "custom"); a required-software policy
// installs a package by script where it is missing (Automox "required_software"). Every kind shares name,
// notes, enabled, targets, schedule and behaviour (runMissedAsap, overrideMaintenanceWindows, autoInstall
// = run on the schedule). Code that selects updates, computes compliance or previews installs reads
// patch policies only.

export const POLICY_KINDS = ['patch', 'worklet', 'required-software'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];
export type ScriptPolicyKind = Exclude<PolicyKind, 'patch'>;
export const SCRIPT_POLICY_KINDS: readonly ScriptPolicyKind[] = ['worklet', 'required-software'];

export const isPolicyKind = (v: unknown): v is PolicyKind => (POLICY_KINDS as readonly unknown[]).includes(v);
export const isScriptPolicyKind = (v: unknown): v is ScriptPolicyKind =>
  (SCRIPT_POLICY_KINDS as readonly unknown[]).includes(v);

/** what every kind has */
export type PolicyCommon = Omit<PatchPolicy, 'rule'>;

export type WorkletPolicyOfKind = PolicyCommon & {
  readonly kind: 'worklet';
  readonly worklet: WorkletPolicy;
};
export type RequiredSoftwarePolicyOfKind = PolicyCommon & {
  readonly kind: 'required-software';
  readonly requiredSoftware: RequiredSoftwarePolicy;
};
export type ScriptPolicy = WorkletPolicyOfKind | RequiredSoftwarePolicyOfKind;

/** a policy of any kind, as parseAnyPolicy returns it */
export type AnyPolicy = (PatchPolicy & { readonly kind: 'patch' }) | ScriptPolicy;
