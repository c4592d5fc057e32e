import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { freshStore } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { kcall } from './request.ts';
import { kaseyaSignIn, startKaseyaApp, type KRes } from './support.ts';

// The Kaseya face's agent procedures (catalogue, quick launch, portal, ask-before-executing, run now and
// schedule refusals and errors), agent logs, departments, organization locations and types, and user and
// role writes, with the seed's bodies (seed 004). PGlite only: the logic is the services'; the real agent
// runs procedures in test/agent/e2e-procedures.test.ts.

const V = '/api/v1.0';

function failed(r: KRes, status: number, error?: RegExp) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.ResponseCode, status, r.text);
  assert.equal(r.body.Status, 'Error');
  if (error) assert.match(r.body.Error, error);
}
function succeeded(r: KRes) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ResponseCode, 0, r.text);
  return r.body.Result;
}

describe('Kaseya VSA: agent procedures, logs, departments, locations, types, user and role writes', () => {
  let app: FastifyInstance;
  let cleanup: () => Promise<void>;
  let admin: Client;
  let world: World;
  let bearer: string;
  let bravo: string;
  let procA: number;
  let procB: number;
  const k = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, auth = bearer) =>
    kcall(app, method, `${V}${url}`, auth, body);

  before(async () => {
    const s = await freshStore('pglite');
    cleanup = s.cleanup;
    app = await startKaseyaApp(s.store);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, s.store);
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
    const b = await scopedUser(admin, 'bravo-admin', world.orgB.id, 'Administrator');
    bravo = await kaseyaSignIn(app, 'bravo-admin', b.password);
    const mk = async (orgId: number, name: string, extra: object = {}) => {
      const r = await admin.post('/api/v1/procedures', {
        organizationId: orgId,
        name,
        script: { shell: 'sh', code: `echo ${name}` },
        ...extra,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as number;
    };
    procA = await mk(world.orgA.id, 'Config Windows Automatic Update', {
      folder: 'shared/smapleProc/windows',
      portal: true,
    });
    await mk(world.orgA.id, 'Reset Windows Automatic Update', {
      folder: 'shared/smapleProc/windows/updates',
    });
    procB = await mk(world.orgB.id, 'Bravo only');
  });
  after(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('lists the catalogue in the seed fields, filtered and sorted; a tenant sees its own', async () => {
    const all = succeeded(await k('GET', '/automation/agentprocs?$orderby=AgentProcedureName desc'));
    assert.deepEqual(
      all.map((p: { AgentProcedureName: string }) => p.AgentProcedureName),
      ['Reset Windows Automatic Update', 'Config Windows Automatic Update', 'Bravo only'],
    );
    const r = await k('GET', "/automation/agentprocs?$filter=startswith(Path, 'shared/smapleProc/windows/')");
    assert.equal(r.body.TotalRecords, 1, r.text);
    assert.equal(r.body.Result[0].Path, 'shared/smapleProc/windows/updates');
    const own = succeeded(await k('GET', '/automation/agentprocs', undefined, bravo));
    assert.deepEqual(
      own.map((p: { AgentProcedureId: number }) => p.AgentProcedureId),
      [procB],
    );
    const portal = succeeded(await k('GET', '/automation/agentprocsportal'));
    assert.deepEqual(
      portal.map((p: { AgentProcedureId: number }) => p.AgentProcedureId),
      [procA],
    );
  });

  it('quick launch: add and remove a procedure; another tenant’s is not found', async () => {
    assert.equal(succeeded(await k('PUT', `/automation/agentprocs/quicklaunch/${procA}`)), true);
    const q = succeeded(await k('GET', '/automation/agentprocs/quicklaunch'));
    assert.deepEqual(
      q.map((p: { AgentProcedureId: number }) => p.AgentProcedureId),
      [procA],
    );
    failed(
      await k('PUT', `/automation/agentprocs/quicklaunch/${procA}`, undefined, bravo),
      404,
      /agent procedure/,
    );
    assert.equal(succeeded(await k('DELETE', `/automation/agentprocs/quicklaunch/${procA}`)), true);
    assert.equal((await k('GET', '/automation/agentprocs/quicklaunch')).body.TotalRecords, 0);
  });

  it("'ask before executing' is the caller's own setting, set by query, header or body", async () => {
    assert.equal(succeeded(await k('GET', '/automation/agentprocs/quicklaunch/askbeforeexecuting')), false);
    succeeded(await k('PUT', '/automation/agentprocs/quicklaunch/askbeforeexecuting?flag=true'));
    assert.equal(succeeded(await k('GET', '/automation/agentprocs/quicklaunch/askbeforeexecuting')), true);
    assert.equal(
      succeeded(await k('GET', '/automation/agentprocs/quicklaunch/askbeforeexecuting', undefined, bravo)),
      false,
    );
    succeeded(await k('PUT', '/automation/agentprocs/quicklaunch/askbeforeexecuting', { flag: false }));
    assert.equal(succeeded(await k('GET', '/automation/agentprocs/quicklaunch/askbeforeexecuting')), false);
    failed(
      await k('PUT', '/automation/agentprocs/quicklaunch/askbeforeexecuting', { flag: 'maybe' }),
      400,
      /flag/,
    );
  });

  it('run now and schedule: refused while scripts are off, with how to turn them on', async () => {
    const dev = world.deviceA.id;
    const r = await k('PUT', `/automation/agentprocs/${dev}/${procA}/runnow`);
    failed(r, 409, /scripts are turned off for organization .*script-settings/);
    failed(
      await k('PUT', `/automation/agentprocs/${dev}/987654/runnow`),
      404,
      /agent procedure 987654 not found/,
    );
    failed(await k('PUT', `/automation/agentprocs/987654/${procA}/runnow`), 404, /agent 987654 not found/);
    // a procedure of another organization does not run on this agent
    failed(await k('PUT', `/automation/agentprocs/${dev}/${procB}/runnow`), 404, /agent procedure/);
    // another tenant cannot reach the agent
    failed(await k('PUT', `/automation/agentprocs/${dev}/${procA}/runnow`, undefined, bravo), 404, /agent/);
  });

  it('schedule bodies: ids must match the path, prompts must be variable names, the schedule valid', async () => {
    const dev = world.deviceA.id;
    const at = `/automation/agentprocs/${dev}/${procA}/schedule`;
    const start = { StartOn: '2030-01-07T00:00:00.000Z', StartAt: 'T0300' };
    failed(
      await k('PUT', at, { AgentProcedureId: procA + 1, Recurrence: { Repeat: 'Never' }, Start: start }),
      400,
      /AgentProcedureId/,
    );
    failed(
      await k('PUT', at, {
        ScriptPrompts: [{ Caption: 'x', Name: '1 bad', Value: 'v' }],
        Recurrence: { Repeat: 'Never' },
        Start: start,
      }),
      400,
      /ScriptPrompts\[0\]\.name/,
    );
    failed(await k('PUT', at, { Recurrence: { Repeat: 'Fortnightly' }, Start: start }), 400, /Repeat/);
    failed(await k('PUT', at, { Colour: 'red' }), 400, /Colour/);
  });

  it('agent logs: the agent’s events and configuration changes, from the event log, with OData', async () => {
    const dev = world.deviceA.id;
    succeeded(await k('PUT', `/assetmgmt/agents/${dev}/rename/web-renamed`));
    const changes = await k('GET', `/assetmgmt/logs/${dev}/configurationchanges`);
    assert.equal(changes.status, 200, changes.text);
    assert.ok(changes.body.TotalRecords >= 1);
    assert.equal(changes.body.Result[0].Event, 'device.updated by admin');
    assert.match(changes.body.Result[0].Time, /^\d{4}-\d\d-\d\dT/);
    const f = await k(
      'GET',
      `/assetmgmt/logs/${dev}/configurationchanges?$filter=Event eq 'nothing like this'`,
    );
    assert.equal(f.body.TotalRecords, 0);
    const agentLog = await k('GET', `/assetmgmt/logs/${dev}/agent?$top=1`);
    assert.equal(agentLog.status, 200, agentLog.text);
    for (const e of agentLog.body.Result) assert.doesNotMatch(e.Event, /^device\.updated/);
    failed(await k('GET', `/assetmgmt/logs/${dev}/configurationchanges`, undefined, bravo), 404, /agent/);
    failed(await k('GET', `/assetmgmt/logs/${dev}/agent?$filter=Nope eq 1`), 400, /Nope/);
  });

  it('departments: add from the seed model, nest, update, refuse loops and other tenants, delete', async () => {
    const org = world.orgA.id;
    const it1 = succeeded(
      await k('POST', `/system/orgs/${org}/departments`, {
        DepartmentId: 0,
        DepartmentName: 'IT',
        ParentDepartmentId: 0,
        ManagerId: 0,
        OrgId: 0,
        DepartmentRef: 'it',
        Attributes: {},
      }),
    ) as string;
    const ops = succeeded(
      await k('POST', `/system/orgs/${org}/departments`, {
        DepartmentName: 'Operations',
        ParentDepartmentId: it1,
      }),
    ) as string;
    const got = succeeded(await k('GET', `/system/departments/${ops}`));
    assert.deepEqual(got, {
      DepartmentId: ops,
      DepartmentName: 'Operations',
      ParentDepartmentId: it1,
      ManagerId: null,
      OrgId: String(org),
      DepartmentRef: null,
      Attributes: null,
    });
    // the seed's update sample, with this department's id
    succeeded(
      await k('PUT', `/system/departments/${it1}`, {
        DepartmentId: Number(it1),
        DepartmentName: 'Engineering',
      }),
    );
    const list = await k('GET', `/system/orgs/${org}/departments?$orderby=DepartmentName`);
    assert.deepEqual(
      list.body.Result.map((d: { DepartmentName: string }) => d.DepartmentName),
      ['Engineering', 'Operations'],
    );
    failed(await k('PUT', `/system/departments/${it1}`, { ParentDepartmentId: ops }), 400, /under itself/);
    failed(await k('PUT', `/system/departments/${it1}`, { DepartmentId: 99 }), 400, /DepartmentId/);
    failed(await k('PUT', `/system/departments/${it1}`, { ManagerId: 987654 }), 400, /manager/);
    failed(
      await k('POST', `/system/orgs/${org}/departments`, {
        DepartmentName: 'Operations',
        ParentDepartmentId: it1,
      }),
      409,
    );
    failed(await k('GET', `/system/departments/${ops}`, undefined, bravo), 404);
    failed(await k('DELETE', `/system/departments/${ops}`, undefined, bravo), 404);
    assert.equal((await k('GET', `/system/orgs/${org}/departments`, undefined, bravo)).status, 404);
    failed(await k('DELETE', `/system/departments/${it1}`), 409, /sub-departments/);
    assert.equal(succeeded(await k('DELETE', `/system/departments/${ops}`)), true);
    assert.equal(succeeded(await k('DELETE', `/system/departments/${it1}`)), true);
  });

  it('locations carry the contact fields; types are the OrgType texts in use', async () => {
    const org = world.orgA.id;
    succeeded(
      await k('PUT', `/system/orgs/${org}`, {
        OrgType: 'Customer',
        ContactInfo: { City: 'Lisbon', Country: 'Portugal', PrimaryEmail: 'ops@alpha.example' },
      }),
    );
    const loc = succeeded(await k('GET', '/system/orgs/locations'));
    const a = loc.find((l: { OrgId: string }) => l.OrgId === String(org));
    assert.equal(a.City, 'Lisbon');
    assert.equal(a.Country, 'Portugal');
    assert.equal(a.PrimaryEmail, 'ops@alpha.example');
    assert.equal(a.ZipCode, null);
    const types = succeeded(await k('GET', '/system/orgs/types'));
    assert.deepEqual(
      types.map((t: { OrgTypeRef: string; Status: number }) => [t.OrgTypeRef, t.Status]),
      [['Customer', 1]],
    );
    assert.ok(Number.isInteger(types[0].OrgTypeID) && types[0].OrgTypeID > 0);
    // Bravo sees neither Alpha's location nor its type
    const bl = succeeded(await k('GET', '/system/orgs/locations', undefined, bravo));
    assert.deepEqual(
      bl.map((l: { OrgId: string }) => l.OrgId),
      [String(world.orgB.id)],
    );
    assert.deepEqual(succeeded(await k('GET', '/system/orgs/types', undefined, bravo)), []);
  });

  it('users and roles: add, update, delete with the native checks', async () => {
    const role = succeeded(
      await k('POST', '/system/roles', {
        RoleName: 'rolenametext',
        RoleTypeIds: [0],
        Attributes: { Privileges: ['read'], Description: 'reads' },
      }),
    ) as number;
    assert.equal(typeof role, 'number');
    failed(await k('POST', '/system/roles', { RoleName: 'typed', RoleTypeIds: [5] }), 400, /role types/);
    failed(
      await k('POST', '/system/roles', { RoleName: 'flying', Attributes: { Privileges: ['fly'] } }),
      400,
    );
    failed(await k('POST', '/system/roles', { RoleName: 'tenant role' }, bravo), 403);
    const scopes = await admin.get('/api/v1/scopes?limit=100');
    const scope = scopes.body.items[0].id as number;
    const id = succeeded(
      await k('POST', '/system/users', {
        AdminName: 'jdoe',
        AdminPassword: 'jdoe-password-1',
        AdminRoleIds: [role],
        AdminScopeIds: [String(scope)],
        FirstName: 'Jane',
        LastName: 'Doe',
        Email: 'jane@example.com',
      }),
    ) as string;
    const u = succeeded(await k('GET', `/system/users/${id}`));
    assert.equal(u.AdminName, 'jdoe');
    assert.equal(u.FirstName, 'Jane');
    assert.equal(u.LastName, 'Doe');
    assert.deepEqual(u.AdminRoleIds, [role]);
    succeeded(await k('PUT', `/system/users/${id}`, { LastName: 'Smith', Attributes: { Disabled: true } }));
    const v = succeeded(await k('GET', `/system/users/${id}`));
    assert.equal(v.LastName, 'Smith');
    assert.equal(v.FirstName, 'Jane');
    assert.equal(v.Attributes.Disabled, true);
    failed(await k('PUT', `/system/users/${id}`, { DefaultStaffOrgId: '5' }), 400, /not kept/);
    failed(await k('PUT', `/system/users/${id}`, { AdminRoleIds: [1, 2] }), 400, /exactly one/);
    failed(
      await k('POST', '/system/users', { AdminName: 'nopass', AdminRoleIds: [role], AdminScopeIds: [scope] }),
      400,
      /AdminPassword/,
    );
    failed(await k('PUT', `/system/users/${id}`, { LastName: 'Bravo' }, bravo), 403);
    failed(await k('DELETE', `/system/users/${id}`, undefined, bravo), 403);
    assert.equal(succeeded(await k('DELETE', `/system/users/${id}`)), true);
    failed(await k('GET', `/system/users/${id}`), 404);
  });

  it('roles: delete, role types, a user added to a role and (not) removed from it, as VSA clients call them', async () => {
    const role = succeeded(
      await k('POST', '/system/roles', {
        RoleName: 'patchers',
        Attributes: { Privileges: ['read', 'approve'] },
      }),
    ) as number;
    const other = succeeded(await k('POST', '/system/roles', { RoleName: 'watchers' })) as number;
    const scope = ((await admin.get('/api/v1/scopes?limit=100')).body.items[0].id as number).toString();
    const user = succeeded(
      await k('POST', '/system/users', {
        AdminName: 'rolling',
        AdminPassword: 'rolling-password-1',
        AdminRoleIds: [other],
        AdminScopeIds: [scope],
      }),
    ) as string;
    const rolesOf = async () => succeeded(await k('GET', `/system/users/${user}`)).AdminRoleIds;

    // Add User to User Role (PUT /system/roles/{roleId}/users/{userId}): the user now has that role
    assert.equal(succeeded(await k('PUT', `/system/roles/${role}/users/${user}`)), true);
    assert.deepEqual(await rolesOf(), [role]);
    assert.equal(succeeded(await k('PUT', `/system/roles/${role}/users/${user}`, {})), true); // again: no change
    assert.deepEqual(await rolesOf(), [role]);
    failed(await k('PUT', `/system/roles/987654/users/${user}`), 404, /role 987654 not found/);
    failed(await k('PUT', `/system/roles/${role}/users/987654`), 404, /user 987654 not found/);
    failed(await k('PUT', `/system/roles/${role}/users/${user}`, { RoleName: 'x' }), 400, /RoleName/);
    failed(await k('PUT', `/system/roles/${other}/users/${user}`, undefined, bravo), 403);
    assert.deepEqual(await rolesOf(), [role]);

    // Remove: not in that role → 404; their only role → 409, and they keep it
    failed(await k('DELETE', `/system/roles/${other}/users/${user}`), 404, /not in role/);
    failed(await k('DELETE', `/system/roles/${role}/users/${user}`), 409, /only role/);
    failed(await k('DELETE', `/system/roles/${role}/users/${user}`, undefined, bravo), 403);
    assert.deepEqual(await rolesOf(), [role]);

    // Delete Role: refused while a user has it, by another tenant's administrator, for a built-in role
    failed(await k('DELETE', `/system/roles/${role}`), 409, /still given to users/);
    failed(await k('DELETE', `/system/roles/${other}`, undefined, bravo), 403);
    failed(await k('DELETE', '/system/roles/1'), 409, /built-in/);
    assert.equal(succeeded(await k('DELETE', `/system/roles/${other}`)), true);
    failed(await k('GET', `/system/roles/${other}`), 404);
    failed(await k('DELETE', `/system/roles/${other}`), 404, /role .* not found/);
    assert.equal(succeeded(await k('DELETE', `/system/users/${user}`)), true);
    assert.equal(succeeded(await k('DELETE', `/system/roles/${role}`)), true);

    // role types: Patchline has none; the list still takes the query options
    const types = await k('GET', "/system/roletypes?$filter=RoleTypeName eq 'VSA Admin'&$orderby=RoleTypeId");
    assert.deepEqual([types.status, types.body.TotalRecords, types.body.Result], [200, 0, []], types.text);
    failed(await k('GET', '/system/roletypes?$filter=Nope eq 1'), 400, /Nope/);
    failed(await k('GET', '/system/roletypes/100'), 404, /role type 100 not found/);
    failed(await k('GET', '/system/roletypes', undefined, bravo), 403);
  });
});
