// CVE JSON 5 records (https://github.com/CVEProject/cvelistV5): the CNA's description and CVSS, or
// CISA-ADP's when the CNA gives none.
import { preferredCvss } from './cvss.ts';
import {
  CVE_ID,
  collect,
  type CveRecord,
  type Cvss,
  type ParseItem,
  type ParseResult,
  type Severity,
} from './model.ts';
import {
  RecordError,
  child,
  object,
  optArray,
  optDateTime,
  optNumber,
  optObject,
  optString,
  parseJson,
  reqString,
  toText,
  unique,
  type JsonObject,
} from './read.ts';
import { maxSeverity, severityFromScore, severityFromText } from './severity.ts';

const METRIC_KEYS = ['cvssV3_1', 'cvssV3_0', 'cvssV4_0', 'cvssV2_0'] as const;

function readMetrics(container: JsonObject, pointer: string): { cvss: Cvss[]; words: Severity[] } {
  const cvss: Cvss[] = [];
  const words: Severity[] = [];
  optArray(container, 'metrics', pointer).forEach((m, i) => {
    const p = child(child(pointer, 'metrics'), i);
    const o = object(m, p);
    for (const key of METRIC_KEYS) {
      const c = optObject(o, key, p);
      if (!c) continue;
      const score = optNumber(c, 'baseScore', child(p, key));
      const vector = optString(c, 'vectorString', child(p, key));
      const version = optString(c, 'version', child(p, key));
      cvss.push({
        ...(score !== undefined && { score }),
        ...(vector && { vector }),
        ...(version && { version }),
      });
      words.push(severityFromText(optString(c, 'baseSeverity', child(p, key))));
    }
  });
  return { cvss, words };
}

/** One CVE JSON 5 record. Throws RecordError with a JSON pointer when malformed. */
export function cve5ToRecord(value: unknown, pointer = ''): CveRecord {
  const o = object(value, pointer);
  const mp = child(pointer, 'cveMetadata');
  const meta = object(o.cveMetadata, mp);
  const id = reqString(meta, 'cveId', mp);
  if (!CVE_ID.test(id)) throw new RecordError(child(mp, 'cveId'), `must be a CVE id, got "${id}"`);
  const state = optString(meta, 'state', mp);
  const published = optDateTime(meta, 'datePublished', mp);
  const modified = optDateTime(meta, 'dateUpdated', mp);
  const cp = child(pointer, 'containers');
  const containers = object(o.containers, cp);
  const cnaPointer = child(cp, 'cna');
  const cna = object(containers.cna, cnaPointer);

  const descriptions = optArray(cna, rejectedKey(state), cnaPointer).map((d, i) => {
    const p = child(child(cnaPointer, rejectedKey(state)), i);
    const dob = object(d, p);
    return { lang: optString(dob, 'lang', p) ?? '', value: optString(dob, 'value', p) };
  });
  const description = (descriptions.find((d) => d.lang.toLowerCase().startsWith('en')) ?? descriptions[0])
    ?.value;
  const title = optString(cna, 'title', cnaPointer);

  let { cvss, words } = readMetrics(cna, cnaPointer);
  if (cvss.length === 0) {
    // CISA-ADP (and other ADPs) fill in scores the CNA left out
    optArray(containers, 'adp', cp).forEach((a, i) => {
      const m = readMetrics(object(a, child(child(cp, 'adp'), i)), child(child(cp, 'adp'), i));
      cvss = [...cvss, ...m.cvss];
      words = [...words, ...m.words];
    });
  }
  const best = preferredCvss(cvss);
  const word = maxSeverity(words);
  const cwes = unique(
    optArray(cna, 'problemTypes', cnaPointer).flatMap((pt, i) => {
      const p = child(child(cnaPointer, 'problemTypes'), i);
      return optArray(object(pt, p), 'descriptions', p).flatMap((d, j) => {
        const dp = child(child(p, 'descriptions'), j);
        const cwe = optString(object(d, dp), 'cweId', dp);
        return cwe === undefined ? [] : [cwe];
      });
    }),
  );
  return {
    id,
    ...(title !== undefined && { title }),
    ...(description !== undefined && { description }),
    ...(best && { cvss: best }),
    severity: best?.score !== undefined ? severityFromScore(best.score) : word,
    ...(cwes.length > 0 && { cwes }),
    ...(published !== undefined && { published }),
    ...(modified !== undefined && { modified }),
    ...(state === 'REJECTED' && { rejected: true }),
  };
}

/** Rejected records keep their text in `rejectedReasons`. */
const rejectedKey = (state: string | undefined) =>
  state === 'REJECTED' ? 'rejectedReasons' : 'descriptions';

/** CVE records of a file holding one record or an array of them. */
export function* iterateCve5(input: string | Uint8Array, file: string): Generator<ParseItem<CveRecord>> {
  const parsed = parseJson(toText(input));
  if (!parsed.ok) {
    yield { ok: false, error: { file, location: '', message: parsed.message } };
    return;
  }
  const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  for (let i = 0; i < list.length; i++) {
    const pointer = Array.isArray(parsed.value) ? `/${i}` : '';
    try {
      yield { ok: true, record: cve5ToRecord(list[i], pointer) };
    } catch (e) {
      const location = e instanceof RecordError ? e.pointer : pointer;
      yield { ok: false, error: { file, location, message: e instanceof Error ? e.message : String(e) } };
    }
  }
}

export function parseCve5(input: string | Uint8Array, file: string): ParseResult<CveRecord> {
  return collect(iterateCve5(input, file));
}
