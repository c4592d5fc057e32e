// The Debian security tracker's JSON (https://security-tracker.debian.org/tracker/data/json):
// package → CVE → releases{status, fixed_version, urgency}. The tracker has no advisory ids of its own,
// so each CVE becomes one bulletin `DEBIAN-CVE-…` (the id Debian's OSV feed gives the same data),
// with one package entry per source package and release.
import { debianEcosystem } from './ecosystems.ts';
import {
  CVE_ID,
  collect,
  type AffectedPackage,
  type Bulletin,
  type PackageStatus,
  type ParseItem,
  type ParseResult,
  type Severity,
} from './model.ts';
import { RecordError, child, isObject, object, optString, parseJson, toText, describe } from './read.ts';
import { maxSeverity, severityFromText } from './severity.ts';

interface Draft {
  cve: string;
  description?: string;
  packages: AffectedPackage[];
  severities: Severity[];
}

function releaseEntry(
  pkg: string,
  codename: string,
  value: unknown,
  pointer: string,
): [AffectedPackage, Severity] {
  const o = object(value, pointer);
  const status = optString(o, 'status', pointer);
  const fixed = optString(o, 'fixed_version', pointer);
  const urgency = optString(o, 'urgency', pointer);
  let state: PackageStatus;
  if (status === 'resolved') {
    // fixed_version "0" means the release never shipped a vulnerable version
    if (fixed === undefined)
      throw new RecordError(child(pointer, 'fixed_version'), 'is required when status is resolved');
    state = fixed === '0' ? 'not_affected' : 'fixed';
  } else if (status === 'open') state = 'affected';
  else if (status === 'undetermined') state = 'under_investigation';
  else
    throw new RecordError(
      child(pointer, 'status'),
      status === undefined ? 'is required' : `must be resolved, open or undetermined, got "${status}"`,
    );
  const entry: AffectedPackage = {
    ecosystem: debianEcosystem(codename),
    name: pkg,
    status: state,
    ...(state === 'fixed' && { fixedVersion: fixed }),
  };
  return [entry, severityFromText(urgency)];
}

/**
 * Bulletins of a tracker JSON file, one per CVE, in first-seen order. The whole document is one JSON
 * object, so it is parsed at once; records are then built per CVE. Entries keyed by `TEMP-…` (issues
 * without a CVE id yet) are skipped: the catalog keys vulnerabilities by CVE.
 */
export function* iterateDebianTracker(
  input: string | Uint8Array,
  file: string,
): Generator<ParseItem<Bulletin>> {
  const parsed = parseJson(toText(input));
  if (!parsed.ok) {
    yield { ok: false, error: { file, location: '', message: parsed.message } };
    return;
  }
  if (!isObject(parsed.value)) {
    const message = `must be an object of source packages, got ${describe(parsed.value)}`;
    yield { ok: false, error: { file, location: '', message } };
    return;
  }
  const drafts = new Map<string, Draft>();
  for (const [pkg, cves] of Object.entries(parsed.value)) {
    const pp = child('', pkg);
    if (!isObject(cves)) {
      yield {
        ok: false,
        error: { file, location: pp, message: `must be an object of CVEs, got ${describe(cves)}` },
      };
      continue;
    }
    for (const [cve, value] of Object.entries(cves)) {
      if (!CVE_ID.test(cve)) continue;
      const cp = child(pp, cve);
      try {
        const o = object(value, cp);
        const releases = object(o.releases, child(cp, 'releases'));
        const description = optString(o, 'description', cp);
        const entries = Object.entries(releases).map(([codename, r]) =>
          releaseEntry(pkg, codename, r, child(child(cp, 'releases'), codename)),
        );
        const draft = drafts.get(cve) ?? { cve, packages: [], severities: [] };
        if (draft.description === undefined && description !== undefined) draft.description = description;
        for (const [entry, severity] of entries) {
          draft.packages.push(entry);
          draft.severities.push(severity);
        }
        drafts.set(cve, draft);
      } catch (e) {
        const location = e instanceof RecordError ? e.pointer : cp;
        yield { ok: false, error: { file, location, message: e instanceof Error ? e.message : String(e) } };
      }
    }
  }
  for (const d of drafts.values()) {
    const severity = maxSeverity(d.severities);
    yield {
      ok: true,
      record: {
        source: 'debian-tracker',
        id: `DEBIAN-${d.cve}`,
        vendor: 'Debian',
        title: `${d.cve} in ${[...new Set(d.packages.map((p) => p.name))].join(', ')}`,
        ...(d.description !== undefined && { summary: d.description }),
        severity,
        cves: [d.cve],
        aliases: [],
        supersedes: [],
        references: [{ url: `https://security-tracker.debian.org/tracker/${d.cve}`, type: 'ADVISORY' }],
        packages: d.packages,
        cveDetails: [
          { id: d.cve, ...(d.description !== undefined && { description: d.description }), severity },
        ],
      },
    };
  }
}

export function parseDebianTracker(input: string | Uint8Array, file: string): ParseResult<Bulletin> {
  return collect(iterateDebianTracker(input, file));
}
