import { invalid, notFound } from '../../core/errors.ts';
import type { Context } from '../../services/context.ts';
import {
  createTask,
  editTask,
  getTask,
  latestInstance,
  listRunningInstances,
  listTasks,
  runTask,
  checkImportCredentials,
  setImportCredentials,
  stopInstance,
  type InstanceView,
} from '../../services/tasks.ts';
import { getProducts } from '../../services/catalog.ts';
import { guidListOf, normalizeGuid, parseGuid } from './guids.ts';
import { homeOrganization } from './scope.ts';
import { method, type Args, type Method } from './table.ts';

// Patch metadata import (seed 000): the "Import Patch Data for …" tasks are Patchline import tasks (the
// catalog importer, services/importers.ts) of the caller's organization, reading CSAF advisories from the
// URL set up for them. The well-known "Import Patch Data for Windows" and "… for SUSE" GUIDs name the
// organization's import task of that name; an import task's own GUID names it too. Altiris splits an
// import into a pre-import (vendors, software, languages) and the import; Patchline's importer does both
// in one instance, so the pre-import methods and the patch worker methods run, stop and report the same
// instance. A user name and password given with the URL are the fetch's HTTP Basic credentials, kept apart
// from the task's parameters and never shown (services/tasks.ts setImportCredentials).

const WORKERS = {
  windowsImport: 'Import Patch Data for Windows',
  suseImport: 'Import Patch Data for SUSE',
} as const;
type WorkerName = keyof typeof WORKERS;

interface Worker {
  name: string;
  /** the import task, when it exists */
  taskId: number | null;
}

async function worker(ctx: Context, args: Args, param: string, m: string): Promise<Worker> {
  const text = args.str(param);
  const g = parseGuid(text, param);
  if (g.kind === 'task') {
    const t = await getTask(ctx, g.id);
    if (t.kind !== 'import') throw invalid(`${param}: the task is not an 'Import Patch Data' task`);
    return { name: t.name, taskId: t.id };
  }
  if (g.kind === 'wellKnown' && g.name in WORKERS) return windowsOrSuse(ctx, g.name as WorkerName, m);
  throw notFound("'Import Patch Data' task", normalizeGuid(text) ?? text);
}

async function windowsOrSuse(ctx: Context, w: WorkerName, m: string): Promise<Worker> {
  const org = await homeOrganization(ctx, m);
  const t = (await listTasks(ctx, { organizationId: org, kind: 'import' })).find(
    (x) => x.name === WORKERS[w],
  );
  return { name: WORKERS[w], taskId: t?.id ?? null };
}

const requireTask = (w: Worker, m: string): number => {
  if (w.taskId === null)
    throw invalid(
      `${m}: '${w.name}' is not set up yet; give it a download URL with SetupWindowsPreImport or SetupPreImport`,
    );
  return w.taskId;
};

async function running(ctx: Context, taskId: number): Promise<InstanceView | undefined> {
  return (await listRunningInstances(ctx)).filter((i) => i.taskId === taskId).sort((a, b) => a.id - b.id)[0];
}

/** 0 running, 1 stop requested, 2 inactive, -1 unknown (never set up) */
async function status(ctx: Context, w: Worker): Promise<number> {
  if (w.taskId === null) return -1;
  const i = await latestInstance(ctx, w.taskId);
  if (!i) return 2;
  return i.status === 'Started' || i.status === 'NotStarted' ? 0 : i.status === 'StopRequested' ? 1 : 2;
}

const WORDS: Record<string, string> = {
  NotStarted: 'not started',
  Started: 'running',
  Completed: 'completed',
  Failed: 'failed',
  StopRequested: 'stop requested',
};
async function verbose(ctx: Context, w: Worker): Promise<string> {
  const i = w.taskId === null ? null : await latestInstance(ctx, w.taskId);
  const state = i ? (WORDS[i.status] ?? i.status) : 'not started';
  return `Import of available vendors, software and languages: ${state}.`;
}

async function setup(ctx: Context, w: Worker, args: Args, m: string, pre: 'strCabDownloadUrl') {
  const url = args.str(pre).trim();
  if (!url)
    throw invalid(`${m}: ${pre} must be the URL of the import data`, [{ path: pre, message: 'is empty' }]);
  const userName = args.str('strUserName');
  const password = args.str('strPassword');
  if (!userName && password)
    throw invalid(`${m}: strUserName: a password needs a user name`, [
      { path: 'strUserName', message: 'is empty while strPassword is given' },
    ]);
  const cred = userName ? { userName, password } : null;
  if (cred) checkImportCredentials(cred); // before anything changes
  const parameters = { format: 'csaf', url };
  const taskId =
    w.taskId === null
      ? (
          await createTask(ctx, {
            organizationId: await homeOrganization(ctx, m),
            kind: 'import',
            name: w.name,
            parameters,
          })
        ).id
      : (await editTask(ctx, w.taskId, { parameters })).id;
  // the user name and password are the import fetch's HTTP Basic credentials; empty ones remove them
  await setImportCredentials(ctx, taskId, cred);
  return true;
}

async function run(ctx: Context, w: Worker, m: string): Promise<InstanceView> {
  const taskId = requireTask(w, m);
  return (await running(ctx, taskId)) ?? runTask(ctx, taskId);
}

/** stops the running instance; false when none runs */
async function stop(ctx: Context, w: Worker, m: string): Promise<boolean> {
  const i = await running(ctx, requireTask(w, m));
  if (!i) return false;
  await stopInstance(ctx, i.id);
  return true;
}

const windows = (ctx: Context, m: string) => windowsOrSuse(ctx, 'windowsImport', m);

export const importMethods: Method[] = [
  method(
    'SetupImport',
    'void',
    'Changes Windows import task settings',
    ['softwareExcludes:string', 'localeIncludes:string'],
    async ({ ctx, args }) => {
      const m = 'SetupImport';
      // advisories come in the language their vendor publishes them in: there is no locale to choose
      if (args.str('localeIncludes').trim())
        throw invalid(
          `${m}: localeIncludes: not supported; Patchline imports each advisory in the language its vendor publishes it in and keeps no locales; leave it empty`,
          [{ path: 'localeIncludes', message: 'must be empty' }],
        );
      // the software releases are the catalog's products; their packages are left out of every import of
      // the task from now on (an empty list includes everything again)
      const products = await getProducts(
        ctx,
        guidListOf('product', args.str('softwareExcludes'), 'softwareExcludes'),
      );
      const taskId = requireTask(await windows(ctx, m), m);
      await editTask(ctx, taskId, {
        parameters: { excludeProducts: products.map((p) => ({ vendor: p.vendor, product: p.product })) },
      });
    },
  ),
  method(
    'SetupWindowsPreImport',
    'boolean',
    'Sets up pre-import properties of "Import Patch Data for Windows" task',
    ['strCabDownloadUrl:string', 'strUserName:string', 'strPassword:string'],
    async ({ ctx, args }) =>
      setup(
        ctx,
        await windows(ctx, 'SetupWindowsPreImport'),
        args,
        'SetupWindowsPreImport',
        'strCabDownloadUrl',
      ),
  ),
  method(
    'SetupPreImport',
    'boolean',
    'Changes the pre-import settings for Patch Meta Data import task.',
    ['guidTask:string', 'strCabDownloadUrl:string', 'strUserName:string', 'strPassword:string'],
    async ({ ctx, args }) =>
      setup(
        ctx,
        await worker(ctx, args, 'guidTask', 'SetupPreImport'),
        args,
        'SetupPreImport',
        'strCabDownloadUrl',
      ),
  ),
  method(
    'RunWindowsPreImport',
    'void',
    'Runs the pre-import part for Windows Patch Meta Data import task.',
    [],
    async ({ ctx }) => {
      await run(ctx, await windows(ctx, 'RunWindowsPreImport'), 'RunWindowsPreImport');
    },
  ),
  method(
    'RunPreImport',
    'void',
    'Runs the pre-import for particular Patch Meta Data import task .',
    ['guidTask:string'],
    async ({ ctx, args }) => {
      await run(ctx, await worker(ctx, args, 'guidTask', 'RunPreImport'), 'RunPreImport');
    },
  ),
  method(
    'StopWindowsPreImport',
    'void',
    'Same as StopPreImport, but does not require parameters.',
    [],
    async ({ ctx }) => {
      await stop(ctx, await windows(ctx, 'StopWindowsPreImport'), 'StopWindowsPreImport');
    },
  ),
  method(
    'StopPreImport',
    'void',
    'Attempts to stop pre-import, if it is running.',
    ['guidTask:string'],
    async ({ ctx, args }) => {
      await stop(ctx, await worker(ctx, args, 'guidTask', 'StopPreImport'), 'StopPreImport');
    },
  ),
  method(
    'GetWindowsPreImportStatus',
    'int',
    'Returns the status of pre-import of "Import Patch Data for Windows".',
    [],
    async ({ ctx }) => status(ctx, await windows(ctx, 'GetWindowsPreImportStatus')),
  ),
  method(
    'GetPreImportStatus',
    'int',
    'Returns the status of pre-import for particular Patch Meta Data import task.',
    ['guidTask:string'],
    async ({ ctx, args }) => status(ctx, await worker(ctx, args, 'guidTask', 'GetPreImportStatus')),
  ),
  method(
    'GetWindowsPreImportStatusVerbose',
    'string',
    'Returns the verbose status of pre-import of the "Import Patch Data for Windows" task.',
    [],
    async ({ ctx }) => verbose(ctx, await windows(ctx, 'GetWindowsPreImportStatusVerbose')),
  ),
  method(
    'GetPreImportStatusVerbose',
    'string',
    'Returns the verbose status of pre-import for particular Patch Meta Data import task.',
    ['guidTask:string'],
    async ({ ctx, args }) => verbose(ctx, await worker(ctx, args, 'guidTask', 'GetPreImportStatusVerbose')),
  ),
  method(
    'RunPatchWorker',
    'string',
    "Starts provided 'Import Patch Data for ...' task.",
    ['workerGuid:string', 'async:boolean'],
    async ({ ctx, args }) => {
      args.bool('async'); // the instance runs on the task engine either way; its status is answered
      return (await run(ctx, await worker(ctx, args, 'workerGuid', 'RunPatchWorker'), 'RunPatchWorker'))
        .status;
    },
  ),
  method(
    'StopPatchWorker',
    'boolean',
    "Stops execution of provided 'Import Patch Data for ...' task.",
    ['workerGuid:string'],
    async ({ ctx, args }) =>
      stop(ctx, await worker(ctx, args, 'workerGuid', 'StopPatchWorker'), 'StopPatchWorker'),
  ),
  method(
    'OperatePatchWorker',
    'string',
    "Manages execution of specified 'Import Patch Data' task for different platforms.",
    ['workerGuid:string', 'command:string', 'async:boolean'],
    async ({ ctx, args }) => {
      const m = 'OperatePatchWorker';
      const w = await worker(ctx, args, 'workerGuid', m);
      args.bool('async');
      const command = args.str('command').trim().toLowerCase();
      const latest = async () => (w.taskId === null ? null : await latestInstance(ctx, w.taskId));
      switch (command) {
        case 'run':
          return (await run(ctx, w, m)).status;
        case 'stop':
          return (await stop(ctx, w, m)) ? 'StopRequested' : ((await latest())?.status ?? '');
        case 'status':
          return (await latest())?.status ?? '';
        case 'progress':
          return String(Math.round(((await latest())?.progress ?? 0) * 100));
        case 'verbose':
          return verbose(ctx, w);
        case 'message':
          return (await latest())?.error ?? '';
        default:
          throw invalid(
            `${m}: command must be one of run, stop, status, progress, verbose, message; got '${command.slice(0, 40)}'`,
            [{ path: 'command', message: 'unknown command' }],
          );
      }
    },
  ),
];
