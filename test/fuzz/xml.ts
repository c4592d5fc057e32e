import fc from 'fast-check';
import { nastyText } from './generators.ts';

// XML bodies (the Kaseya face reads `application/xml` and `text/xml`): well-formed documents over a
// record's field names, then what an XML reader must not trip on: entities and DTDs (billion laughs,
// external entities), character references to NUL, `__proto__` element names, nesting past the guard's
// depth, attributes, CDATA, and broken markup.

const escapeXml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** a text value of an element: mostly plain, sometimes nasty (raw, so it may break the markup) */
const elementText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 20 }).map(escapeXml), weight: 4 },
  { arbitrary: fc.integer({ min: -5, max: 200 }).map(String), weight: 2 },
  { arbitrary: nastyText.map((t) => escapeXml(t)), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '&#0;',
      '&#xD800;',
      '&amp;',
      '&lt;',
      '&unknown;',
      '&#1114112;',
      '<![CDATA[x]]>',
      '<!-- c -->',
      '&#x10FFFF;',
    ),
    weight: 1,
  },
);

/** a well-formed record: `<Root><Field>text</Field>…</Root>` over `fields` */
export function xmlRecord(fields: readonly string[]): fc.Arbitrary<string> {
  const names = fields.length ? fields : ['Name'];
  const element = fc.tuple(fc.constantFrom(...names), elementText).map(([n, t]) => `<${n}>${t}</${n}>`);
  return fc
    .tuple(
      fc.constantFrom('Org', 'MachineGroup', 'Request', 'x'),
      fc.array(element, { maxLength: 6 }),
      fc.boolean(),
    )
    .map(
      ([root, els, decl]) =>
        `${decl ? '<?xml version="1.0" encoding="utf-8"?>' : ''}<${root}>${els.join('')}</${root}>`,
    );
}

const laughs = (levels: number) => {
  let dtd = '<!ENTITY l0 "lol">';
  for (let i = 1; i <= levels; i++) dtd += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
  return `<?xml version="1.0"?><!DOCTYPE r [${dtd}]><r><OrgName>&l${levels};</OrgName></r>`;
};

/** documents an XML reader must refuse or read safely */
export const nastyXml: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    laughs(3),
    laughs(9),
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><OrgName>&x;</OrgName></r>',
    '<!DOCTYPE r SYSTEM "http://127.0.0.1:1/x.dtd"><r/>',
    '<!DOCTYPE r [<!ELEMENT r ANY>]><r><OrgName>a</OrgName></r>',
    '<r><__proto__><admin>true</admin></__proto__></r>',
    '<r><constructor><prototype><x>1</x></prototype></constructor></r>',
    '<__proto__><OrgName>x</OrgName></__proto__>',
    '<r><OrgName>a</OrgName><OrgName>b</OrgName></r>',
    '<r><OrgName attr="1" __proto__="x">a</OrgName></r>',
    '<r><OrgName>&#0;</OrgName></r>',
    '<r><OrgName>&#xD800;</OrgName></r>',
    '<r><OrgName><![CDATA[\u0000]]></OrgName></r>',
    '<r><OrgName>\u0000</OrgName></r>',
    '<r><CustomFields><CustomField><FieldName>a</FieldName></CustomField></CustomFields></r>',
    '<r><ContactInfo><__proto__>x</__proto__></ContactInfo></r>',
    '<r><Attributes><a><b><c>1</c></b></a></Attributes></r>',
    '<r>',
    '</r>',
    '<r><a></r></a>',
    '<r/><r/>',
    'text',
    '<',
    '<?xml version="1.0"?>',
    '<!-- only a comment -->',
    '<r xmlns:x="urn:x"><x:OrgName>a</x:OrgName></r>',
    '<r><OrgName>' + 'x'.repeat(100_000) + '</OrgName></r>',
    '<r>' + '<OrgName>a</OrgName>'.repeat(5_000) + '</r>',
  ),
  fc.constantFrom(65, 66, 500, 20_000).map((n) => '<a>'.repeat(n) + '</a>'.repeat(n)),
  fc.constantFrom(66, 20_000).map((n) => '<a>'.repeat(n)),
  fc.constantFrom(66, 5_000).map((n) => '<a/>'.repeat(n) + '<b x="' + '>'.repeat(n) + '"/>'),
  fc.string({ unit: 'binary', maxLength: 60 }).map((t) => `<r>${t}</r>`),
);

/** an XML body over a record's fields: well-formed (often) or nasty */
export function xmlBody(fields: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: xmlRecord(fields), weight: 3 }, { arbitrary: nastyXml, weight: 2 });
}
