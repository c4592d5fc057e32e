// The scan report's shaping is shared with the demo's simulated machines: it lives in core.
export {
  deltaOf,
  reportedUpdate,
  scanToReport,
  snapshotOf,
  updateKey,
  updateKind,
  type Snapshot,
} from '../core/simulation/report.ts';
