import { NS } from './envelope.ts';
import type { Method } from './table.ts';
import { esc } from './xml.ts';

// The WSDL ASMX publishes for the methods of the table (document/literal, wrapped): one element per
// method with its parameters in order, one `…Response` element with `…Result`; strings are optional
// (minOccurs 0), value types required; one port type, a SOAP 1.1 and a SOAP 1.2 binding whose
// soapAction is the namespace followed by the method name, and the service at the address called. As ASMX
// does when form posts are enabled, an HttpPost port type and binding describe the form post too
// (`…asmx/Name`, application/x-www-form-urlencoded, every parameter a string, the answer the bare
// `<string>`/`<boolean>`/`<int>` document of the global elements of the same names).

export const SERVICE = 'PatchWorkflowSvc';

const XSD: Record<string, string> = { string: 's:string', boolean: 's:boolean', int: 's:int' };
const minOccurs = (t: string) => (t === 'string' ? '0' : '1');

export function wsdl(methods: readonly Method[], address: string): string {
  const types = methods
    .map((m) => {
      const params = m.params
        .map(
          (p) =>
            `<s:element minOccurs="${minOccurs(p.type)}" maxOccurs="1" name="${p.name}" type="${XSD[p.type]}" />`,
        )
        .join('');
      const result =
        m.returns === 'void'
          ? ''
          : `<s:element minOccurs="${minOccurs(m.returns)}" maxOccurs="1" name="${m.name}Result" type="${XSD[m.returns]}" />`;
      return (
        `<s:element name="${m.name}"><s:complexType>${params ? `<s:sequence>${params}</s:sequence>` : ''}</s:complexType></s:element>` +
        `<s:element name="${m.name}Response"><s:complexType>${result ? `<s:sequence>${result}</s:sequence>` : ''}</s:complexType></s:element>`
      );
    })
    .join('');
  const messages = methods
    .map(
      (m) =>
        `<wsdl:message name="${m.name}SoapIn"><wsdl:part name="parameters" element="tns:${m.name}" /></wsdl:message>` +
        `<wsdl:message name="${m.name}SoapOut"><wsdl:part name="parameters" element="tns:${m.name}Response" /></wsdl:message>`,
    )
    .join('');
  const portOps = methods
    .map(
      (m) =>
        `<wsdl:operation name="${m.name}"><wsdl:documentation xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">${esc(m.doc)}</wsdl:documentation><wsdl:input message="tns:${m.name}SoapIn" /><wsdl:output message="tns:${m.name}SoapOut" /></wsdl:operation>`,
    )
    .join('');
  // the form post: its parameters are strings on the wire, the answer a bare document of a global element
  const globals = ['string', 'boolean', 'int']
    .map((t) =>
      t === 'string'
        ? `<s:element name="string" nillable="true" type="s:string" />`
        : `<s:element name="${t}" type="s:${t}" />`,
    )
    .join('');
  const postMessages = methods
    .map(
      (m) =>
        `<wsdl:message name="${m.name}HttpPostIn">${m.params.map((p) => `<wsdl:part name="${p.name}" type="s:string" />`).join('')}</wsdl:message>` +
        (m.returns === 'void'
          ? `<wsdl:message name="${m.name}HttpPostOut" />`
          : `<wsdl:message name="${m.name}HttpPostOut"><wsdl:part name="Body" element="tns:${m.returns}" /></wsdl:message>`),
    )
    .join('');
  const postOps = methods
    .map(
      (m) =>
        `<wsdl:operation name="${m.name}"><wsdl:documentation xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">${esc(m.doc)}</wsdl:documentation><wsdl:input message="tns:${m.name}HttpPostIn" /><wsdl:output message="tns:${m.name}HttpPostOut" /></wsdl:operation>`,
    )
    .join('');
  const postBinding =
    `<wsdl:binding name="${SERVICE}HttpPost" type="tns:${SERVICE}HttpPost"><http:binding verb="POST" />` +
    methods
      .map(
        (m) =>
          `<wsdl:operation name="${m.name}"><http:operation location="/${m.name}" /><wsdl:input><mime:content type="application/x-www-form-urlencoded" /></wsdl:input><wsdl:output>${m.returns === 'void' ? '' : '<mime:mimeXml part="Body" />'}</wsdl:output></wsdl:operation>`,
      )
      .join('') +
    `</wsdl:binding>`;
  const binding = (name: string, soap: 'soap' | 'soap12') =>
    `<wsdl:binding name="${name}" type="tns:${SERVICE}Soap"><${soap}:binding transport="http://schemas.xmlsoap.org/soap/http" />` +
    methods
      .map(
        (m) =>
          `<wsdl:operation name="${m.name}"><${soap}:operation soapAction="${NS}${m.name}" style="document" /><wsdl:input><${soap}:body use="literal" /></wsdl:input><wsdl:output><${soap}:body use="literal" /></wsdl:output></wsdl:operation>`,
      )
      .join('') +
    `</wsdl:binding>`;
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n` +
    `<wsdl:definitions xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tm="http://microsoft.com/wsdl/mime/textMatching/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:mime="http://schemas.xmlsoap.org/wsdl/mime/" xmlns:tns="${NS}" xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" targetNamespace="${NS}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">` +
    `<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="${NS}">${types}${globals}</s:schema></wsdl:types>` +
    messages +
    postMessages +
    `<wsdl:portType name="${SERVICE}Soap">${portOps}</wsdl:portType>` +
    `<wsdl:portType name="${SERVICE}HttpPost">${postOps}</wsdl:portType>` +
    binding(`${SERVICE}Soap`, 'soap') +
    binding(`${SERVICE}Soap12`, 'soap12') +
    postBinding +
    `<wsdl:service name="${SERVICE}">` +
    `<wsdl:port name="${SERVICE}Soap" binding="tns:${SERVICE}Soap"><soap:address location="${esc(address)}" /></wsdl:port>` +
    `<wsdl:port name="${SERVICE}Soap12" binding="tns:${SERVICE}Soap12"><soap12:address location="${esc(address)}" /></wsdl:port>` +
    `<wsdl:port name="${SERVICE}HttpPost" binding="tns:${SERVICE}HttpPost"><http:address location="${esc(address)}" /></wsdl:port>` +
    `</wsdl:service></wsdl:definitions>`
  );
}
