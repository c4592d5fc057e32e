// Errors are values with a kind; each face maps kinds to its own format in one place.
export type ErrorKind =
  | 'invalid' // the request is malformed or breaks a rule (400)
  | 'unauthenticated' // no or bad credentials (401)
  | 'forbidden' // authenticated, lacks the privilege (403)
  | 'not_found' // does not exist, or is outside the caller's scope (404)
  | 'conflict' // clashes with the current state (409)
  | 'too_many' // rate limited (429)
  | 'unavailable'; // a dependency is down (503)

export interface FieldIssue {
  /** where in the input, as a JSON pointer (`/settings/name`) or a dotted path */
  readonly path: string;
  readonly message: string;
}

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly issues: readonly FieldIssue[];
  constructor(kind: ErrorKind, message: string, issues: readonly FieldIssue[] = []) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.issues = issues;
  }
}

export const invalid = (message: string, issues: readonly FieldIssue[] = []) =>
  new DomainError('invalid', message, issues);
export const notFound = (what: string, id?: string | number) =>
  new DomainError('not_found', id === undefined ? `${what} not found` : `${what} ${id} not found`);
export const forbidden = (message: string) => new DomainError('forbidden', message);
export const conflict = (message: string) => new DomainError('conflict', message);
export const unauthenticated = (message: string) => new DomainError('unauthenticated', message);

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
