// Base scores from CVSS vectors: OSV gives only the vector, and the severity follows from the score.
import type { Cvss } from './model.ts';

type Metrics = Map<string, string>;

function metrics(parts: readonly string[]): Metrics | undefined {
  const m: Metrics = new Map();
  for (const part of parts) {
    const [k, v, extra] = part.split(':');
    if (k === undefined || v === undefined || extra !== undefined || k === '' || v === '') return undefined;
    m.set(k, v);
  }
  return m;
}

function pick(m: Metrics, key: string, weights: Readonly<Record<string, number>>): number | undefined {
  const v = m.get(key);
  return v === undefined ? undefined : weights[v];
}

/** CVSS 3.1 Roundup: the smallest number with one decimal that is >= x, robust to float noise. */
function roundUp(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

const CIA3 = { H: 0.56, L: 0.22, N: 0 };

function score3(m: Metrics): number | undefined {
  const av = pick(m, 'AV', { N: 0.85, A: 0.62, L: 0.55, P: 0.2 });
  const ac = pick(m, 'AC', { L: 0.77, H: 0.44 });
  const ui = pick(m, 'UI', { N: 0.85, R: 0.62 });
  const s = m.get('S');
  const changed = s === 'C';
  const pr = pick(m, 'PR', changed ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 });
  const c = pick(m, 'C', CIA3);
  const i = pick(m, 'I', CIA3);
  const a = pick(m, 'A', CIA3);
  if (av === undefined || ac === undefined || ui === undefined || pr === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined || (s !== 'U' && s !== 'C')) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return roundUp(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10));
}

const CIA2 = { N: 0, P: 0.275, C: 0.66 };

function score2(m: Metrics): number | undefined {
  const av = pick(m, 'AV', { L: 0.395, A: 0.646, N: 1 });
  const ac = pick(m, 'AC', { H: 0.35, M: 0.61, L: 0.71 });
  const au = pick(m, 'Au', { M: 0.45, S: 0.56, N: 0.704 });
  const c = pick(m, 'C', CIA2);
  const i = pick(m, 'I', CIA2);
  const a = pick(m, 'A', CIA2);
  if (av === undefined || ac === undefined || au === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined) return undefined;
  const impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
  const exploitability = 20 * av * ac * au;
  const f = impact === 0 ? 0 : 1.176;
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10) / 10;
}

/**
 * Reads a CVSS vector: `CVSS:3.1/AV:N/…` and `CVSS:3.0/…` are scored, CVSS 2 (`AV:N/AC:L/Au:N/…`,
 * optionally in parentheses) is scored, `CVSS:4.0/…` is kept without a score (its scoring needs the
 * full MacroVector table). Returns undefined for text that is not a vector.
 */
export function parseCvssVector(vector: string): Cvss | undefined {
  // bulk imports repeat the same few thousand vectors: score each once
  if (cache.has(vector)) return cache.get(vector);
  const result = scoreVector(vector);
  if (cache.size >= 10_000) cache.clear();
  cache.set(vector, result);
  return result;
}

const cache = new Map<string, Cvss | undefined>();

function scoreVector(vector: string): Cvss | undefined {
  const text = vector.trim().replace(/^\((.*)\)$/, '$1');
  const parts = text.split('/');
  const head = parts[0] ?? '';
  const v3 = /^CVSS:(3\.[01])$/.exec(head);
  if (v3) {
    const m = metrics(parts.slice(1));
    const score = m && score3(m);
    return score === undefined ? undefined : { score, vector: text, version: v3[1] };
  }
  if (head === 'CVSS:4.0') {
    return metrics(parts.slice(1)) ? { vector: text, version: '4.0' } : undefined;
  }
  const m = metrics(parts);
  const score = m && score2(m);
  return score === undefined ? undefined : { score, vector: text, version: '2.0' };
}

const RANK: Readonly<Record<string, number>> = { '3.1': 4, '3.0': 3, '4.0': 2, '2.0': 1 };

/** The score to show when several are given: scored CVSS 3 first, then 4, then 2; the highest within a version. */
export function preferredCvss(list: Iterable<Cvss | undefined>): Cvss | undefined {
  let best: Cvss | undefined;
  const rank = (c: Cvss) => (RANK[c.version ?? ''] ?? 0) + (c.score === undefined ? 0 : 10);
  for (const c of list) {
    if (!c) continue;
    if (best === undefined || rank(c) > rank(best)) best = c;
    else if (rank(c) === rank(best) && (c.score ?? 0) > (best.score ?? 0)) best = c;
  }
  return best;
}
