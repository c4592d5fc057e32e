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
export { parseProcedure, PROCEDURE_LIMITS, type Procedure } from './procedures.ts';
