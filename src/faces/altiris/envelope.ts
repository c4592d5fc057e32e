import type { Method, ReturnType, Value } from './table.ts';
import { esc } from './xml.ts';

// The three ways an ASMX service is called, and how each answers: SOAP 1.1 and SOAP 1.2 envelopes and
// faults, and the HTTP form post answering a bare document (`<string xmlns="http://tempuri.org/">…`),
// or HTTP 500 with the exception's text, as ASMX does.

export const NS = 'http://tempuri.org/';
export const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

export type Style = 'soap11' | 'soap12' | 'form';

const XSD_TYPE: Record<Exclude<ReturnType, 'void'>, string> = {
  string: 'string',
  boolean: 'boolean',
  int: 'int',
};

export function renderValue(v: Value): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return esc(String(v));
}

const HEAD = '<?xml version="1.0" encoding="utf-8"?>';
const envelopeOpen = (style: 'soap11' | 'soap12') =>
  `${HEAD}<soap:Envelope xmlns:soap="${style === 'soap11' ? SOAP11 : SOAP12}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`;
const envelopeClose = '</soap:Body></soap:Envelope>';

/** the answer to a successful SOAP call */
export function soapResponse(style: 'soap11' | 'soap12', m: Method, v: Value | void): string {
  const result =
    m.returns === 'void' || v === undefined
      ? ''
      : `<${m.name}Result>${renderValue(v as Value)}</${m.name}Result>`;
  return `${envelopeOpen(style)}<${m.name}Response xmlns="${NS}">${result}</${m.name}Response>${envelopeClose}`;
}

/** the answer to a successful form post: the bare typed document, or nothing for a void method */
export function formResponse(m: Method, v: Value | void): string {
  if (m.returns === 'void' || v === undefined) return '';
  return `${HEAD}\n<${XSD_TYPE[m.returns]} xmlns="${NS}">${renderValue(v as Value)}</${XSD_TYPE[m.returns]}>`;
}

export type FaultSide = 'client' | 'server';

/** a SOAP fault in the caller's version: soap:Client / soap:Sender for bad input, soap:Server / soap:Receiver for failures */
export function soapFault(style: 'soap11' | 'soap12', side: FaultSide, message: string, actor = ''): string {
  if (style === 'soap11')
    return `${envelopeOpen(style)}<soap:Fault><faultcode>soap:${side === 'client' ? 'Client' : 'Server'}</faultcode><faultstring>${esc(message)}</faultstring>${actor ? `<faultactor>${esc(actor)}</faultactor>` : ''}<detail /></soap:Fault>${envelopeClose}`;
  return `${envelopeOpen(style)}<soap:Fault><soap:Code><soap:Value>soap:${side === 'client' ? 'Sender' : 'Receiver'}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">${esc(message)}</soap:Text></soap:Reason>${actor ? `<soap:Role>${esc(actor)}</soap:Role>` : ''}<soap:Detail /></soap:Fault>${envelopeClose}`;
}

/** a form post's failure: ASMX answers the exception's text, with the exception's type first */
export const formFault = (side: FaultSide, message: string) =>
  `${side === 'client' ? 'System.ArgumentException' : 'System.InvalidOperationException'}: ${message}`;

export const CONTENT_TYPE: Record<Style, string> = {
  soap11: 'text/xml; charset=utf-8',
  soap12: 'application/soap+xml; charset=utf-8',
  form: 'text/xml; charset=utf-8',
};

/** the call style of a request, from its Content-Type (and the path for form posts) */
export function styleOf(contentType: string | undefined, formPath: boolean): Style {
  const ct = (contentType ?? '').toLowerCase();
  if (formPath) return 'form';
  if (ct.startsWith('application/soap+xml')) return 'soap12';
  return 'soap11';
}
