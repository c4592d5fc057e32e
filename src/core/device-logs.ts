// Which events of a device make up each of its logs (Kaseya's agent logs, issue #16), decided once here:
// an entry ending in '.' is a prefix of event kinds, any other an exact kind.
// - agent: the agent's own life: enrolment, credential and clone events, the jobs it received and ran.
// - procedure: every step of every script run on the device (queued, started, finished, cancelled,
//   refused while the organization's switch was off).
// - configuration: changes people made to the device and what it should do: its record (name, group,
//   zone), approvals set or cleared on it, tasks and task instances that name it.
export const DEVICE_LOGS = {
  agent: ['device.enrolled', 'device.created', 'device.clone_suspected', 'device.credential_rotated', 'job.'],
  procedure: ['script.'],
  configuration: ['device.updated', 'approval.', 'task.', 'task_instance.'],
} as const satisfies Record<string, readonly string[]>;

export type DeviceLog = keyof typeof DEVICE_LOGS;
