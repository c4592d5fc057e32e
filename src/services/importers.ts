import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import {
  formatLocation,
  iterateCsaf,
  iterateCve5,
  iterateDebianTracker,
  iterateEpss,
  iterateKev,
  iterateOsv,
  type Bulletin,
  type CveRecord,
  type EpssRecord,
  type KevRecord,
  type ParseItem,
} from '../core/advisories/index.ts';
import { withoutProducts, type ProductRef } from '../core/advisories/exclusions.ts';
import { invalid } from '../core/errors.ts';
import * as repo from '../store/repos/bulletins-repo.ts';
import { linkUpdatesToAdvisories, linkUpdateSupersedence } from '../store/repos/catalog-repo.ts';
import type { Db } from '../store/db.ts';
import { evaluateAllRules } from './auto-approval.ts';
import type { Context } from './context.ts';
import { IMPORT_FORMATS, type ImportFormat } from '../core/advisories/formats.ts';
import { record } from './events.ts';

// Advisory imports: parse with the core parsers, upsert in batches (one transaction each), report what
// changed and which records could not be read. A bad record never stops the rest.

export { IMPORT_FORMATS, type ImportFormat } from '../core/advisories/formats.ts';

export interface ImportInput {
  format: ImportFormat;
  bytes: Uint8Array | string;
  /** names the input in error locations */
  fileName: string;
  /** products whose packages the import leaves out (core/advisories/exclusions.ts); bulletin formats only */
  excludeProducts?: readonly ProductRef[];
}

export interface ImportError {
  /** `file!member#/pointer` or `file#line 3` */
  location: string;
  message: string;
}

export interface ImportReport {
  format: ImportFormat;
  /** records inserted or changed */
  imported: number;
  /** records that were already stored as they are */
  unchanged: number;
  errors: ImportError[];
  /** updates that the import linked to bulletins / CVEs */
  linked: { updates: number; bulletins: number; cves: number };
  /** bulletins left out because every package was of an excluded product */
  excluded: number;
}

export interface ImportProgress {
  read: number;
  imported: number;
  unchanged: number;
  errors: number;
}

export const IMPORT_BATCH = 1000;
/** errors kept in the report; the count goes on */
const MAX_ERRORS = 1000;

type Writer<T> = (tx: Db, batch: T[]) => Promise<{ changed: number }>;

/** The core parser of each import format: the one table the importer and the import task read. */
export const IMPORT_PARSERS: Record<
  ImportFormat,
  (input: string | Uint8Array, file: string) => Iterable<ParseItem<unknown>>
> = {
  osv: iterateOsv,
  'debian-tracker': iterateDebianTracker,
  csaf: iterateCsaf,
  kev: iterateKev,
  epss: iterateEpss,
  cve5: iterateCve5,
};

/** formats whose records are bulletins (then supersedence and update links are refreshed) */
const BULLETIN_FORMATS: readonly ImportFormat[] = ['osv', 'debian-tracker', 'csaf'];

function writerOf(format: ImportFormat): Writer<unknown> {
  const bulletins: Writer<Bulletin> = async (tx, batch) => repo.upsertBulletins(tx, batch);
  const cves: Writer<CveRecord> = async (tx, batch) => ({
    changed: (await repo.upsertCveRecords(tx, batch)).size,
  });
  const kev: Writer<KevRecord> = async (tx, batch) => ({ changed: (await repo.upsertKev(tx, batch)).size });
  const epss: Writer<EpssRecord> = async (tx, batch) => ({
    changed: (await repo.upsertEpss(tx, batch)).size,
  });
  if (BULLETIN_FORMATS.includes(format)) return bulletins as Writer<unknown>;
  return (format === 'cve5' ? cves : format === 'kev' ? kev : epss) as Writer<unknown>;
}

/** Imports one advisory file. Callable directly (CLI, tests) and later from the task engine. */
export async function importAdvisories(
  ctx: Context,
  input: ImportInput,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportReport> {
  ctx.authorize('import_catalog');
  ctx.authorizeGlobal(); // the catalog is every organization's: importing into it spans every tenant
  if (!(IMPORT_FORMATS as readonly string[]).includes(input.format))
    throw invalid(`unknown import format '${String(input.format)}'`, [
      { path: '/format', message: `must be one of ${IMPORT_FORMATS.join(', ')}` },
    ]);
  const fileName = input.fileName.trim() || 'upload';
  const iterate = IMPORT_PARSERS[input.format];
  const write = writerOf(input.format);
  const bulletins = BULLETIN_FORMATS.includes(input.format);
  const report: ImportReport = {
    format: input.format,
    imported: 0,
    unchanged: 0,
    errors: [],
    linked: { updates: 0, bulletins: 0, cves: 0 },
    excluded: 0,
  };
  const exclude = bulletins ? (input.excludeProducts ?? []) : [];
  let read = 0;
  let errorCount = 0;
  let batch: unknown[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const records = batch;
    batch = [];
    const r = await ctx.store.transaction((tx) => write(tx, records));
    // a record repeated inside a batch counts once as written; the rest are unchanged
    report.imported += r.changed;
    report.unchanged += records.length - r.changed;
    onProgress?.({ read, imported: report.imported, unchanged: report.unchanged, errors: errorCount });
  };
  let iterator: Iterable<ParseItem<unknown>>;
  try {
    iterator = iterate(input.bytes, fileName);
  } catch (e) {
    throw invalid(`cannot read ${fileName}: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const item of iterator) {
    read++;
    if (item.ok) {
      const record = exclude.length ? withoutProducts(item.record as Bulletin, exclude) : item.record;
      if (record === null) {
        report.excluded++;
        continue;
      }
      batch.push(record);
      if (batch.length >= IMPORT_BATCH) await flush();
    } else {
      errorCount++;
      if (report.errors.length < MAX_ERRORS)
        report.errors.push({ location: formatLocation(item.error), message: item.error.message });
    }
  }
  await flush();
  if (bulletins && report.imported > 0) {
    await ctx.store.transaction((tx) => repo.linkSupersedence(tx));
    const l = await ctx.store.transaction(async (tx) => {
      const linked = await linkUpdatesToAdvisories(tx);
      await linkUpdateSupersedence(tx);
      return linked;
    });
    report.linked = { updates: l.updates, bulletins: l.linkedBulletins, cves: l.linkedCves };
  }
  // new facts in the shared catalog (KEV, EPSS, CVSS, advisories): every organization's rules run again
  if (report.imported > 0) await evaluateAllRules(ctx);
  if (errorCount > report.errors.length)
    report.errors.push({
      location: fileName,
      message: `${errorCount - report.errors.length} more errors not listed`,
    });
  await ctx.store.transaction((tx) =>
    record(ctx, tx, {
      kind: 'catalog.imported',
      subjectType: 'catalog',
      subjectId: input.format,
      data: {
        fileName,
        format: input.format,
        imported: report.imported,
        unchanged: report.unchanged,
        errors: errorCount,
        ...(report.excluded ? { excluded: report.excluded } : {}),
      },
    }),
  );
  return report;
}

// ---- where an import may fetch from ---------------------------------------------------------------------
// An import URL is given by a user with import_catalog, and the server fetches it: without a check it
// could read the server's own services or its network (SSRF). Every address a host name resolves to is
// checked, and the connection goes to the address that was checked (no second resolution to rebind).

/** set to 1 (or true) to let imports fetch from loopback, link-local, private and unspecified addresses */
export const IMPORT_ALLOW_PRIVATE_ENV = 'PATCHLINE_IMPORT_ALLOW_PRIVATE';

export function importAllowsPrivateAddresses(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'true', 'yes'].includes((env[IMPORT_ALLOW_PRIVATE_ENV] ?? '').trim().toLowerCase());
}

const BLOCKED: readonly [kind: string, subnet: string, prefix: number, family: 'ipv4' | 'ipv6'][] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private (shared, carrier-grade NAT)', '100.64.0.0', 10, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private (unique local)', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['private (site-local)', 'fec0::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];
const BLOCK_LISTS = BLOCKED.map(([kind, subnet, prefix, family]) => {
  const list = new BlockList(); // an IPv4 rule also matches the IPv4-mapped IPv6 form (::ffff:a.b.c.d)
  list.addSubnet(subnet, prefix, family);
  return { kind, list };
});

/** Why an import may not fetch from this IP address (e.g. 'loopback'), or null when it may. */
export function blockedAddressKind(address: string): string | null {
  const family = isIP(address);
  if (!family) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return BLOCK_LISTS.find((b) => b.list.check(address, type))?.kind ?? null;
}

/** The error for a refused address; the import task reports it as "cannot fetch URL: …". */
export class ImportAddressRefused extends Error {
  readonly code = 'EADDRREFUSED';
  constructor(host: string, address: string, kind: string) {
    super(
      `refused to connect to ${host === address ? address : `${host} (${address})`}: a ${kind} address; ` +
        `imports fetch only from public addresses unless ${IMPORT_ALLOW_PRIVATE_ENV}=1 is set`,
    );
  }
}

/** Refuses a URL whose host is an IP literal in a blocked range (literals are never looked up). */
export function checkImportHost(url: URL, allowPrivate: boolean): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || !isIP(host)) return;
  const kind = blockedAddressKind(host);
  if (kind) throw new ImportAddressRefused(host, host, kind);
}

/**
 * A `lookup` for http(s).request that resolves the host and refuses it when any of its addresses is in a
 * blocked range; the socket then connects to one of the addresses checked here.
 */
export function importLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const bad = allowPrivate
        ? undefined
        : list.map((a) => ({ a, kind: blockedAddressKind(a.address) })).find((x) => x.kind);
      if (bad) return callback(new ImportAddressRefused(hostname, bad.a.address, bad.kind!), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      const first = list[0];
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}
