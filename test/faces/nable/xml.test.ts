import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { el, escapeText, renderDocument, renderElement, textContent } from '../../../src/faces/nable/xml.ts';

// N-sight's XML: text in CDATA when ISO-8859-1 holds it, else escaped with character references; the
// document is ISO-8859-1 bytes, one per character.

test('text: CDATA when ISO-8859-1 can hold it, references otherwise', () => {
  const cases: [string, string][] = [
    ['Alpha', '<![CDATA[Alpha]]>'],
    ['Zürich & <Co>', '<![CDATA[Zürich & <Co>]]>'],
    ['€ 5', '&#8364; 5'],
    ['東京', '&#26481;&#20140;'],
    ['\u{1F600}', '&#128512;'],
    ['a]]>b', 'a]]&gt;b'],
    ['bell\u0007', 'bell&#65533;'],
    ['tab\tand\nline', '<![CDATA[tab\tand\nline]]>'],
    ['\uFFFE', '&#65533;'],
    ['"q"', '<![CDATA["q"]]>'],
    ['€ & "q"', '&#8364; &amp; &quot;q&quot;'],
  ];
  for (const [text, xml] of cases) assert.equal(textContent(text), xml, JSON.stringify(text));
  assert.equal(escapeText('<a b="c">'), '&lt;a b=&quot;c&quot;&gt;');
});

test('elements: numbers plain, booleans 1/0, nothing as an empty element, attributes escaped', () => {
  assert.equal(
    renderElement(
      el('result', [el('id', 42), el('online', true), el('off', false), el('none', null), el('t', '')], {
        host: 'h"€',
        status: 'OK',
      }),
    ),
    '<result host="h&quot;&#8364;" status="OK"><id>42</id><online>1</online><off>0</off><none/><t/></result>',
  );
});

test('documents are ISO-8859-1 bytes a parser reads back to the same text', () => {
  const texts = ['Zürich', '€uro', '東京 \u{1F600}', 'a]]>b', 'ÿ', '<&>'];
  const bytes = renderDocument(
    el(
      'items',
      texts.map((t) => el('name', t)),
    ),
  );
  assert.ok(
    bytes.subarray(0, 50).toString('latin1').startsWith('<?xml version="1.0" encoding="ISO-8859-1"?>'),
  );
  assert.ok(bytes.includes(Buffer.from([0xfc])), 'ü is one byte');
  assert.ok(!bytes.includes(Buffer.from('ü', 'utf8')), 'no UTF-8 sequences');
  const doc = new XMLParser({ htmlEntities: true, parseTagValue: false, isArray: () => true }).parse(
    bytes.toString('latin1'),
  );
  assert.deepEqual(doc.items[0].name, texts);
});
