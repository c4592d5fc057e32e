import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorKind, type FieldIssue } from '../../core/errors.ts';

// One place that turns errors into HTTP statuses; each face renders them in its own envelope.
export const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many: 429,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface HttpFailure {
  status: number;
  message: string;
  issues: readonly FieldIssue[];
  code: string;
}

/** Classifies any error thrown while handling a request. Unexpected errors become 500 without details. */
export function classify(err: unknown): HttpFailure {
  if (err instanceof DomainError) {
    const details = err.issues.map((i) => `${i.path} ${i.message}`).join('; ');
    const message = details ? `${err.message}: ${details}` : err.message;
    return { status: STATUS_OF[err.kind], message, issues: err.issues, code: err.kind };
  }
  const e = err as FastifyError & {
    validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
    validationContext?: string;
  };
  if (e?.validation) {
    const where = e.validationContext ?? 'body';
    const issues = e.validation.map((v) => {
      const extra = v.params?.additionalProperty
        ? ` '${String(v.params.additionalProperty)}'`
        : v.params?.missingProperty
          ? ` '${String(v.params.missingProperty)}'`
          : '';
      return { path: `${where}${v.instancePath || ''}`, message: `${v.message ?? 'is invalid'}${extra}` };
    });
    return {
      status: 400,
      message: `invalid ${where}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
      code: 'invalid',
    };
  }
  const status =
    typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status === 500)
    return {
      status,
      message: 'an unexpected error occurred; the server log has the details',
      issues: [],
      code: 'internal',
    };
  const messages: Record<string, string> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'the request body is too large',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content type: send application/json',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'the JSON body is empty',
    FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  };
  const message =
    messages[e.code] ??
    (e.message?.startsWith('Unexpected') || e instanceof SyntaxError
      ? `the body is not valid JSON: ${e.message}`
      : e.message);
  return { status, message, issues: [], code: e.code ?? 'error' };
}

/** RFC 9457 problem details */
export function sendProblem(req: FastifyRequest, reply: FastifyReply, f: HttpFailure) {
  return reply
    .status(f.status)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title: TITLES[f.status] ?? 'Error',
      status: f.status,
      detail: f.message,
      instance: req.url,
      ...(f.issues.length ? { errors: f.issues } : {}),
    });
}
