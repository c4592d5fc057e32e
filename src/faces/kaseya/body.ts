import type { FastifyInstance } from 'fastify';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DomainError, invalid } from '../../core/errors.ts';
import { MAX_BODY_DEPTH } from '../shared/guard.ts';

// Request bodies of the Kaseya VSA dialect (seed 004, "JSON and XML"): JSON or XML, as the Content-Type
// says, read into typed fields with the seed's names. Only the wire format is checked here (a field's
// type, unknown fields); what a value may be (a blank name, an unknown parent) is the services' rule.

/**
 * JSON as the seed writes it: its own samples end objects with a trailing comma
 * (`{"OrgId":1, "OrgName":"NorthernLights",}`, "Update Organization"), which VSA's .NET JSON reader
 * accepts, so scripts copied from the guide send it. A comma directly before `}` or `]` is dropped;
 * anything else that is not JSON is refused. A leading byte-order mark (.NET writers add one) is skipped.
 */
export function parseKaseyaJson(text: string): unknown {
  const t = text.replace(/^\uFEFF/, '');
  if (!t.trim()) return undefined;
  try {
    return JSON.parse(t);
  } catch (first) {
    try {
      return JSON.parse(withoutTrailingCommas(t));
    } catch {
      throw invalid(`the body is not valid JSON: ${(first as Error).message}`);
    }
  }
}

function withoutTrailingCommas(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === ',') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j] as string)) j++;
      if (text[j] === '}' || text[j] === ']') continue;
    }
    out += c;
  }
  return out;
}

const xml = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
});

/** as deep as a JSON body may be (the input guard's limit), counting the root element */
const MAX_XML_DEPTH = MAX_BODY_DEPTH + 1;

// comments, CDATA, declarations and processing instructions are skipped; tags open or close a level
const XML_TAG =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[!?][^>]*>|<(\/?)[^\s/>]+(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/g;

/** the deepest nesting of elements, counted without recursion (the parser recurses and would overflow) */
function xmlDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (const m of text.matchAll(XML_TAG)) {
    if (m[0].startsWith('<!') || m[0].startsWith('<?')) continue;
    if (m[1]) depth--;
    else if (!m[2]) max = Math.max(max, ++depth);
  }
  return max;
}

/**
 * An XML body: one root element (its name is not checked: `<Org>`, `<MachineGroup>`), whose child
 * elements are the fields; every value arrives as text, which the field readers accept for numbers.
 * A repeated element becomes a list. Whatever the XML reader refuses (entities it will not expand,
 * `__proto__` names, nesting too deep) is the client's mistake: 400, never 500.
 */
export function parseKaseyaXml(text: string): unknown {
  if (!text.trim()) return undefined;
  if (xmlDepth(text) > MAX_XML_DEPTH)
    throw invalid(`the XML body is nested too deeply (at most ${MAX_XML_DEPTH} levels of elements)`);
  let doc: Record<string, unknown>;
  try {
    const valid = XMLValidator.validate(text);
    if (valid !== true)
      throw invalid(`the body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
    doc = xml.parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw invalid(`the XML body cannot be read: ${(e as Error).message}`);
  }
  const roots = Object.keys(doc);
  if (roots.length !== 1) throw invalid('the XML body needs exactly one root element');
  const root = doc[roots[0] as string];
  if (root === '') return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    throw invalid('the XML root element must hold the fields as child elements');
  return root;
}

/** the body parsers of the Kaseya face; its routes are registered in their own plugin scope */
export function kaseyaBodyParsers(app: FastifyInstance) {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseKaseyaJson(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseKaseyaXml(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

// ---- reading fields ---------------------------------------------------------------------------------

const bad = (field: string, message: string) =>
  invalid(`${field} ${message}`, [{ path: `/${field}`, message }]);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A body's fields, read one at a time by name with the type the seed's model gives them. */
export class Body {
  private constructor(
    private readonly fields: Record<string, unknown>,
    /** where these fields sit in the body, for messages: `ContactInfo/` */
    private readonly at: string,
  ) {}

  /** the body must be an object whose fields are all among `known` (a misspelt field is an error) */
  static of(body: unknown, known: readonly string[], what: string, at = ''): Body {
    if (body === undefined) throw invalid(`send the ${what} as a JSON or XML body`);
    if (!isRecord(body)) throw invalid(`the body must be one ${what} object`);
    const unknown = Object.keys(body).filter((k) => !known.includes(k));
    if (unknown.length)
      throw invalid(
        `${unknown.map((k) => `'${at}${k}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a field of this record: the ${what} has ${known.join(', ')}`,
        unknown.map((k) => ({ path: `/${at}${k}`, message: 'is not a field of this record' })),
      );
    return new Body(body, at);
  }

  private bad(name: string, message: string) {
    return bad(`${this.at}${name}`, message);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.fields, name);
  }

  /** text; null when sent as null; undefined when absent */
  text(name: string): string | null | undefined {
    const v = this.fields[name];
    if (v === undefined || v === null) return v;
    if (typeof v !== 'string') throw this.bad(name, 'must be text');
    return v;
  }

  /** a decimal id as a number or a string of digits; 0, '' and null mean none */
  id(name: string): number | null | undefined {
    const v = this.fields[name];
    if (v === undefined) return undefined;
    if (v === null || v === '' || v === 0 || v === '0') return null;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0)
      throw this.bad(name, 'must be an id: a whole number or a string of digits');
    if (!Number.isSafeInteger(n)) throw this.bad(name, `is not an id of this server (${String(v)})`);
    return n;
  }

  /** a number (or its text); '' and null mean none */
  number(name: string, opts: { integer?: boolean; min?: number } = {}): number | null | undefined {
    const v = this.fields[name];
    if (v === undefined) return undefined;
    if (v === null || v === '') return null;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw this.bad(name, 'must be a number');
    if (opts.integer && !Number.isInteger(n)) throw this.bad(name, 'must be a whole number');
    if (opts.min !== undefined && n < opts.min) throw this.bad(name, `must be at least ${opts.min}`);
    return n;
  }

  /** an object of text fields among `keys`; '' (an empty XML element) and null mean none */
  textObject(name: string, keys: readonly string[]): Record<string, string | null> | null | undefined {
    const v = this.fields[name];
    if (v === undefined) return undefined;
    if (v === null || v === '') return null;
    if (!isRecord(v)) throw this.bad(name, `must be an object with ${keys.join(', ')}`);
    const inner = Body.of(v, keys, name, `${this.at}${name}/`);
    return Object.fromEntries(Object.keys(v).map((k) => [k, inner.text(k) ?? null]));
  }

  /**
   * A list of objects of text fields. In XML a list is an element holding repeated elements
   * (`<CustomFields><CustomField>…</CustomField><CustomField>…</CustomField></CustomFields>`).
   */
  textObjects(name: string, keys: readonly string[]): Record<string, string | null>[] | null | undefined {
    let v = this.fields[name];
    if (v === undefined) return undefined;
    if (v === null || v === '') return null;
    if (isRecord(v) && Object.keys(v).length === 1) {
      const only = Object.values(v)[0];
      v = Array.isArray(only) ? only : [only];
    }
    if (!Array.isArray(v)) throw this.bad(name, `must be a list of objects with ${keys.join(', ')}`);
    return v.map((item, i) => {
      if (!isRecord(item)) throw this.bad(`${name}/${i}`, `must be an object with ${keys.join(', ')}`);
      const inner = Body.of(item, keys, `${name}/${i}`, `${this.at}${name}/${i}/`);
      return Object.fromEntries(Object.keys(item).map((k) => [k, inner.text(k) ?? null]));
    });
  }

  /** true or false (in XML the text `true` or `false`); '' and null mean none */
  bool(name: string): boolean | null | undefined {
    const v = this.fields[name];
    if (v === undefined) return undefined;
    if (v === null || v === '') return null;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw this.bad(name, 'must be true or false');
  }

  /** a free-form object (the seed's `Attributes`); '' and null mean none */
  object(name: string): Record<string, unknown> | null | undefined {
    const v = this.fields[name];
    if (v === undefined) return undefined;
    if (v === null || v === '') return null;
    if (!isRecord(v)) throw this.bad(name, 'must be an object');
    return v;
  }
}
