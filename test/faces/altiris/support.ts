import type { FastifyInstance } from 'fastify';

// A small SOAP client for the tests: the three call styles of an ASMX service, written from the seed
// and the WSDL conventions (document/literal, http://tempuri.org/).

export const PATH = '/Altiris/PatchManagementCore/PatchWorkflowSvc.asmx';
export const NS = 'http://tempuri.org/';

export type Style = 'soap11' | 'soap12' | 'form';
export type Params = Record<string, string | boolean | number>;

export const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function envelope(style: 'soap11' | 'soap12', method: string, params: Params): string {
  const ns =
    style === 'soap11'
      ? 'http://schemas.xmlsoap.org/soap/envelope/'
      : 'http://www.w3.org/2003/05/soap-envelope';
  const body = Object.entries(params)
    .map(([k, v]) => `<${k}>${esc(String(v))}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ns}"><soap:Body><${method} xmlns="${NS}">${body}</${method}></soap:Body></soap:Envelope>`;
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, unknown>;
  /** the result's text (SOAP: the …Result element; form: the bare document's text), undefined on a fault */
  result?: string;
  /** the fault's message, when the answer is a fault */
  fault?: string;
  faultCode?: string;
}

const unesc = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export function read(
  style: Style,
  method: string,
  status: number,
  body: string,
  headers: Record<string, unknown>,
): Answer {
  const a: Answer = { status, body, headers };
  if (style === 'form') {
    if (status === 200) {
      const m = /<(string|boolean|int) xmlns="http:\/\/tempuri.org\/">([\s\S]*)<\/\1>/.exec(body);
      a.result = m ? unesc(m[2]!) : body === '' ? '' : undefined;
    } else a.fault = body;
    return a;
  }
  const fault = /<soap:Fault>/.test(body);
  if (fault) {
    a.faultCode = (/<faultcode>([^<]*)<\/faultcode>/.exec(body) ??
      /<soap:Value>([^<]*)<\/soap:Value>/.exec(body))?.[1];
    a.fault = unesc(
      (/<faultstring>([\s\S]*?)<\/faultstring>/.exec(body) ??
        /<soap:Text[^>]*>([\s\S]*?)<\/soap:Text>/.exec(body))?.[1] ?? '',
    );
    return a;
  }
  const r = new RegExp(`<${method}Result>([\\s\\S]*?)</${method}Result>`).exec(body);
  a.result = r ? unesc(r[1]!) : /<\w+Response[^>]*\/?>/.test(body) ? '' : undefined;
  return a;
}

/** one call in one style through app.inject */
export async function soapCall(
  app: FastifyInstance,
  auth: string | undefined,
  style: Style,
  method: string,
  params: Params = {},
): Promise<Answer> {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  let r;
  if (style === 'form') {
    const payload = new URLSearchParams(
      Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    r = await app.inject({
      method: 'POST',
      url: `${PATH}/${method}`,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload,
    });
  } else {
    r = await app.inject({
      method: 'POST',
      url: PATH,
      headers: {
        ...headers,
        ...(style === 'soap11'
          ? { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${NS}${method}"` }
          : { 'content-type': `application/soap+xml; charset=utf-8; action="${NS}${method}"` }),
      },
      payload: envelope(style, method, params),
    });
  }
  return read(style, method, r.statusCode, r.body, r.headers);
}

/**
 * The Altiris face answers bad input as ASMX does: a SOAP fault with HTTP 500 whose code says the client
 * is at fault (soap:Client, SOAP 1.2's soap:Sender), or for a form post HTTP 500 with the argument
 * exception's text. That is the product's contract, not a failure; a soap:Server fault still is one.
 */
export const isAltirisClientFault = (url: string, status: number, body: string) =>
  url.startsWith('/Altiris/') &&
  status === 500 &&
  (/<faultcode>soap:Client<\/faultcode>/.test(body) ||
    /<soap:Value>soap:Sender<\/soap:Value>/.test(body) ||
    body.startsWith('System.ArgumentException: '));
