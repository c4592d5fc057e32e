// Scripts agents run (worklets, required software, ad-hoc runs): model, parsers, steps.
export * from './model.ts';
export {
  parseScript,
  parseLimits,
  parseWorklet,
  parseRequiredSoftware,
  parseAdHocScript,
  PACKAGE_NAME,
  PACKAGE_VERSION,
} from './parse.ts';
export { workletSteps, requiredSoftwareSteps, adHocSteps, requiredSoftwareEvaluation } from './steps.ts';
export {
  parseProcedure,
  parsePrompts,
  withPrompts,
  PROCEDURE_LIMITS,
  PROMPT_LIMITS,
  type Procedure,
  type ScriptPrompt,
} from './procedures.ts';
