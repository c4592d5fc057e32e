// The states of a task instance (services/tasks.ts runs them; the wire schemas name them).
export const INSTANCE_STATUSES = ['NotStarted', 'Started', 'Completed', 'Failed', 'StopRequested'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];
