import { invalid, notFound } from '../../core/errors.ts';
import { runTaskInstallingNamed } from '../../services/install-tasks.ts';
import { createTask, editTask, getInstance, getTask, listRunningInstances } from '../../services/tasks.ts';
import type { Context } from '../../services/context.ts';
import { guidListOf, normalizeGuid, parseGuid, renderGuid, renderGuids, type WellKnown } from './guids.ts';
import { homeOrganization } from './scope.ts';
import { checkUpdates } from './updates.ts';
import { method, type Args, type Call, type Method } from './table.ts';

// Assessment and installation tasks and their instances (seed 000) on the task engine: a 'Windows
// Software Update Assessment' task is a scan task, a 'Windows Software Update Installation' task an
// install task naming its updates. Tasks are created in the caller's organization and target all of it
// until their `ResourceTargets` (groups or computers) are set through SetGuidCollectionProperty or
// AddGuids (properties.ts), which every later run honours; Patchline has no task folders, so a folder
// GUID is checked as a GUID and otherwise ignored.

const TASK_KINDS: Record<string, string> = { distributeTask: 'distribute', stagingTask: 'stage' };

function folder(args: Args, param: string) {
  const f = args.str(param).trim();
  if (f && !normalizeGuid(f))
    throw invalid(`${param}: '${f.slice(0, 80)}' is not a GUID`, [
      { path: param, message: 'must be a GUID or empty' },
    ]);
}

/** a task GUID: one of ours, or a well-known task standing for every task of a kind */
type TaskGuid = { kind: 'task'; id: number } | { kind: 'wellKnown'; name: WellKnown };
function taskGuid(args: Args, param: string): TaskGuid {
  const g = parseGuid(args.str(param), param);
  if (g.kind === 'task') return { kind: 'task', id: g.id };
  if (g.kind === 'wellKnown' && TASK_KINDS[g.name]) return g;
  throw notFound('task', normalizeGuid(args.str(param)) ?? args.str(param));
}

/** open instances of a task GUID (oldest first) */
async function openInstances(ctx: Context, g: TaskGuid) {
  if (g.kind === 'task') await getTask(ctx, g.id); // not found when the caller cannot see it
  const all = await listRunningInstances(ctx);
  return all
    .filter((i) => (g.kind === 'task' ? i.taskId === g.id : i.kind === TASK_KINDS[g.name]))
    .sort((a, b) => a.id - b.id);
}

const parseSuppress = (text: string, param: string): boolean | undefined => {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw invalid(`${param}: '${text.slice(0, 40)}' is not a valid Boolean`, [
    { path: param, message: 'must be true or false' },
  ]);
};

async function createInstall(call: Call, name: string, m: string) {
  const { ctx, args } = call;
  const updateIds = await checkUpdates(
    call,
    guidListOf('update', args.str('updateGuids'), 'updateGuids'),
    'updateGuids',
  );
  if (!updateIds.length)
    throw invalid(`${m}: updateGuids must list at least one update`, [
      { path: 'updateGuids', message: 'is empty' },
    ]);
  folder(args, 'folderGuid');
  const t = await createTask(ctx, {
    organizationId: await homeOrganization(ctx, m),
    kind: 'install',
    name: args.str('taskName').trim() || name,
    parameters: { updateIds, suppressReboot: args.bool('supressRebootDemand') },
  });
  return renderGuid('task', t.id);
}

async function editInstall(call: Call, m: string) {
  const { ctx, args } = call;
  const id = parseGuid(args.str('guidTask'), 'guidTask');
  if (id.kind !== 'task') throw notFound('task', normalizeGuid(args.str('guidTask')) ?? args.str('guidTask'));
  const t = await getTask(ctx, id.id);
  if (t.kind !== 'install')
    throw invalid(`${m}: guidTask is a ${t.kind} task, not a 'Windows Software Update Installation' task`);
  folder(args, 'folderGuid');
  const parameters: Record<string, unknown> = {};
  if (args.str('updateGuids').trim()) {
    const ids = guidListOf('update', args.str('updateGuids'), 'updateGuids');
    parameters.updateIds = await checkUpdates(call, ids, 'updateGuids');
  }
  const suppress = parseSuppress(args.str('supressRebootDemand'), 'supressRebootDemand');
  if (suppress !== undefined) parameters.suppressReboot = suppress;
  const edited = await editTask(ctx, t.id, { name: args.str('taskName'), parameters });
  return renderGuid('task', edited.id);
}

export const taskMethods: Method[] = [
  method(
    'CreateWindowsUpdateInstallationTask',
    'string',
    "Creates a 'Windows Software Update Installation' task.",
    ['taskName:string', 'updateGuids:string', 'supressRebootDemand:boolean', 'folderGuid:string'],
    (call) =>
      createInstall(call, 'Windows Software Update Installation', 'CreateWindowsUpdateInstallationTask'),
  ),
  method(
    'CreatePatchInstallationTask',
    'string',
    '[obsolete] Similar to CreateWindowsUpdateInstallationTask',
    ['taskName:string', 'updateGuids:string', 'supressRebootDemand:boolean', 'folderGuid:string'],
    (call) => createInstall(call, 'Windows Software Update Installation', 'CreatePatchInstallationTask'),
  ),
  method(
    'EditWindowsUpdateInstallationTask',
    'string',
    "Edits the 'Windows Software Update Installation' task.",
    [
      'guidTask:string',
      'taskName:string',
      'updateGuids:string',
      'supressRebootDemand:string',
      'folderGuid:string',
    ],
    (call) => editInstall(call, 'EditWindowsUpdateInstallationTask'),
  ),
  method(
    'EditPatchInstallationTask',
    'string',
    '[obsolete] Similar to EditWindowsUpdateInstallationTask',
    [
      'guidTask:string',
      'taskName:string',
      'updateGuids:string',
      'supressRebootDemand:string',
      'folderGuid:string',
    ],
    (call) => editInstall(call, 'EditPatchInstallationTask'),
  ),
  method(
    'CreateWindowsUpdateAssessmentTask',
    'string',
    "Creates a 'Windows Software Update Assessment' task.",
    ['taskName:string', 'updateGuids:string', 'folderGuid:string'],
    async (call) => {
      const { ctx, args } = call;
      const updateIds = await checkUpdates(
        call,
        guidListOf('update', args.str('updateGuids'), 'updateGuids'),
        'updateGuids',
      );
      folder(args, 'folderGuid');
      const t = await createTask(ctx, {
        organizationId: await homeOrganization(ctx, 'CreateWindowsUpdateAssessmentTask'),
        kind: 'scan',
        name: args.str('taskName').trim() || 'Windows Software Update Assessment',
        parameters: updateIds.length ? { updateIds } : {},
      });
      return renderGuid('task', t.id);
    },
  ),
  method(
    'EditWindowsUpdateAssessmentTask',
    'string',
    'Updates \'Windows Software Update Assessment" task.',
    ['guidTask:string', 'taskName:string', 'updateGuids:string', 'folderGuid:string'],
    async (call) => {
      const { ctx, args } = call;
      const id = parseGuid(args.str('guidTask'), 'guidTask');
      if (id.kind !== 'task')
        throw notFound('task', normalizeGuid(args.str('guidTask')) ?? args.str('guidTask'));
      const t = await getTask(ctx, id.id);
      if (t.kind !== 'scan')
        throw invalid(
          `EditWindowsUpdateAssessmentTask: guidTask is a ${t.kind} task, not an assessment task`,
        );
      folder(args, 'folderGuid');
      const parameters: Record<string, unknown> = {};
      if (args.str('updateGuids').trim())
        parameters.updateIds = await checkUpdates(
          call,
          guidListOf('update', args.str('updateGuids'), 'updateGuids'),
          'updateGuids',
        );
      return renderGuid('task', (await editTask(ctx, t.id, { name: args.str('taskName'), parameters })).id);
    },
  ),
  method(
    'RunTask',
    'string',
    'Runs any NS task (with its current settings).',
    ['guidTask:string', 'instanceName:string'],
    async ({ ctx, args }) => {
      const g = parseGuid(args.str('guidTask'), 'guidTask');
      if (g.kind !== 'task')
        throw g.kind === 'wellKnown' && TASK_KINDS[g.name]
          ? invalid(
              `RunTask: the ${g.name === 'distributeTask' ? 'Distribute Software Updates' : 'Download Software Update Package'} task runs through CreateUpdatePolicy / EnsureStaged`,
            )
          : notFound('task', normalizeGuid(args.str('guidTask')) ?? args.str('guidTask'));
      args.str('instanceName'); // Patchline's instances carry no name of their own
      return renderGuid('instance', (await runTaskInstallingNamed(ctx, g.id)).id);
    },
  ),
  method(
    'IsTaskRunning',
    'boolean',
    'Checks if particular NS task has running instances.',
    ['guidTask:string'],
    async ({ ctx, args }) => (await openInstances(ctx, taskGuid(args, 'guidTask'))).length > 0,
  ),
  method(
    'GetTaskRunningInstances',
    'string',
    'Returns the GUID list of all task instances, which are running for particular task.',
    ['guidTask:string'],
    async ({ ctx, args }) =>
      renderGuids(
        'instance',
        (await openInstances(ctx, taskGuid(args, 'guidTask'))).map((i) => i.id),
      ),
  ),
  method(
    'GetTaskInstanceStatus',
    'string',
    'Returns current status of any task. Also see GetStagingTaskStatus or GetDistributionTaskStatus',
    ['guidTask:string'],
    async ({ ctx, args }) => {
      // a task instance's GUID (what CreateUpdatePolicy and RunTask return) answers that instance's status
      const g = parseGuid(args.str('guidTask'), 'guidTask');
      if (g.kind === 'instance') return (await getInstance(ctx, g.id)).status;
      return (await openInstances(ctx, taskGuid(args, 'guidTask')))[0]?.status ?? '';
    },
  ),
];
