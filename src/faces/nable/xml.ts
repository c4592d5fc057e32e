// N-sight's answers are XML documents in ISO-8859-1 with text fields in CDATA sections (the Data
// Extraction API's examples). Every character of the document must be one ISO-8859-1 can write, so:
// - a text that ISO-8859-1 holds (and XML allows) goes into a CDATA section as it is;
// - any other text is written escaped, each character beyond ISO-8859-1 as a character reference
//   (`&#8364;` for €), so a client reads back exactly the text Patchline holds; characters XML 1.0
//   cannot carry at all (C0 controls other than tab, line feed and carriage return, U+FFFE, U+FFFF)
//   become U+FFFD (`&#65533;`), never mojibake, never an error.

/** a value of an element: text (in CDATA), a number or boolean (as digits), nothing (an empty element) */
export type XmlScalar = string | number | boolean | null | undefined;
/** an element: its name, its content (a value or child elements), its attributes */
export interface XmlElement {
  readonly name: string;
  readonly content: XmlScalar | readonly XmlElement[];
  readonly attrs?: Readonly<Record<string, string>>;
}

export const el = (
  name: string,
  content: XmlScalar | readonly XmlElement[],
  attrs?: Record<string, string>,
): XmlElement => (attrs ? { name, content, attrs } : { name, content });

/** the elements of a record, in its key order */
export const fields = (record: Readonly<Record<string, XmlScalar | readonly XmlElement[]>>): XmlElement[] =>
  Object.entries(record).map(([k, v]) => el(k, v));

const isXmlChar = (cp: number) =>
  cp === 0x9 ||
  cp === 0xa ||
  cp === 0xd ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff);

/** text escaped for element content or an attribute value, every character ISO-8859-1 lacks as a reference */
export function escapeText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (!isXmlChar(cp)) out += '&#65533;';
    else if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (cp > 0xff) out += `&#${cp};`;
    else out += ch;
  }
  return out;
}

/** whether a text can be written as it is inside a CDATA section of an ISO-8859-1 document */
function cdataSafe(text: string): boolean {
  if (text.includes(']]>')) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || !isXmlChar(c)) return false;
  }
  return true;
}

/** a text as N-sight writes it: in CDATA when it can be, else escaped with character references */
export const textContent = (text: string): string =>
  cdataSafe(text) ? `<![CDATA[${text}]]>` : escapeText(text);

function scalar(v: XmlScalar): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return v === '' ? '' : textContent(v);
}

export function renderElement(e: XmlElement): string {
  const attrs = Object.entries(e.attrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeText(v)}"`)
    .join('');
  const inner = Array.isArray(e.content)
    ? (e.content as readonly XmlElement[]).map(renderElement).join('')
    : scalar(e.content as XmlScalar);
  return inner === '' ? `<${e.name}${attrs}/>` : `<${e.name}${attrs}>${inner}</${e.name}>`;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="ISO-8859-1"?>';

/** the whole document as ISO-8859-1 bytes (every character is one byte: references stand for the rest) */
export function renderDocument(root: XmlElement): Buffer {
  return Buffer.from(`${XML_DECLARATION}\n${renderElement(root)}`, 'latin1');
}
