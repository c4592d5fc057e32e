// CISA's catalog of known exploited vulnerabilities (https://www.cisa.gov/known-exploited-vulnerabilities-catalog),
// in its JSON and CSV forms; both give the same fields.
import { csvRows } from './csv.ts';
import { CVE_ID, collect, type KevRecord, type ParseItem, type ParseResult } from './model.ts';
import {
  RecordError,
  child,
  isObject,
  isoDate,
  object,
  optArray,
  optString,
  parseJson,
  reqString,
  toText,
  describe,
  type JsonObject,
} from './read.ts';

const splitCwes = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');

/** A KEV entry from its fields (JSON keys, which are also the CSV header names). */
function kevRecord(o: JsonObject, pointer: string, cwes: string[]): KevRecord {
  const cve = reqString(o, 'cveID', pointer).trim();
  if (!CVE_ID.test(cve)) throw new RecordError(child(pointer, 'cveID'), `must be a CVE id, got "${cve}"`);
  const dueDate = optString(o, 'dueDate', pointer);
  const ransomware = optString(o, 'knownRansomwareCampaignUse', pointer);
  const description = optString(o, 'shortDescription', pointer);
  const requiredAction = optString(o, 'requiredAction', pointer);
  const notes = optString(o, 'notes', pointer);
  return {
    cve,
    vendor: reqString(o, 'vendorProject', pointer),
    product: reqString(o, 'product', pointer),
    name: reqString(o, 'vulnerabilityName', pointer),
    dateAdded: isoDate(reqString(o, 'dateAdded', pointer), child(pointer, 'dateAdded')),
    ...(dueDate !== undefined && { dueDate: isoDate(dueDate, child(pointer, 'dueDate')) }),
    ransomwareUse: ransomware?.trim().toLowerCase() === 'known' ? 'known' : 'unknown',
    ...(description !== undefined && { description }),
    ...(requiredAction !== undefined && { requiredAction }),
    ...(notes !== undefined && { notes }),
    cwes,
  };
}

function error(file: string, e: unknown, fallback: string): ParseItem<KevRecord> {
  const location = e instanceof RecordError ? e.pointer : fallback;
  return { ok: false, error: { file, location, message: e instanceof Error ? e.message : String(e) } };
}

/** Entries of `known_exploited_vulnerabilities.json` (`{ catalogVersion, vulnerabilities: [...] }`). */
export function* iterateKevJson(input: string | Uint8Array, file: string): Generator<ParseItem<KevRecord>> {
  const parsed = parseJson(toText(input));
  if (!parsed.ok) {
    yield { ok: false, error: { file, location: '', message: parsed.message } };
    return;
  }
  if (!isObject(parsed.value) || !Array.isArray(parsed.value.vulnerabilities)) {
    const got = isObject(parsed.value) ? describe(parsed.value.vulnerabilities) : describe(parsed.value);
    yield {
      ok: false,
      error: { file, location: '/vulnerabilities', message: `must be an array of entries, got ${got}` },
    };
    return;
  }
  const list = parsed.value.vulnerabilities as unknown[];
  for (let i = 0; i < list.length; i++) {
    const pointer = `/vulnerabilities/${i}`;
    try {
      const o = object(list[i], pointer);
      const cwes = optArray(o, 'cwes', pointer).map((c, j) => {
        if (typeof c !== 'string')
          throw new RecordError(child(child(pointer, 'cwes'), j), `must be a string, got ${describe(c)}`);
        return c;
      });
      yield { ok: true, record: kevRecord(o, pointer, cwes) };
    } catch (e) {
      yield error(file, e, pointer);
    }
  }
}

const KEV_COLUMNS = ['cveID', 'vendorProject', 'product', 'vulnerabilityName', 'dateAdded'];

/** Entries of `known_exploited_vulnerabilities.csv`; columns are found by their header names. */
export function* iterateKevCsv(input: string | Uint8Array, file: string): Generator<ParseItem<KevRecord>> {
  let header: string[] | undefined;
  for (const row of csvRows(toText(input))) {
    if (!header) {
      header = row.fields.map((f) => f.trim());
      const missing = KEV_COLUMNS.filter((c) => !header?.includes(c));
      if (missing.length > 0) {
        const message = `header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
        yield { ok: false, error: { file, location: `line ${row.line}`, message } };
        return;
      }
      continue;
    }
    const location = `line ${row.line}`;
    if (row.fields.length !== header.length) {
      const message = `has ${row.fields.length} fields, the header has ${header.length}`;
      yield { ok: false, error: { file, location, message } };
      continue;
    }
    const o: JsonObject = {};
    header.forEach((h, i) => (o[h] = row.fields[i]));
    try {
      yield { ok: true, record: kevRecord(o, '', splitCwes(o.cwes as string | undefined)) };
    } catch (e) {
      // CSV fields are named by column, on their line
      const column = e instanceof RecordError ? e.pointer.slice(1) : '';
      yield {
        ok: false,
        error: {
          file,
          location: column ? `${location}, column ${column}` : location,
          message: e instanceof Error ? e.message : String(e),
        },
      };
    }
  }
}

/** KEV JSON or CSV, told apart by the first character. */
export function iterateKev(input: string | Uint8Array, file: string): Generator<ParseItem<KevRecord>> {
  const text = toText(input);
  return text.trimStart().startsWith('{') ? iterateKevJson(text, file) : iterateKevCsv(text, file);
}

export function parseKev(input: string | Uint8Array, file: string): ParseResult<KevRecord> {
  return collect(iterateKev(input, file));
}
