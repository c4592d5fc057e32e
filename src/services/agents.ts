// The agent's use cases, one module per seam: enrollment (agent-enrollment.ts), the device's credential
// and the idle check-in path (agent-devices.ts), check-in (agent-checkin.ts), scan reports with sequence
// numbers (agent-scans.ts), idempotent job progress and results (agent-jobs.ts). This module gathers them
// for the faces and the server.
export { AGENT_PROTOCOL_VERSION, checkIn, checkInWithCredential } from './agent-checkin.ts';
export {
  admitDevice,
  authenticateDevice,
  closeCheckins,
  deviceActor,
  flushLastSeen,
  forgetDevice,
  LAST_SEEN_FLUSH_MS,
  rotateCredential,
  warmCheckins,
  type Admission,
  type AuthenticatedDevice,
} from './agent-devices.ts';
export {
  createInstallToken,
  enroll,
  listInstallTokens,
  revokeInstallToken,
  type InstallTokenView,
} from './agent-enrollment.ts';
export { deviceMemoryStats } from './device-cache.ts';
export { reportJobProgress, reportJobResult } from './agent-jobs.ts';
export { reportScan } from './agent-scans.ts';
/** an update an install job asks the agent to install (its schema: wire/agent.ts) */
export type { JobUpdate } from '../wire/agent.ts';
