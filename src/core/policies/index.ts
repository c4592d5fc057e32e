// Patch policies: the model, its validating parser and rule evaluation.
export * from './model.ts';
export * from './behaviour.ts';
export * from './kinds.ts';
export {
  parsePolicy,
  parseAnyPolicy,
  KIND_PAYLOAD_FIELD,
  parseVendorProducts,
  parseRebootPostponement,
  parseDownload,
  parseTimeOfDay,
  POLICY_LIMITS,
} from './parse.ts';
export {
  formatRule,
  formatBehaviour,
  formatRebootPostponement,
  type RuleBody,
  type BehaviourBody,
  type RebootPostponementBody,
} from './format.ts';
export { selectUpdates, compileRule, isTargeted } from './select.ts';
export {
  ADVANCED_FIELDS,
  TEXT_FIELDS,
  SEVERITY_CONDITIONS,
  TEXT_CONDITIONS,
  parseAdvancedFilter,
  formatAdvancedFilter,
  evaluateAdvancedFilter,
  normalizeKb,
  type AdvancedFilter,
  type AdvancedField,
} from './advanced-filter.ts';
export { compileWildcard, matchesWildcard, hasWildcard } from './wildcard.ts';
