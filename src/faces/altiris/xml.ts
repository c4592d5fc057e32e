import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { invalid } from '../../core/errors.ts';
import { MAX_BODY_DEPTH } from '../shared/guard.ts';

// Reading SOAP envelopes safely. A document type declaration is refused outright, whatever it declares:
// no DTD is ever read, so no external entity is fetched (XXE) and no entity is expanded (billion laughs),
// as ASMX's reader does with DtdProcessing.Prohibit. Only the five predefined entities and character
// references are understood. Nesting deeper than the input guard's limit is refused before parsing,
// without recursion (the parser recurses).

const DTD = /<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST/i;

const TAG =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[!?][^>]*>|<(\/?)[^\s/>]+(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/g;

/** the deepest nesting of elements, counted without recursion */
export function xmlDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (const m of text.matchAll(TAG)) {
    if (m[0].startsWith('<!') || m[0].startsWith('<?')) continue;
    if (m[1]) depth--;
    else if (!m[2]) max = Math.max(max, ++depth);
  }
  return max;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

/** the XML reader's refusal, as ASMX words it */
export const DTD_PROHIBITED =
  'For security reasons DTD is prohibited in this XML document: the request must not contain a DOCTYPE or ENTITY declaration';

/** Parses a document into plain objects (namespace prefixes removed); throws invalid on anything unsafe. */
export function parseXml(text: string): Record<string, unknown> {
  const t = text.replace(/^\uFEFF/, '');
  if (!t.trim()) throw invalid('the request body is empty: an XML document was expected');
  if (DTD.test(t)) throw invalid(DTD_PROHIBITED);
  if (xmlDepth(t) > MAX_BODY_DEPTH)
    throw invalid(`the XML document is nested too deeply (at most ${MAX_BODY_DEPTH} levels of elements)`);
  const valid = XMLValidator.validate(t);
  if (valid !== true)
    throw invalid(`the request is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let doc: unknown;
  try {
    doc = parser.parse(t);
  } catch (e) {
    throw invalid(`the XML document cannot be read: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw invalid('the XML document has no root element');
  return doc as Record<string, unknown>;
}

/** text escaped for element content and attribute values */
export const esc = (s: string) =>
  s
    // eslint-disable-next-line no-control-regex -- characters XML 1.0 cannot carry at all
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/** a string parameter holding XML (an NS schedule) is refused with a DTD, before any parser sees it */
export function refuseDtd(text: string, param: string): void {
  if (DTD.test(text))
    throw invalid(`${param}: ${DTD_PROHIBITED}`, [{ path: param, message: 'must not contain a DTD' }]);
}
