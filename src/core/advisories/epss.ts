// FIRST EPSS daily scores (https://www.first.org/epss/data_stats): a comment line
// `#model_version:v2023.03.01,score_date:2023-03-25T00:00:00+0000`, the header `cve,epss,percentile`,
// then one line per CVE (about 300,000). Lines are read one at a time.
import { CVE_ID, collect, type EpssRecord, type ParseItem, type ParseResult } from './model.ts';
import { gunzipSync } from 'fflate';
import { toText } from './read.ts';

function* lines(text: string): Generator<[number, string]> {
  let start = 0;
  let n = 1;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    yield [n++, text.slice(start, end).replace(/\r$/, '')];
    start = end + 1;
  }
}

function probability(text: string | undefined, what: string): number {
  const t = (text ?? '').trim();
  const v = Number(t);
  if (t === '' || !Number.isFinite(v) || v < 0 || v > 1)
    throw new Error(`${what} must be a number from 0 to 1, got "${text ?? ''}"`);
  return v;
}

/** Scores of an EPSS file, as text or bytes (the published `epss_scores-YYYY-MM-DD.csv.gz` is unzipped here). */
export function* iterateEpss(input: string | Uint8Array, file: string): Generator<ParseItem<EpssRecord>> {
  if (typeof input !== 'string' && input[0] === 0x1f && input[1] === 0x8b) {
    try {
      input = gunzipSync(input);
    } catch (e) {
      yield {
        ok: false,
        error: {
          file,
          location: '',
          message: `not a valid gzip file: ${e instanceof Error ? e.message : String(e)}`,
        },
      };
      return;
    }
  }
  let date: string | undefined;
  let modelVersion: string | undefined;
  let columns: { cve: number; epss: number; percentile: number } | undefined;
  for (const [n, line] of lines(toText(input))) {
    if (line.trim() === '') continue;
    const location = `line ${n}`;
    if (line.startsWith('#')) {
      for (const part of line.slice(1).split(',')) {
        const [key, ...rest] = part.split(':');
        const value = rest.join(':').trim();
        if (key?.trim() === 'model_version') modelVersion = value;
        if (key?.trim() === 'score_date') {
          const m = /^(\d{4}-\d{2}-\d{2})/.exec(value);
          if (m) date = m[1];
          else
            yield {
              ok: false,
              error: { file, location, message: `score_date must start with YYYY-MM-DD, got "${value}"` },
            };
        }
      }
      continue;
    }
    const fields = line.split(',').map((f) => f.trim());
    if (!columns) {
      const cve = fields.indexOf('cve');
      const epss = fields.indexOf('epss');
      const percentile = fields.indexOf('percentile');
      if (cve < 0 || epss < 0 || percentile < 0) {
        const message = `header must name the columns cve, epss and percentile, got "${line}"`;
        yield { ok: false, error: { file, location, message } };
        return;
      }
      columns = { cve, epss, percentile };
      continue;
    }
    try {
      const cve = fields[columns.cve] ?? '';
      if (!CVE_ID.test(cve)) throw new Error(`cve must be a CVE id, got "${cve}"`);
      const record: EpssRecord = {
        cve,
        probability: probability(fields[columns.epss], 'epss'),
        percentile: probability(fields[columns.percentile], 'percentile'),
        ...(date !== undefined && { date }),
        ...(modelVersion !== undefined && { modelVersion }),
      };
      yield { ok: true, record };
    } catch (e) {
      yield { ok: false, error: { file, location, message: e instanceof Error ? e.message : String(e) } };
    }
  }
}

export function parseEpss(input: string | Uint8Array, file: string): ParseResult<EpssRecord> {
  return collect(iterateEpss(input, file));
}
