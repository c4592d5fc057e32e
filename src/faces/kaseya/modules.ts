// The VSA modules of seed 004 and what Patchline provides of them (issue 16, item 5). A module Patchline
// does not provide answers every route of its chapter with 501 and the envelope, its Error naming the
// module, so a client learns the module is missing instead of a bare "no route" 404.
//
// The seed lists no module ids (GET /ismoduleinstalled/{moduleId}, GET /functions/{moduleId}): Patchline
// numbers the modules itself, below, and GET /functions lists the ids of the functions (routes) of the
// modules it provides, module id × 1000 + the function's place in its module.

export interface VsaModule {
  readonly id: number;
  readonly name: string;
  readonly provided: boolean;
  /** the routes of the module (below /api/v1.0); `*` matches the rest of the path */
  readonly routes: readonly (readonly [method: string, path: string])[];
}

const ALL = ['GET', 'PUT', 'POST', 'DELETE'] as const;
const any = (path: string) => ALL.map((m) => [m, path] as const);

export const MODULES: readonly VsaModule[] = [
  { id: 1, name: 'Core', provided: true, routes: [] },
  { id: 2, name: 'Agent', provided: true, routes: [] },
  { id: 3, name: 'Patch Management', provided: true, routes: [] },
  { id: 4, name: 'Audit', provided: true, routes: [] },
  { id: 5, name: 'Agent Procedures', provided: true, routes: [] },
  {
    id: 20,
    name: 'Remote Control',
    provided: false,
    routes: [
      ...any('/remotecontrol/*'),
      ['GET', '/assetmgmt/logs/:agentId/remotecontrol'],
      ['GET', '/assetmgmt/logs/:agentId/legacyremotecontrol'],
      ['PUT', '/assetmgmt/agent/:agentId/KLCAuditLogEntry'],
    ],
  },
  {
    id: 21,
    name: 'Documents and File Transfer',
    provided: false,
    routes: [
      ...any('/assetmgmt/documents/*'),
      ...any('/assetmgmt/getfiles/*'),
      ...any('/assetmgmt/customextensions/*'),
    ],
  },
  { id: 22, name: 'Kaseya Cloud Backup (KCB)', provided: false, routes: any('/kcb/*') },
  { id: 23, name: 'Service Desk', provided: false, routes: any('/automation/servicedesk/*') },
  { id: 24, name: 'Info Center', provided: false, routes: any('/infocenter/*') },
  { id: 25, name: 'Navigation Header', provided: false, routes: any('/navigation/*') },
  {
    id: 26,
    name: 'Agent Packages (package links)',
    provided: false,
    routes: [
      ['GET', '/assetmgmt/assets/packages'],
      ['POST', '/assetmgmt/assets/packages'],
      ['DELETE', '/assetmgmt/agents/packages/:packageId'],
      ['POST', '/agent/packagelink'],
      ['GET', '/agent/:partitionId/deploypagecustomization'],
    ],
  },
  {
    id: 27,
    name: 'Monitoring and Agent Logs (event logs, monitor actions, network statistics, uptime)',
    provided: false,
    routes: [
      ['GET', '/assetmgmt/logs/:agentId/monitoractions'],
      ['GET', '/assetmgmt/logs/:agentId/networkstats'],
      ['GET', '/assetmgmt/logs/:agentId/logmonitoring'],
      ['GET', '/assetmgmt/logs/:agentId/eventlog/:logType'],
      ['GET', '/assetmgmt/agents/uptime/:since'],
      ['GET', '/assetmgmt/agentsonnetwork/:networkId'],
      ['GET', '/assetmgmt/connectiongatewayips'],
    ],
  },
  {
    id: 28,
    name: 'Agent Settings and Notes',
    provided: false,
    routes: [
      ['GET', '/assetmgmt/agent/:agentId/settings'],
      ['PUT', '/assetmgmt/agent/:agentId/settings/userprofile'],
      ['PUT', '/assetmgmt/agents/:agentId/settings/tempdir'],
      ['PUT', '/assetmgmt/agent/:agentId/settings/checkincontrol'],
      ['GET', '/assetmgmt/agent/:agentId/twofasettings'],
      ['GET', '/assetmgmt/agent/notes'],
      ['PUT', '/assetmgmt/agent/notes'],
      ['POST', '/assetmgmt/agent/:agentId/note'],
      ['DELETE', '/assetmgmt/agent/note/:noteId'],
    ],
  },
  {
    id: 29,
    name: 'Email, Notifications and Two-Factor Sign-In',
    provided: false,
    routes: [
      ['POST', '/email'],
      ['POST', '/notification'],
      ['GET', '/authx'],
    ],
  },
];

/** a module by the id in a path; text that is no module id names none (false, not an error) */
export const moduleById = (text: string): VsaModule | undefined =>
  /^\d{1,9}$/.test(text) ? MODULES.find((m) => m.id === Number(text)) : undefined;

/** the provided module a route of the face belongs to, by its path below the prefix */
export function moduleOfPath(path: string): number {
  if (path.startsWith('/assetmgmt/patch')) return 3;
  if (path.startsWith('/assetmgmt/audit')) return 4;
  if (path.toLowerCase().startsWith('/automation/agentprocs')) return 5;
  if (path.startsWith('/assetmgmt/')) return 2;
  return 1;
}

/**
 * The function ids of the provided modules (of one, or all): module id × 1000 + the place of the route
 * among its module's routes (`METHOD path`, in the order the face registered them).
 */
export function functionIds(routes: readonly string[], moduleId?: number): number[] {
  const counts = new Map<number, number>();
  const out: number[] = [];
  for (const r of routes) {
    const m = moduleOfPath(r.slice(r.indexOf(' ') + 1));
    const n = (counts.get(m) ?? 0) + 1;
    counts.set(m, n);
    if (moduleId === undefined || moduleId === m) out.push(m * 1000 + n);
  }
  return out.sort((a, b) => a - b);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the VSA module a Kaseya route answers 501 for (modules.ts) */
    vsaModule?: number;
  }
}
