import { applyApproval } from './approvals.ts';
import type { Context } from './context.ts';
import { getTask, runTask, type InstanceView } from './tasks.ts';

// Running a task that names the updates it installs. Naming updates in an install task is a decision to
// install them on the task's targets (as installOnDevices decides for devices): they are approved at the
// level the task targets (each group, each device, or the whole organization) before the instance starts,
// so each targeted device installs them when its job is handed out. Any other task simply runs.

export async function runTaskInstallingNamed(ctx: Context, taskId: number): Promise<InstanceView> {
  const task = await getTask(ctx, taskId);
  const ids = task.parameters.updateIds;
  if (task.kind === 'install' && Array.isArray(ids) && ids.length && task.organizationId !== null) {
    const updateIds = ids as number[];
    const target = task.parameters.target as { kind: string; ids?: number[] } | undefined;
    if (target?.kind === 'groups')
      for (const g of target.ids ?? []) await applyApproval(ctx, { groupId: g }, updateIds, 'approve');
    else if (target?.kind === 'devices')
      for (const d of target.ids ?? []) await applyApproval(ctx, { deviceId: d }, updateIds, 'approve');
    else await applyApproval(ctx, { organizationId: task.organizationId }, updateIds, 'approve');
  }
  return runTask(ctx, taskId);
}
