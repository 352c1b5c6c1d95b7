export type { UclValue, UclObject, DuplicateStrategy } from './ucl-value';
export { keyPositions, objectPosition, isImplicitArray, toJson } from './ucl-value';
export type { UclParseOptions, UclParseResult } from './parse-ucl';
export { parseUcl, parseUclFile } from './parse-ucl';
