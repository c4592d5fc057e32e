// The native API as server.ts builds it (policies and tasks included).
export { startApp as startPolicyApp } from '../../support/api.ts';
