/** Patchline's version, as the CLI, the API and the console report it */
export const VERSION = '0.1.0';
