// CSAF 2.0 (https://docs.oasis-open.org/csaf/csaf/v2.0/): one document is one bulletin. Products are
// resolved through the product tree (branches, full_product_names, relationships, product_groups);
// `product_status` says per CVE which products are fixed, affected, not affected or under investigation.
import { preferredCvss } from './cvss.ts';
import {
  collect,
  type AffectedPackage,
  type Bulletin,
  type CveRecord,
  type Cvss,
  type PackageStatus,
  type ParseError,
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
  optNumber,
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

interface Product {
  readonly id: string;
  readonly name: string;
  readonly vendor?: string;
  /** the `product_name` branch above it */
  readonly productName?: string;
  /** the `product_version` or `product_version_range` branch */
  readonly version?: string;
  readonly arch?: string;
  readonly cpe?: string;
  readonly purl?: string;
}

interface Tree {
  readonly products: Map<string, Product>;
  readonly relationships: Map<string, { component: string; platform: string }>;
  readonly groups: Map<string, readonly string[]>;
}

interface BranchContext {
  vendor?: string;
  productName?: string;
  version?: string;
  arch?: string;
}

function readProduct(v: unknown, pointer: string, ctx: BranchContext): Product {
  const o = object(v, pointer);
  const helper = optObject(o, 'product_identification_helper', pointer);
  const hp = child(pointer, 'product_identification_helper');
  const cpe = helper && optString(helper, 'cpe', hp);
  const purl = helper && optString(helper, 'purl', hp);
  return {
    id: reqString(o, 'product_id', pointer),
    name: reqString(o, 'name', pointer),
    ...ctx,
    ...(cpe !== undefined && { cpe }),
    ...(purl !== undefined && { purl }),
  };
}

function walkBranches(
  list: readonly unknown[],
  pointer: string,
  ctx: BranchContext,
  out: Map<string, Product>,
): void {
  list.forEach((b, i) => {
    const p = child(pointer, i);
    const o = object(b, p);
    const category = reqString(o, 'category', p);
    const name = reqString(o, 'name', p);
    const next: BranchContext = { ...ctx };
    if (category === 'vendor') next.vendor = name;
    else if (category === 'product_name') next.productName = name;
    else if (category === 'product_version' || category === 'product_version_range') next.version = name;
    else if (category === 'architecture') next.arch = name;
    if (o.product !== undefined) {
      const product = readProduct(o.product, child(p, 'product'), next);
      out.set(product.id, product);
    }
    walkBranches(optArray(o, 'branches', p), child(p, 'branches'), next, out);
  });
}

function readTree(doc: JsonObject): Tree {
  const products = new Map<string, Product>();
  const relationships = new Map<string, { component: string; platform: string }>();
  const groups = new Map<string, readonly string[]>();
  const tree = optObject(doc, 'product_tree', '');
  if (!tree) return { products, relationships, groups };
  const tp = '/product_tree';
  walkBranches(optArray(tree, 'branches', tp), child(tp, 'branches'), {}, products);
  optArray(tree, 'full_product_names', tp).forEach((f, i) => {
    const product = readProduct(f, child(child(tp, 'full_product_names'), i), {});
    products.set(product.id, product);
  });
  optArray(tree, 'relationships', tp).forEach((r, i) => {
    const p = child(child(tp, 'relationships'), i);
    const o = object(r, p);
    const full = object(o.full_product_name, child(p, 'full_product_name'));
    const id = reqString(full, 'product_id', child(p, 'full_product_name'));
    relationships.set(id, {
      component: reqString(o, 'product_reference', p),
      platform: reqString(o, 'relates_to_product_reference', p),
    });
  });
  optArray(tree, 'product_groups', tp).forEach((g, i) => {
    const p = child(child(tp, 'product_groups'), i);
    const o = object(g, p);
    groups.set(reqString(o, 'group_id', p), stringArray(o, 'product_ids', p));
  });
  return { products, relationships, groups };
}

const RPM_ARCHES = new Set([
  'src',
  'noarch',
  'x86_64',
  'i386',
  'i586',
  'i686',
  'athlon',
  'ia64',
  'aarch64',
  'ppc',
  'ppc64',
  'ppc64le',
  's390',
  's390x',
  'armv7hl',
]);

export interface Nevra {
  readonly name: string;
  readonly epoch: string;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
}

/** `git-lfs-0:2.13.3-3.el8_6.1.x86_64` → name, epoch, version, release, arch (undefined if not that shape). */
export function parseNevra(text: string): Nevra | undefined {
  const dot = text.lastIndexOf('.');
  const arch = text.slice(dot + 1);
  if (dot < 0 || !RPM_ARCHES.has(arch)) return undefined;
  const nevr = text.slice(0, dot);
  const r = nevr.lastIndexOf('-');
  const v = nevr.lastIndexOf('-', r - 1);
  if (r <= 0 || v <= 0) return undefined;
  const ev = nevr.slice(v + 1, r);
  const colon = ev.indexOf(':');
  const epoch = colon >= 0 ? ev.slice(0, colon) : '0';
  if (!/^\d+$/.test(epoch)) return undefined;
  return { name: nevr.slice(0, v), epoch, version: ev.slice(colon + 1), release: nevr.slice(r + 1), arch };
}

/** Name and version of a package url (`pkg:rpm/redhat/git-lfs@2.13.3-3.el8_6.1?arch=x86_64&epoch=1`). */
function purlParts(
  purl: string,
): { type: string; name: string; version?: string; qualifiers: URLSearchParams } | undefined {
  const m = /^pkg:([a-z0-9.+-]+)\/([^@?#]+)(?:@([^?#]*))?(?:\?([^#]*))?/i.exec(purl);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const segments = m[2].split('/').map(decodeURIComponent);
  return {
    type: m[1].toLowerCase(),
    name: segments.at(-1) as string,
    ...(m[3] && { version: decodeURIComponent(m[3]) }),
    qualifiers: new URLSearchParams(m[4] ?? ''),
  };
}

interface Described {
  ecosystem: string;
  product?: string;
  name: string;
  version?: string;
  arch?: string;
  cpe?: string;
}

/** What a product id stands for in package terms: an RPM on a platform, a container image, a product version. */
function describeProduct(tree: Tree, id: string, pointer: string): Described {
  const rel = tree.relationships.get(id);
  const componentId = rel?.component ?? id;
  const component = tree.products.get(componentId);
  if (!component)
    throw new RecordError(pointer, `names product "${componentId}", which /product_tree does not define`);
  const platform = rel ? tree.products.get(rel.platform) : undefined;
  if (rel && !platform)
    throw new RecordError(pointer, `names platform "${rel.platform}", which /product_tree does not define`);
  const vendor = component.vendor ?? platform?.vendor;
  const base = {
    ...(platform && { product: platform.name }),
    ...((platform?.cpe ?? component.cpe) !== undefined && { cpe: platform?.cpe ?? component.cpe }),
  };
  const purl = component.purl === undefined ? undefined : purlParts(component.purl);
  const nevra = parseNevra(component.name) ?? parseNevra(component.id);
  if (nevra && (purl === undefined || purl.type === 'rpm')) {
    return {
      ecosystem: vendor ?? 'RPM',
      ...base,
      name: purl?.name ?? nevra.name,
      version: `${nevra.epoch}:${nevra.version}-${nevra.release}`,
      arch: nevra.arch,
    };
  }
  const ecosystem = vendor ?? 'CSAF';
  if (component.productName !== undefined) {
    return {
      ecosystem,
      ...base,
      name: component.productName,
      ...(component.version && { version: component.version }),
    };
  }
  // container images are named `repository:tag`
  const image = /^([a-z0-9][\w./-]*):([\w][\w.-]*)$/.exec(component.name);
  if (image?.[1] !== undefined && image[2] !== undefined) {
    return { ecosystem, ...base, name: image[1], version: image[2] };
  }
  return {
    ecosystem,
    ...base,
    name: component.name,
    ...(component.version && { version: component.version }),
  };
}

const STATUS: Readonly<Record<string, PackageStatus>> = {
  fixed: 'fixed',
  first_fixed: 'fixed',
  recommended: 'fixed',
  known_affected: 'affected',
  first_affected: 'affected',
  last_affected: 'affected',
  known_not_affected: 'not_affected',
  under_investigation: 'under_investigation',
};

interface Fix {
  kbs: string[];
  restartRequired?: string;
}

/** KB articles named by a vendor fix: `KB5034122` in the text or url, or Microsoft's bare `5034122` details. */
function kbsOf(details: string | undefined, url: string | undefined): string[] {
  const kbs = [...`${details ?? ''} ${url ?? ''}`.matchAll(/\bKB\s?(\d{6,8})\b/gi)].map((m) => `KB${m[1]}`);
  if (details !== undefined && /^\d{6,8}$/.test(details.trim()) && /microsoft/i.test(url ?? ''))
    kbs.push(`KB${details.trim()}`);
  return unique(kbs);
}

function expandIds(o: JsonObject, pointer: string, tree: Tree): string[] {
  const ids = stringArray(o, 'product_ids', pointer);
  stringArray(o, 'group_ids', pointer).forEach((g, i) => {
    const members = tree.groups.get(g);
    if (!members)
      throw new RecordError(
        child(child(pointer, 'group_ids'), i),
        `names group "${g}", which is not defined`,
      );
    ids.push(...members);
  });
  return ids;
}

interface VulnerabilityResult {
  cve?: CveRecord;
  packages: { key: string; entry: AffectedPackage }[];
  references: Reference[];
}

function readScores(v: JsonObject, pointer: string): Cvss[] {
  return optArray(v, 'scores', pointer).flatMap((s, i) => {
    const p = child(child(pointer, 'scores'), i);
    const o = object(s, p);
    return (['cvss_v3', 'cvss_v2'] as const).flatMap((k) => {
      const c = optObject(o, k, p);
      if (!c) return [];
      const score = optNumber(c, 'baseScore', child(p, k));
      const vector = optString(c, 'vectorString', child(p, k));
      const version = optString(c, 'version', child(p, k));
      return [
        { ...(score !== undefined && { score }), ...(vector && { vector }), ...(version && { version }) },
      ];
    });
  });
}

function noteText(notes: readonly unknown[], pointer: string, ...categories: string[]): string | undefined {
  const parsed = notes.map((n, i) => {
    const p = child(pointer, i);
    const o = object(n, p);
    return { category: optString(o, 'category', p), text: optString(o, 'text', p) };
  });
  for (const c of categories) {
    const hit = parsed.find((n) => n.category === c && n.text !== undefined);
    if (hit) return hit.text;
  }
  return undefined;
}

function readVulnerability(v: unknown, pointer: string, tree: Tree): VulnerabilityResult {
  const o = object(v, pointer);
  const cveId = optString(o, 'cve', pointer);
  const fixes = new Map<string, Fix>();
  const references: Reference[] = [];
  optArray(o, 'remediations', pointer).forEach((r, i) => {
    const p = child(child(pointer, 'remediations'), i);
    const ro = object(r, p);
    if (reqString(ro, 'category', p) !== 'vendor_fix') return;
    const details = optString(ro, 'details', p);
    const url = optString(ro, 'url', p);
    const restart = optObject(ro, 'restart_required', p);
    const restartRequired = restart && optString(restart, 'category', child(p, 'restart_required'));
    const kbs = kbsOf(details, url);
    if (url !== undefined) references.push({ url, type: 'vendor_fix' });
    for (const id of expandIds(ro, p, tree)) {
      const fix = fixes.get(id) ?? { kbs: [] };
      fix.kbs = unique([...fix.kbs, ...kbs]);
      if (restartRequired !== undefined) fix.restartRequired = restartRequired;
      fixes.set(id, fix);
    }
  });

  const packages: { key: string; entry: AffectedPackage }[] = [];
  const statuses = optObject(o, 'product_status', pointer);
  const sp = child(pointer, 'product_status');
  for (const category of Object.keys(statuses ?? {})) {
    const status = STATUS[category];
    if (status === undefined) continue;
    stringArray(statuses as JsonObject, category, sp).forEach((id, i) => {
      const d = describeProduct(tree, id, child(child(sp, category), i));
      const fix = fixes.get(id);
      const entry: AffectedPackage = {
        ecosystem: d.ecosystem,
        ...(d.product !== undefined && { product: d.product }),
        name: d.name,
        status,
        ...(status === 'fixed' && d.version !== undefined && { fixedVersion: d.version }),
        ...(status !== 'fixed' && d.version !== undefined && { versions: [d.version] }),
        ...(cveId !== undefined && { cves: [cveId] }),
        ...(d.arch !== undefined && { architectures: [d.arch] }),
        ...(fix && fix.kbs.length > 0 && { kbs: fix.kbs }),
        ...(d.cpe !== undefined && { cpe: d.cpe }),
        ...(fix?.restartRequired !== undefined && { restartRequired: fix.restartRequired }),
      };
      const key = [entry.ecosystem, entry.product, entry.name, status, entry.fixedVersion].join('\u0000');
      packages.push({ key, entry });
    });
  }

  if (cveId === undefined) return { packages, references };
  const notes = optArray(o, 'notes', pointer);
  const description = noteText(notes, child(pointer, 'notes'), 'description', 'summary', 'general');
  const title = optString(o, 'title', pointer);
  const cvss = preferredCvss(readScores(o, pointer));
  const impact: Severity[] = optArray(o, 'threats', pointer).map((t, i) => {
    const p = child(child(pointer, 'threats'), i);
    const to = object(t, p);
    return optString(to, 'category', p) === 'impact'
      ? severityFromText(optString(to, 'details', p))
      : 'unknown';
  });
  const word = maxSeverity(impact);
  const cweObject = optObject(o, 'cwe', pointer);
  const cwe = cweObject && optString(cweObject, 'id', child(pointer, 'cwe'));
  const published = optDateTime(o, 'release_date', pointer);
  const cve: CveRecord = {
    id: cveId,
    ...(title !== undefined && { title }),
    ...(description !== undefined && { description }),
    ...(cvss && { cvss }),
    severity: word !== 'unknown' ? word : severityFromScore(cvss?.score),
    ...(cwe !== undefined && { cwes: [cwe] }),
    ...(published !== undefined && { published }),
  };
  return { cve, packages, references };
}

/** Folds entries with the same ecosystem, product, name, status and fixed version. */
function mergePackages(list: readonly { key: string; entry: AffectedPackage }[]): AffectedPackage[] {
  const merged = new Map<string, AffectedPackage>();
  const join = (a?: readonly string[], b?: readonly string[]) =>
    a || b ? unique([...(a ?? []), ...(b ?? [])]) : undefined;
  for (const { key, entry } of list) {
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, entry);
      continue;
    }
    const versions = join(seen.versions, entry.versions);
    const cves = join(seen.cves, entry.cves);
    const architectures = join(seen.architectures, entry.architectures);
    const kbs = join(seen.kbs, entry.kbs);
    merged.set(key, {
      ...seen,
      ...(versions && { versions }),
      ...(cves && { cves }),
      ...(architectures && { architectures }),
      ...(kbs && { kbs }),
      ...(seen.restartRequired === undefined &&
        entry.restartRequired !== undefined && {
          restartRequired: entry.restartRequired,
        }),
    });
  }
  return [...merged.values()];
}

/**
 * The bulletin of a CSAF 2.0 document. A malformed vulnerability is reported with its JSON pointer and
 * left out; the rest of the document still imports. A file that is not a CSAF document (a ROLIE feed,
 * provider metadata) yields one error and no record.
 */
export function* iterateCsaf(input: string | Uint8Array, file: string): Generator<ParseItem<Bulletin>> {
  const fail = (location: string, message: string): ParseItem<Bulletin> => ({
    ok: false,
    error: { file, location, message },
  });
  const parsed = parseJson(toText(input));
  if (!parsed.ok) {
    yield fail('', parsed.message);
    return;
  }
  const errors: ParseError[] = [];
  let bulletin: Bulletin;
  try {
    const root = object(parsed.value, '');
    if (root.document === undefined)
      throw new RecordError('/document', 'is required: this is not a CSAF document');
    const doc = object(root.document, '/document');
    const version = reqString(doc, 'csaf_version', '/document');
    if (!version.startsWith('2.'))
      throw new RecordError('/document/csaf_version', `must be 2.x, got "${version}"`);
    const tracking = object(doc.tracking, '/document/tracking');
    const id = reqString(tracking, 'id', '/document/tracking');
    const title = reqString(doc, 'title', '/document');
    const published = isoDateTime(
      reqString(tracking, 'initial_release_date', '/document/tracking'),
      '/document/tracking/initial_release_date',
    );
    const modified = optDateTime(tracking, 'current_release_date', '/document/tracking');
    const aggregate = optObject(doc, 'aggregate_severity', '/document');
    const aggregateText = aggregate && optString(aggregate, 'text', '/document/aggregate_severity');
    const publisher = optObject(doc, 'publisher', '/document');
    const tree = readTree(root);
    // the vendor whose products are patched; the publisher (a CERT, "Red Hat Product Security") otherwise
    const vendor =
      [...tree.products.values()].find((p) => p.vendor !== undefined)?.vendor ??
      (publisher && optString(publisher, 'name', '/document/publisher'));
    const summary = noteText(
      optArray(doc, 'notes', '/document'),
      '/document/notes',
      'summary',
      'description',
      'general',
    );
    const references: Reference[] = optArray(doc, 'references', '/document').map((r, i) => {
      const p = `/document/references/${i}`;
      const o = object(r, p);
      const type = optString(o, 'category', p);
      const refSummary = optString(o, 'summary', p);
      return {
        url: reqString(o, 'url', p),
        ...(type && { type }),
        ...(refSummary && { summary: refSummary }),
      };
    });

    const cves: CveRecord[] = [];
    const cveIds: string[] = [];
    const packages: { key: string; entry: AffectedPackage }[] = [];
    optArray(root, 'vulnerabilities', '').forEach((v, i) => {
      try {
        const r = readVulnerability(v, `/vulnerabilities/${i}`, tree);
        if (r.cve) {
          cves.push(r.cve);
          cveIds.push(r.cve.id);
        }
        packages.push(...r.packages);
        for (const ref of r.references) if (!references.some((x) => x.url === ref.url)) references.push(ref);
      } catch (e) {
        const location = e instanceof RecordError ? e.pointer : `/vulnerabilities/${i}`;
        errors.push({ file, location, message: e instanceof Error ? e.message : String(e) });
      }
    });
    const cvss = preferredCvss(cves.map((c) => c.cvss));
    const aggregateSeverity = severityFromText(aggregateText);
    bulletin = {
      source: 'csaf',
      id,
      ...(vendor !== undefined && { vendor }),
      title,
      ...(summary !== undefined && { summary }),
      severity:
        aggregateSeverity !== 'unknown' ? aggregateSeverity : maxSeverity(cves.map((c) => c.severity)),
      ...(cvss && { cvss }),
      published,
      ...(modified !== undefined && { modified }),
      cves: unique(cveIds),
      aliases: [],
      supersedes: [],
      references,
      packages: mergePackages(packages),
      cveDetails: cves,
    };
  } catch (e) {
    yield fail(e instanceof RecordError ? e.pointer : '', e instanceof Error ? e.message : String(e));
    return;
  }
  for (const error of errors) yield { ok: false, error };
  yield { ok: true, record: bulletin };
}

export function parseCsaf(input: string | Uint8Array, file: string): ParseResult<Bulletin> {
  return collect(iterateCsaf(input, file));
}
