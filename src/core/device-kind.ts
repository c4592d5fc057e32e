// Whether a device serves or is used at a desk, for the dialects that list servers and workstations
// apart (N-sight's list_servers / list_workstations). Patchline keeps no such flag: it follows from the
// operating system the agent reports. Windows is a server when its name says so (Windows Server 2022);
// Linux devices are servers (the agents Patchline ships for Linux run on servers); macOS and anything
// else are workstations.

export const DEVICE_KINDS = ['server', 'workstation'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export function deviceKind(
  osFamily: string | null | undefined,
  osName: string | null | undefined,
): DeviceKind {
  const family = (osFamily ?? '').toLowerCase();
  if (family === 'linux') return 'server';
  if (family === 'windows') return /\bserver\b/i.test(osName ?? '') ? 'server' : 'workstation';
  return 'workstation';
}
