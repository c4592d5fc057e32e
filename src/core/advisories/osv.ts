// OSV (https://ossf.github.io/osv-schema/): single records, arrays, JSON lines and zip dumps such as
// https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip. One OSV record is one bulletin.
import { parseCvssVector, preferredCvss } from './cvss.ts';
import { normalizeOsvEcosystem, vendorOf } from './ecosystems.ts';
import {
  CVE_ID,
  collect,
  type AffectedPackage,
  type AffectedRange,
  type Bulletin,
  type CveRecord,
  type Cvss,
  type ParseItem,
  type ParseResult,
  type Reference,
  type Severity,
} from './model.ts';
import {
  RecordError,
  child,
  isoDateTime,
  object,
  optArray,
  optDateTime,
  optObject,
  optString,
  parseJson,
  reqString,
  stringArray,
  toText,
  unique,
  type JsonObject,
} from './read.ts';
import { maxSeverity, severityFromScore, severityFromText } from './severity.ts';
import { isZip, zipMembers } from './zip.ts';

/** `CVE-2019-0161` from `CVE-2019-0161`, `UBUNTU-CVE-2019-0161`, `DEBIAN-CVE-…`, `ALPINE-CVE-…`. */
export function cveOf(id: string): string | undefined {
  const m = /^(?:[A-Z]+-)?(CVE-\d{4}-\d{4,})$/.exec(id);
  return m?.[1];
}

function firstLine(text: string | undefined): string | undefined {
  const line = text
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (line === undefined) return undefined;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

interface Scores {
  cvss: Cvss[];
  words: Severity[];
}

/** OSV `severity` entries: CVSS vectors are scored, `Ubuntu` priorities are words. */
function readSeverity(list: readonly unknown[], pointer: string): Scores {
  const out: Scores = { cvss: [], words: [] };
  list.forEach((s, i) => {
    const p = child(pointer, i);
    const o = object(s, p);
    const type = reqString(o, 'type', p);
    const score = reqString(o, 'score', p);
    if (type.startsWith('CVSS_')) {
      const cvss = parseCvssVector(score);
      if (!cvss) throw new RecordError(child(p, 'score'), `is not a CVSS vector: "${score}"`);
      out.cvss.push(cvss);
    } else if (type === 'Ubuntu') {
      out.words.push(severityFromText(score));
    }
  });
  return out;
}

/** OSV events (sorted by the producer) as intervals. */
function readRanges(list: readonly unknown[], pointer: string): AffectedRange[] {
  const ranges: AffectedRange[] = [];
  list.forEach((r, i) => {
    const p = child(pointer, i);
    const o = object(r, p);
    const type = reqString(o, 'type', p);
    const repo = optString(o, 'repo', p);
    let open: { introduced: string } | undefined;
    optArray(o, 'events', p).forEach((e, j) => {
      const ep = child(child(p, 'events'), j);
      const ev = object(e, ep);
      const introduced = optString(ev, 'introduced', ep);
      const fixed = optString(ev, 'fixed', ep);
      const lastAffected = optString(ev, 'last_affected', ep);
      const limit = optString(ev, 'limit', ep);
      if (introduced !== undefined) {
        if (open) ranges.push({ type, introduced: open.introduced, ...(repo && { repo }) });
        open = { introduced };
      } else if (fixed !== undefined || lastAffected !== undefined) {
        const start = open?.introduced ?? '0';
        ranges.push({
          type,
          introduced: start,
          ...(fixed !== undefined && { fixed }),
          ...(lastAffected !== undefined && { lastAffected }),
          ...(repo && { repo }),
        });
        open = undefined;
      } else if (limit === undefined) {
        throw new RecordError(ep, 'must have one of introduced, fixed, last_affected or limit');
      }
    });
    if (open) ranges.push({ type, introduced: open.introduced, ...(repo && { repo }) });
  });
  return ranges;
}

/** Ubuntu's `database_specific.cves_map`: per-CVE severities of a USN. */
function readCvesMap(o: JsonObject | undefined, pointer: string): CveRecord[] {
  const map = o && optObject(o, 'cves_map', pointer);
  if (!map) return [];
  const p = child(pointer, 'cves_map');
  return optArray(map, 'cves', p).map((c, i) => {
    const cp = child(child(p, 'cves'), i);
    const co = object(c, cp);
    const id = reqString(co, 'id', cp);
    const scores = readSeverity(optArray(co, 'severity', cp), child(cp, 'severity'));
    const cvss = preferredCvss(scores.cvss);
    const word = maxSeverity(scores.words);
    return {
      id,
      severity: word !== 'unknown' ? word : severityFromScore(cvss?.score),
      ...(cvss && { cvss }),
    };
  });
}

function readBinaries(o: JsonObject | undefined, pointer: string): string[] {
  if (!o) return [];
  return optArray(o, 'binaries', pointer).flatMap((b, i) => {
    if (typeof b === 'string') return [b];
    const bp = child(child(pointer, 'binaries'), i);
    const name = optString(object(b, bp), 'binary_name', bp);
    return name === undefined ? [] : [name];
  });
}

/** Red Hat's OSV records carry the rating only as a reference to its classification page. */
function redHatRating(refs: readonly Reference[]): Severity {
  for (const r of refs) {
    const m = /access\.redhat\.com\/security\/updates\/classification\/#(\w+)/.exec(r.url);
    if (m) return severityFromText(m[1]);
  }
  return 'unknown';
}

function readAffected(list: readonly unknown[], pointer: string, cveDetails: CveRecord[]): AffectedPackage[] {
  const packages: AffectedPackage[] = [];
  list.forEach((a, i) => {
    const p = child(pointer, i);
    const o = object(a, p);
    const pkg = optObject(o, 'package', p);
    cveDetails.push(...readCvesMap(optObject(o, 'database_specific', p), child(p, 'database_specific')));
    if (!pkg) return; // a GIT-only entry names a repository, not a package
    const pp = child(p, 'package');
    const { ecosystem, product } = normalizeOsvEcosystem(reqString(pkg, 'ecosystem', pp));
    const name = reqString(pkg, 'name', pp);
    const purl = optString(pkg, 'purl', pp);
    const ranges = readRanges(optArray(o, 'ranges', p), child(p, 'ranges'));
    // the last fix of a version-ordered range: OSV sorts events, so that is the newest branch's fix
    const fixedVersion = ranges.filter((r) => r.type !== 'GIT' && r.fixed !== undefined).at(-1)?.fixed;
    const binaries = readBinaries(optObject(o, 'ecosystem_specific', p), child(p, 'ecosystem_specific'));
    packages.push({
      ecosystem,
      ...(product !== undefined && { product }),
      name,
      status: fixedVersion === undefined ? 'affected' : 'fixed',
      ...(fixedVersion !== undefined && { fixedVersion }),
      ...(ranges.length > 0 && { ranges }),
      ...(binaries.length > 0 && { binaries }),
      ...(purl !== undefined && { purl }),
    });
  });
  return packages;
}

/** One OSV record as a bulletin. Throws RecordError (with a JSON pointer below `pointer`) when malformed. */
export function osvToBulletin(value: unknown, pointer = ''): Bulletin {
  const o = object(value, pointer);
  const id = reqString(o, 'id', pointer);
  const modified = isoDateTime(reqString(o, 'modified', pointer), child(pointer, 'modified'));
  const published = optDateTime(o, 'published', pointer);
  const withdrawn = optDateTime(o, 'withdrawn', pointer);
  const summary = optString(o, 'summary', pointer);
  const details = optString(o, 'details', pointer);
  const related = [
    ...stringArray(o, 'aliases', pointer),
    ...stringArray(o, 'upstream', pointer),
    ...stringArray(o, 'related', pointer),
  ];
  const scores = readSeverity(optArray(o, 'severity', pointer), child(pointer, 'severity'));
  const references: Reference[] = optArray(o, 'references', pointer).map((r, i) => {
    const p = child(child(pointer, 'references'), i);
    const ro = object(r, p);
    const type = optString(ro, 'type', p);
    return { url: reqString(ro, 'url', p), ...(type !== undefined && { type }) };
  });
  const cveDetails: CveRecord[] = [];
  const packages = readAffected(optArray(o, 'affected', pointer), child(pointer, 'affected'), cveDetails);
  const dbSpecific = optObject(o, 'database_specific', pointer);
  const ghsaSeverity = dbSpecific && optString(dbSpecific, 'severity', child(pointer, 'database_specific'));

  const cvss = preferredCvss(scores.cvss);
  const cves = unique(
    [id, ...related, ...cveDetails.map((c) => c.id)].map(cveOf).filter((c) => c !== undefined),
  );
  const vendorWord = maxSeverity([...scores.words, severityFromText(ghsaSeverity), redHatRating(references)]);
  const severity =
    vendorWord !== 'unknown'
      ? vendorWord
      : maxSeverity([...cveDetails.map((c) => c.severity), severityFromScore(cvss?.score)]);

  // a per-CVE record (CVE-…, UBUNTU-CVE-…, DEBIAN-CVE-…) describes its CVE
  const ownCve = cveOf(id);
  if (ownCve !== undefined && cveDetails.every((c) => c.id !== ownCve) && cves.length === 1) {
    const description = details ?? summary;
    cveDetails.push({
      id: ownCve,
      ...(description !== undefined && { description: description.trim() }),
      severity,
      ...(cvss && { cvss }),
      ...(published !== undefined && { published }),
      modified,
    });
  }
  const vendor = vendorOf(id, packages[0]?.ecosystem);
  return {
    source: 'osv',
    id,
    ...(vendor !== undefined && { vendor }),
    title: summary?.trim() ?? firstLine(details) ?? id,
    ...(details !== undefined && { summary: details.trim() }),
    severity,
    ...(cvss && { cvss }),
    ...(published !== undefined && { published }),
    modified,
    ...(withdrawn !== undefined && { withdrawn }),
    cves,
    aliases: unique(related.filter((r) => !CVE_ID.test(r) && r !== id)),
    supersedes: [],
    references,
    packages,
    cveDetails: unique(cveDetails.map((c) => c.id)).map(
      (cid) => cveDetails.find((c) => c.id === cid) as CveRecord,
    ),
  };
}

function item(value: unknown, file: string, pointer: string, entry?: string): ParseItem<Bulletin> {
  try {
    return { ok: true, record: osvToBulletin(value, pointer) };
  } catch (e) {
    const location = e instanceof RecordError ? e.pointer : pointer;
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, error: { file, ...(entry !== undefined && { entry }), location, message } };
  }
}

/** Records of one JSON document: an object is one record, an array holds records. */
function* fromDocument(value: unknown, file: string, entry?: string): Generator<ParseItem<Bulletin>> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield item(value[i], file, `/${i}`, entry);
  } else {
    yield item(value, file, '', entry);
  }
}

function* fromText(text: string, file: string, entry?: string): Generator<ParseItem<Bulletin>> {
  const whole = parseJson(text);
  if (whole.ok) {
    yield* fromDocument(whole.value, file, entry);
    return;
  }
  // JSON lines: one record per line (each line parses on its own)
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  const firstParsed = first >= 0 ? parseJson(lines[first] as string) : undefined;
  if (entry !== undefined || !firstParsed?.ok) {
    yield {
      ok: false,
      error: { file, ...(entry !== undefined && { entry }), location: '', message: whole.message },
    };
    return;
  }
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const parsed = parseJson(line);
    if (parsed.ok) {
      const one = item(parsed.value, file, '');
      yield one.ok
        ? one
        : {
            ok: false,
            error: {
              ...one.error,
              location: `line ${i + 1}${one.error.location === '' ? '' : ` ${one.error.location}`}`,
            },
          };
    } else yield { ok: false, error: { file, location: `line ${i + 1}`, message: parsed.message } };
  }
}

/**
 * Bulletins of an OSV input, one at a time: a record, an array of records, JSON lines, or the bytes of a
 * zip dump (members are inflated lazily, so a 100,000-record dump never exists decompressed at once).
 * `file` names the input in errors.
 */
export function* iterateOsv(input: string | Uint8Array, file: string): Generator<ParseItem<Bulletin>> {
  if (typeof input !== 'string' && isZip(input)) {
    let members;
    try {
      members = zipMembers(input);
      for (const member of members) {
        if (!member.name.toLowerCase().endsWith('.json')) continue;
        let text: string;
        try {
          text = toText(member.read());
        } catch (e) {
          const message = `cannot read archive member: ${e instanceof Error ? e.message : String(e)}`;
          yield { ok: false, error: { file, entry: member.name, location: '', message } };
          continue;
        }
        yield* fromText(text, file, member.name);
      }
    } catch (e) {
      yield { ok: false, error: { file, location: '', message: e instanceof Error ? e.message : String(e) } };
    }
    return;
  }
  yield* fromText(toText(input), file);
}

/** All bulletins of an OSV input with the errors of the records that could not be read. */
export function parseOsv(input: string | Uint8Array, file: string): ParseResult<Bulletin> {
  return collect(iterateOsv(input, file));
}
