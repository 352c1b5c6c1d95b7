export { aggregateScan, orderVerdicts, comparePartIndex, DEFAULT_MAX_SHOTS, DEFAULT_MAX_OPTIONS_BYTES, DEFAULT_FAIL_MESSAGE } from './aggregate-scan';
export type {
  AggregateInput,
  AggregateResult,
  PreResult,
  RuleVerdictInput,
  SymbolResult,
  SymbolScore,
  Whitelist,
} from './aggregate-types';
export { matchPattern } from './match-patterns';
export { renderMessage, messageVars } from './render-message';
export { verdictToSymbols, DEFAULT_ACTION_MESSAGE } from './verdicts-to-symbols';
export type { SymbolInsertion, VerdictApplication } from './verdicts-to-symbols';
export { SymbolTable } from './symbol-table';
export type { SymbolEntry } from './symbol-table';
export { pickAction, rejectThreshold, scoreAction, thresholdOf, actionStrength } from './pick-action';
export type { PickedAction } from './pick-action';
