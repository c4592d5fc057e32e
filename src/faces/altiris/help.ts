import type { Method } from './table.ts';
import { esc } from './xml.ts';

// The service's help page, as ASMX shows one to a browser: the methods, or one method's parameters.

export function helpPage(methods: readonly Method[], op?: string): string {
  const head =
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>PatchWorkflowSvc Web Service</title></head><body><h1>PatchWorkflowSvc</h1>';
  const m = op ? methods.find((x) => x.name === op) : undefined;
  if (m)
    return `${head}<h2>${esc(m.name)}</h2><p>${esc(m.doc)}</p><table><tr><th>Parameter</th><th>Type</th></tr>${m.params
      .map((p) => `<tr><td>${esc(p.name)}</td><td>${p.type}</td></tr>`)
      .join(
        '',
      )}</table><p>Returns: ${m.returns}</p><p><a href="?WSDL">Service Description</a></p></body></html>`;
  return `${head}<p>The following operations are supported. For a formal definition, please review the <a href="?WSDL">Service Description</a>.</p><ul>${methods
    .map((x) => `<li><a href="?op=${encodeURIComponent(x.name)}">${esc(x.name)}</a><br>${esc(x.doc)}</li>`)
    .join('')}</ul></body></html>`;
}
