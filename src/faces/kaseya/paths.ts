// Route matching that ignores case under the Kaseya prefix, as VSA on IIS does (`/API/v1.0/System/Orgs`
// is `/api/v1.0/system/orgs`; the seed's own samples write `/API/v1.0/...` and `/AssetMgmt/Assets`).
// Done once, before routing: the face records every route it registers (rememberRoute, from its onRoute
// hook), and the server's `rewriteUrl` hands each request's URL to canonicalUrl, which spells the
// literal segments as the matching route does. Path parameters keep their case (a new agent name, a
// custom field's name), and a URL that no Kaseya route matches is left as it is.

type Segment = { readonly literal: string } | { readonly param: true } | { readonly rest: true };

const routes: Segment[][] = [];
const known = new Set<string>();
const prefixes = new Set<string>();

const segmentsOf = (path: string) => path.split('/').slice(1);

/** records a route of the face (its full URL, prefix included) and the face's prefix */
export function rememberRoute(url: string, prefix: string) {
  if (prefix) prefixes.add(prefix.toLowerCase());
  if (known.has(url)) return;
  known.add(url);
  routes.push(
    segmentsOf(url).map((s): Segment =>
      s === '*' ? { rest: true } : s.startsWith(':') ? { param: true } : { literal: s },
    ),
  );
}

/** how well a route matches the path's segments: the number of literal segments, or -1 for no match */
function score(route: readonly Segment[], parts: readonly string[]): number {
  let literals = 0;
  for (let i = 0; i < route.length; i++) {
    const s = route[i] as Segment;
    if ('rest' in s) return literals;
    const p = parts[i];
    if (p === undefined) return -1;
    if ('literal' in s) {
      if (s.literal.toLowerCase() !== p.toLowerCase()) return -1;
      literals++;
    } else if (p === '') return -1;
  }
  return route.length === parts.length ? literals : -1;
}

/** the URL with the literal segments of the best-matching Kaseya route in that route's spelling */
export function canonicalUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const lower = path.toLowerCase();
  let inside = false;
  for (const p of prefixes) if (lower === p || lower.startsWith(`${p}/`)) inside = true;
  if (!inside) return url;
  const parts = segmentsOf(path);
  let best: readonly Segment[] | undefined;
  let bestScore = -1;
  for (const r of routes) {
    const s = score(r, parts);
    if (s > bestScore) [best, bestScore] = [r, s];
  }
  if (!best) return url;
  const fixed = parts.map((p, i) => {
    const s = best[i];
    return s && 'literal' in s ? s.literal : p;
  });
  const canonical = `/${fixed.join('/')}`;
  return canonical === path ? url : canonical + (q < 0 ? '' : url.slice(q));
}
