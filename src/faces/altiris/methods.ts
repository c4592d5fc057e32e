import { catalogMethods } from './catalog.ts';
import { importMethods } from './imports.ts';
import { pluginMethods } from './plugin.ts';
import { policyMethods } from './policies.ts';
import { privilegeMethods } from './privileges.ts';
import { propertyMethods } from './properties.ts';
import { stagingMethods } from './staging.ts';
import { taskMethods } from './tasks.ts';
import type { Method } from './table.ts';

// The 59 web methods of PatchWorkflowSvc (seed 000), grouped as the seed groups them; the WSDL lists them
// in the seed's (alphabetical) order.

export const METHODS: readonly Method[] = [
  ...catalogMethods,
  ...stagingMethods,
  ...policyMethods,
  ...taskMethods,
  ...privilegeMethods,
  ...propertyMethods,
  ...pluginMethods,
  ...importMethods,
].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const BY_NAME = new Map(METHODS.map((m) => [m.name, m]));

/** a method by its exact name (ASMX names are case-sensitive) */
export const methodNamed = (name: string): Method | undefined => BY_NAME.get(name);
