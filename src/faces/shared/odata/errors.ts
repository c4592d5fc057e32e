import { invalid, type DomainError } from '../../../core/errors.ts';

/** A bad query option: the message says what and where; the path names the option (`$filter`). */
export const syntaxError = (param: string, message: string): DomainError =>
  invalid(`${param}: ${message}`, [{ path: param, message }]);
