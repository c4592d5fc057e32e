import { PRIVILEGES } from '../../core/privileges.ts';
import { whoAmI } from '../../services/auth.ts';
import { renderGuid } from './guids.ts';
import { method, type Method } from './table.ts';

// MyPrivileges (seed 000): the GUIDs of the privileges the caller's role grants. Each Patchline privilege
// has one fixed GUID, its position in core/privileges.ts (new privileges are appended there):
export const PRIVILEGE_GUIDS: Readonly<Record<string, string>> = Object.fromEntries(
  PRIVILEGES.map((p, i) => [p, renderGuid('privilege', i + 1)]),
);

export const privilegeMethods: Method[] = [
  method(
    'MyPrivileges',
    'string',
    'Returns list of all privileges, granted for the current API user.',
    [],
    async ({ ctx }) => {
      whoAmI(ctx); // every signed-in caller may ask what it holds
      return PRIVILEGES.filter((p) => ctx.actor.privileges.has(p))
        .map((p) => PRIVILEGE_GUIDS[p])
        .join(',');
    },
  ),
];
