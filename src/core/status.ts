import { conflict } from './errors.ts';

// A device's update has a detection state from its last scan and a workflow status.
export const DETECTIONS = ['missing', 'installed', 'not_applicable'] as const;
export type Detection = (typeof DETECTIONS)[number];

export const UPDATE_STATUSES = [
  'missing', // detected missing, no decision to install
  'pending', // approved, waiting for a window or a job
  'queued', // a job to install it exists
  'installing', // the agent reported it started
  'installed',
  'failed',
  'ignored',
  'reboot_required', // installed, takes effect after a reboot
  'not_applicable',
] as const;
export type UpdateStatus = (typeof UPDATE_STATUSES)[number];

export const isUpdateStatus = (s: string): s is UpdateStatus =>
  (UPDATE_STATUSES as readonly string[]).includes(s);

/**
 * Allowed transitions. A scan may always reveal the truth (installed, not applicable, or missing again),
 * so those targets are reachable from every state where the scan can observe them.
 */
const TRANSITIONS: Record<UpdateStatus, readonly UpdateStatus[]> = {
  missing: ['pending', 'queued', 'ignored', 'installed', 'not_applicable'],
  pending: ['missing', 'queued', 'ignored', 'installed', 'not_applicable'],
  queued: [
    'missing',
    'pending',
    'installing',
    'failed',
    'installed',
    'reboot_required',
    'ignored',
    'not_applicable',
  ],
  installing: ['installed', 'failed', 'reboot_required'],
  installed: ['missing', 'not_applicable'],
  failed: ['missing', 'pending', 'queued', 'ignored', 'installed', 'not_applicable'],
  ignored: ['missing', 'pending', 'installed', 'not_applicable'],
  reboot_required: ['installed', 'failed', 'missing'],
  not_applicable: ['missing', 'installed'],
};

export function canTransition(from: UpdateStatus, to: UpdateStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function assertTransition(from: UpdateStatus, to: UpdateStatus): void {
  if (!canTransition(from, to)) throw conflict(`an update cannot go from '${from}' to '${to}'`);
}

export const allowedTransitions = (from: UpdateStatus): readonly UpdateStatus[] => TRANSITIONS[from];

// The named groups of statuses. Every other list of statuses (services, store queries, the API's
// enums, the console, the compliance triggers of migrations 0005 and 0008) derives from these; a test
// (test/store/status-groups.test.ts) checks the migrations' triggers against them.

/** The compliance buckets: every status a device counts in its summary falls in exactly one. */
export const COMPLIANCE_BUCKETS = {
  missing: ['missing'],
  pending: ['pending', 'queued', 'installing'],
  failed: ['failed'],
  installed: ['installed', 'reboot_required'],
} as const satisfies Record<string, readonly UpdateStatus[]>;
export type ComplianceBucket = keyof typeof COMPLIANCE_BUCKETS;
export const BUCKETS = Object.keys(COMPLIANCE_BUCKETS) as ComplianceBucket[];

/** States in which an install is under way: approval changes and retries leave them alone. */
export const IN_FLIGHT: readonly UpdateStatus[] = ['queued', 'installing'];

/**
 * Outstanding: the device still needs this update and nobody decided to leave it: missing, approved
 * and waiting (pending), in flight, or failed. A device with none is fully patched.
 */
export const OUTSTANDING: readonly UpdateStatus[] = [
  ...COMPLIANCE_BUCKETS.missing,
  ...COMPLIANCE_BUCKETS.pending,
  ...COMPLIANCE_BUCKETS.failed,
];

/** Not installed on the device: outstanding, or ignored by a decision (what a "missing patches" list shows). */
export const NOT_INSTALLED: readonly UpdateStatus[] = [...OUTSTANDING, 'ignored'];

/** An install job may be queued for these: at rest and not installed (an ignore is overridden by naming it). */
export const INSTALLABLE: readonly UpdateStatus[] = ['missing', 'pending', 'failed', 'ignored'];

/** Installed, whether or not it still waits for a reboot to take effect. */
export const INSTALLED: readonly UpdateStatus[] = COMPLIANCE_BUCKETS.installed;

/** The outcomes a patch history lists: installs (with or without a pending reboot) and failures. */
export const HISTORY: readonly UpdateStatus[] = [...INSTALLED, 'failed'];

/** Statuses a scan that sees the update installed or not applicable leaves settled. */
export const SETTLED: readonly UpdateStatus[] = ['installed', 'not_applicable'];

export const inGroup = (group: readonly UpdateStatus[], s: string): boolean =>
  (group as readonly string[]).includes(s);

/** The status a scan's detection implies, given the current status and the effective approval. */
export function statusAfterDetection(
  current: UpdateStatus | undefined,
  detection: Detection,
  approval: 'approve' | 'ignore' | 'none' | undefined,
): UpdateStatus {
  if (detection === 'installed') return current === 'reboot_required' ? 'reboot_required' : 'installed';
  if (detection === 'not_applicable') return 'not_applicable';
  // still missing
  if (current && (IN_FLIGHT.includes(current) || current === 'failed')) return current;
  return statusForApproval(approval);
}

/** The resting status of a missing update under an approval decision. */
export function statusForApproval(approval: 'approve' | 'ignore' | 'none' | undefined): UpdateStatus {
  if (approval === 'approve') return 'pending';
  if (approval === 'ignore') return 'ignored';
  return 'missing';
}

/**
 * After an approval change: the new status of a device update, or undefined when it must not move
 * (installed, in flight, failed until retried, not applicable).
 */
export function statusAfterApproval(
  current: UpdateStatus,
  approval: 'approve' | 'ignore' | 'none' | undefined,
): UpdateStatus | undefined {
  if (current !== 'missing' && current !== 'pending' && current !== 'ignored') return undefined;
  const next = statusForApproval(approval);
  return next === current ? undefined : next;
}

/** A retry puts a failed update back to its resting status; anything else is not retryable. */
export function statusAfterRetry(
  current: UpdateStatus,
  approval: 'approve' | 'ignore' | 'none' | undefined,
): UpdateStatus | undefined {
  if (current !== 'failed') return undefined;
  // a retried update is meant to be installed again: it stays approved-pending unless ignored
  return approval === 'ignore' ? 'ignored' : 'pending';
}
