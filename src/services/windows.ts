// Maintenance windows, one module per seam: the windows themselves and their assignments
// (windows-crud.ts), gating installs (windows-gate.ts) and the calendar of occurrences
// (windows-occurrences.ts). This module gathers them for the faces, the engine and the agent service.
export * from './windows-crud.ts';
export * from './windows-gate.ts';
export * from './windows-occurrences.ts';
export { parseWindowSettings } from '../core/windows/parse.ts';
