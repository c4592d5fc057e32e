import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// Bodies are validated strictly (no type coercion, unknown fields rejected where a schema says so);
// query strings and path parameters are text, so they are coerced to the schema's types.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;
const common = { allErrors: false, useDefaults: true, removeAdditional: false, strict: false } as const;
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
