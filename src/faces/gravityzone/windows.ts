import { invalid } from '../../core/errors.ts';
import { settingsFromGzForm, type GzFormWindowSettings } from '../../core/windows/index.ts';
import { organizationApprovedUpdates, updatesUnknownTo } from '../../services/catalog.ts';
import type { Context } from '../../services/context.ts';
import { defaultOrganization } from '../../services/organizations.ts';
import { getPolicy } from '../../services/policies.ts';
import {
  assignWindowsToPolicy,
  createWindow,
  deleteWindow,
  getWindow,
  listWindows,
  updateWindow,
  type WindowView,
} from '../../services/windows.ts';
import { gzId, named, parseGzId, patchGuid, updateOfPatchGuid } from './ids.ts';
import { Params, paged, readPaging } from './jsonrpc.ts';
import type { Methods } from './methods.ts';
import { gzWindowSettingsOf, parseGzWindowParams, type GzWindowParams } from './window-settings.ts';

// Area `maintenanceWindows` (seed 002 and the methods around it). The params are read by
// window-settings.ts (every rule of the seed, with the core's rules between the switches); the windows are
// the native API's (services/windows-crud.ts: same service, same stored settings), so the console shows a
// window made here exactly as one made there.
//
// Decisions where the seed is inconsistent or silent (tested in test/faces/gravityzone/jsonrpc-windows.test.ts):
// - The update method's table is the create method's. Update takes `id` (the window, mandatory, as in the
//   example) and changes what it is given; nothing else is mandatory (window-settings.ts). `companyId`,
//   when sent, must be the window's own company: a window does not move between companies.
// - "returns true or false" against the example's `{"success": true}`: update answers `{"success": true}`
//   as the example does (a client reading `result.success` or testing the result for truth both work);
//   a failure is always a JSON-RPC error, never `false`. Delete, assign and unassign answer the same.
// - Create answers the new window's id (24 hex digits), as GravityZone's create methods do.
// - The example is not valid JSON: the repaired example (test fixture) is accepted as written except for
//   its `useFallbackSchedule: true` with only `scheduler` objects (window-settings.ts explains why).
// - "The user must have Manage Company rights": Patchline's `manage_policies` privilege over the whole
//   organization (a key scoped to some groups of it may not create windows there). "A license that
//   includes Patch Management": every Patchline organization has it.
// - "The patch IDs must be valid and belong to the company": each id must be one of Patchline's patch ids
//   (patchGuid) that the company knows (an advisory's, or one its endpoints reported); the window keeps
//   the ids as sent (braced, upper case).
// - `allowChangeByOtherUsers` false: only the window's creator (or a global administrator) may update,
//   delete, assign or unassign it; the rule and its decision are in services/windows-crud.ts
//   (checkMayChange), the face renders its "forbidden" as its JSON-RPC error.
// - `getMaintenanceWindowsList` `type`: 1, patch management (the only kind of window Patchline has).

const WINDOW_TYPE_PATCH_MANAGEMENT = 1;
const MAX_IDS = 100;

/** settings already read by parseGzWindowParams, converted to the stored form */
const storedOf = (s: unknown) => settingsFromGzForm(s as GzFormWindowSettings);

async function checkPatchIds(ctx: Context, orgId: number, parsed: GzWindowParams) {
  const refs = parsed.settings?.install.manuallyApprovedPatches ?? [];
  if (!refs.length) return;
  const path = 'settings.installPatchesSettings.manuallyApprovedPatchIds';
  const ids = refs.map((r) => updateOfPatchGuid(r));
  const unknown = new Set(
    await updatesUnknownTo(
      ctx,
      orgId,
      ids.filter((x): x is number => x !== undefined),
    ),
  );
  const issues = refs
    .map((r, i) => ({ r, i, id: ids[i] }))
    .filter((x) => x.id === undefined || unknown.has(x.id))
    .map((x) => ({ path: `${path}.${x.i}`, message: `${x.r} is no patch of this company` }));
  if (issues.length) throw invalid('invalid maintenance window', issues);
}

function companyOf(ctx: Context, p: Params, param = 'companyId'): { id: number; text: string | undefined } {
  const text = p.values[param];
  if (text === undefined) return { id: defaultOrganization(ctx, param), text: undefined };
  return { id: parseGzId('company', text, param), text: text as string };
}

const inCompany = <T>(text: string | undefined, p: Promise<T>) =>
  text === undefined ? p : named('company', text, p);

/** the window's id param: `maintenanceWindowId` (or `id`, as the update example sends it) */
function windowParam(p: Params): { id: number; text: string } {
  const key = p.has('maintenanceWindowId') ? 'maintenanceWindowId' : 'id';
  const text = p.values[key];
  if (text === undefined) {
    p.string('maintenanceWindowId', { required: true });
    p.done();
  }
  return { id: parseGzId('window', text, key), text: text as string };
}

const byWindow = <T>(text: string, p: Promise<T>) => named('window', text, p);

function summary(w: WindowView) {
  return {
    id: gzId('window', w.id),
    name: w.name,
    type: WINDOW_TYPE_PATCH_MANAGEMENT,
    companyId: gzId('company', w.organizationId),
  };
}

function details(w: WindowView) {
  return {
    ...summary(w),
    allowChangeByOtherUsers: w.allowChangeByOtherUsers,
    settings: gzWindowSettingsOf(settingsFromGzForm(w.settings)),
    policies: w.assignments.policies.map((id) => gzId('policy', id)),
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

const SUCCESS = { success: true } as const;

export const maintenanceWindowMethods: Methods = {
  async createPatchManagementMaintenanceWindow(ctx, params) {
    const parsed = parseGzWindowParams(params, 'create');
    const company = companyOf(ctx, new Params(params, 'createPatchManagementMaintenanceWindow'));
    await inCompany(company.text, checkPatchIds(ctx, company.id, parsed));
    const w = await inCompany(
      company.text,
      createWindow(
        ctx,
        {
          organizationId: company.id,
          name: parsed.name!,
          settings: parsed.settings,
          allowChangeByOtherUsers: parsed.allowChangeByOtherUsers!,
        },
        storedOf,
      ),
    );
    return gzId('window', w.id);
  },

  async updatePatchManagementMaintenanceWindow(ctx, params) {
    const p = new Params(params, 'updatePatchManagementMaintenanceWindow');
    const win = windowParam(p);
    const parsed = parseGzWindowParams(params, 'update');
    const current = await byWindow(win.text, getWindow(ctx, win.id));
    if (parsed.companyId !== undefined) {
      const company = parseGzId('company', parsed.companyId, 'companyId');
      if (company !== current.organizationId)
        throw invalid('invalid params of updatePatchManagementMaintenanceWindow', [
          { path: 'companyId', message: "must be the window's own company (a window does not move)" },
        ]);
    }
    await checkPatchIds(ctx, current.organizationId, parsed);
    await byWindow(
      win.text,
      updateWindow(
        ctx,
        win.id,
        {
          ...(parsed.name !== undefined ? { name: parsed.name } : {}),
          ...(parsed.settings ? { settings: parsed.settings } : {}),
          ...(parsed.allowChangeByOtherUsers !== undefined
            ? { allowChangeByOtherUsers: parsed.allowChangeByOtherUsers }
            : {}),
        },
        storedOf,
      ),
    );
    return SUCCESS;
  },

  async getMaintenanceWindowsList(ctx, params) {
    const p = new Params(params, 'getMaintenanceWindowsList');
    const paging = readPaging(p);
    p.integer('type', { min: WINDOW_TYPE_PATCH_MANAGEMENT, max: WINDOW_TYPE_PATCH_MANAGEMENT }); // checked only
    const companyText = p.string('companyId');
    p.done();
    const organizationId =
      companyText === undefined ? undefined : parseGzId('company', companyText, 'companyId');
    const all = await inCompany(
      companyText,
      listWindows(ctx, organizationId === undefined ? {} : { organizationId }),
    );
    return paged(all.map(summary), paging);
  },

  async getMaintenanceWindowDetails(ctx, params) {
    const p = new Params(params, 'getMaintenanceWindowDetails');
    const win = windowParam(p);
    return details(await byWindow(win.text, getWindow(ctx, win.id)));
  },

  async deleteMaintenanceWindow(ctx, params) {
    const win = windowParam(new Params(params, 'deleteMaintenanceWindow'));
    await byWindow(win.text, deleteWindow(ctx, win.id));
    return SUCCESS;
  },

  async assignMaintenanceWindows(ctx, params) {
    return assign(ctx, params, 'assignMaintenanceWindows', true);
  },

  async unassignMaintenanceWindows(ctx, params) {
    return assign(ctx, params, 'unassignMaintenanceWindows', false);
  },

  async getManuallyApprovedPatches(ctx, params) {
    const p = new Params(params, 'getManuallyApprovedPatches');
    const paging = readPaging(p);
    p.done();
    const company = companyOf(ctx, p);
    const updates = await inCompany(company.text, organizationApprovedUpdates(ctx, company.id));
    return paged(
      updates.map((u) => ({
        id: patchGuid(u.id),
        name: u.name,
        kb: u.kb,
        packageName: u.packageName,
        version: u.version,
        severity: u.severity,
        isSecurity: u.isSecurity,
      })),
      paging,
    );
  },
};

/** `policyId` and `maintenanceWindowIds` (1 to 100 window ids) */
async function assign(ctx: Context, params: Record<string, unknown>, method: string, add: boolean) {
  const p = new Params(params, method);
  const policyText = p.string('policyId', { required: true });
  const list = p.list('maintenanceWindowIds', { required: true, max: MAX_IDS });
  p.done();
  const policyId = parseGzId('policy', policyText, 'policyId');
  const windows = list!.map((t, i) => ({
    text: t as string,
    id: parseGzId('window', t, `maintenanceWindowIds.${i}`),
  }));
  // each id the caller sent that names nothing is reported with that id
  await named('policy', policyText!, getPolicy(ctx, policyId));
  for (const w of windows) await byWindow(w.text, getWindow(ctx, w.id));
  await assignWindowsToPolicy(
    ctx,
    policyId,
    windows.map((w) => w.id),
    add,
  );
  return SUCCESS;
}
