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
import { invalid } from '../core/errors.ts';
import * as repo from '../store/repos/bulletins.ts';
import { linkUpdatesToAdvisories } from '../store/repos/catalog.ts';
import type { Db } from '../store/db.ts';
import type { Context } from './context.ts';
import { record } from './events.ts';

// Advisory imports: parse with the core parsers, upsert in batches (one transaction each), report what
// changed and which records could not be read. A bad record never stops the rest.

export const IMPORT_FORMATS = ['osv', 'debian-tracker', 'csaf', 'kev', 'epss', 'cve5'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportInput {
  format: ImportFormat;
  bytes: Uint8Array | string;
  /** names the input in error locations */
  fileName: string;
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

function parserOf(format: ImportFormat): {
  iterate: (input: string | Uint8Array, file: string) => Iterable<ParseItem<unknown>>;
  write: Writer<unknown>;
  bulletins: boolean;
} {
  const bulletins: Writer<Bulletin> = async (tx, batch) => repo.upsertBulletins(tx, batch);
  const cves: Writer<CveRecord> = async (tx, batch) => ({
    changed: (await repo.upsertCveRecords(tx, batch)).size,
  });
  const kev: Writer<KevRecord> = async (tx, batch) => ({ changed: (await repo.upsertKev(tx, batch)).size });
  const epss: Writer<EpssRecord> = async (tx, batch) => ({
    changed: (await repo.upsertEpss(tx, batch)).size,
  });
  switch (format) {
    case 'osv':
      return { iterate: iterateOsv, write: bulletins as Writer<unknown>, bulletins: true };
    case 'debian-tracker':
      return { iterate: iterateDebianTracker, write: bulletins as Writer<unknown>, bulletins: true };
    case 'csaf':
      return { iterate: iterateCsaf, write: bulletins as Writer<unknown>, bulletins: true };
    case 'cve5':
      return { iterate: iterateCve5, write: cves as Writer<unknown>, bulletins: false };
    case 'kev':
      return { iterate: iterateKev, write: kev as Writer<unknown>, bulletins: false };
    case 'epss':
      return { iterate: iterateEpss, write: epss as Writer<unknown>, bulletins: false };
  }
}

/** Imports one advisory file. Callable directly (CLI, tests) and later from the task engine. */
export async function importAdvisories(
  ctx: Context,
  input: ImportInput,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportReport> {
  ctx.authorize('import_catalog');
  if (!(IMPORT_FORMATS as readonly string[]).includes(input.format))
    throw invalid(`unknown import format '${String(input.format)}'`, [
      { path: '/format', message: `must be one of ${IMPORT_FORMATS.join(', ')}` },
    ]);
  const fileName = input.fileName.trim() || 'upload';
  const { iterate, write, bulletins } = parserOf(input.format);
  const report: ImportReport = {
    format: input.format,
    imported: 0,
    unchanged: 0,
    errors: [],
    linked: { updates: 0, bulletins: 0, cves: 0 },
  };
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
      batch.push(item.record);
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
    const l = await ctx.store.transaction((tx) => linkUpdatesToAdvisories(tx));
    report.linked = { updates: l.updates, bulletins: l.linkedBulletins, cves: l.linkedCves };
  }
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
      },
    }),
  );
  return report;
}
