// Wildcard patterns of patch filters (Automox `filters: ["*KB2267602*"]`): `*` is any run of characters
// (also none), `?` exactly one character, everything else literal; matching is case-insensitive and
// covers the whole text, so `firefox` matches only "Firefox" while `*firefox*` matches "Mozilla Firefox 128".
//
// The matcher is the classic greedy two-pointer glob algorithm (backtrack only to the last `*`), which is
// linear-ish in the text: a regular expression built from `*a*a*a*b` can backtrack exponentially.

export type WildcardMatcher = (text: string) => boolean;

const fold = (s: string): string[] => [...s.toLowerCase()];

export function compileWildcard(pattern: string): WildcardMatcher {
  const p = fold(pattern);
  if (!p.includes('*') && !p.includes('?')) {
    const literal = p.join('');
    return (text) => text.toLowerCase() === literal;
  }
  return (text) => globMatch(p, fold(text));
}

function globMatch(p: readonly string[], t: readonly string[]): boolean {
  let pi = 0;
  let ti = 0;
  let star = -1; // position in p of the last `*` seen
  let mark = 0; // position in t where that `*` started matching
  while (ti < t.length) {
    const pc = p[pi];
    if (pc === '?' || (pc !== undefined && pc !== '*' && pc === t[ti])) {
      pi++;
      ti++;
    } else if (pc === '*') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

export const matchesWildcard = (pattern: string, text: string): boolean => compileWildcard(pattern)(text);

export const hasWildcard = (pattern: string): boolean => pattern.includes('*') || pattern.includes('?');
