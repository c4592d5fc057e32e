// What a backend reports besides its scan: the result of each install, and warnings.
import { lastMeaningfulLine, type InstallRequest, type InstallResult, type RunResult } from './types.ts';

/** A command whose failure is only a warning (a refresh): what the scan reports. */
export function exitWarning(command: string, result: RunResult): string {
  return `${command} exited with ${result.code}: ${lastMeaningfulLine(result.stderr)}`;
}

// ---- install results ----

/** An install that failed, or was refused before it ran: no reboot is owed to it. */
export function failedInstall(
  u: Pick<InstallRequest, 'id' | 'name'>,
  message: string,
  exitCode: number | null,
  newVersion: string | null = null,
): InstallResult {
  return { id: u.id, name: u.name, status: 'failed', exitCode, message, newVersion, rebootRequired: false };
}

/** An install that succeeded. */
export function succeededInstall(
  u: Pick<InstallRequest, 'id' | 'name'>,
  exitCode: number | null,
  message: string,
  newVersion: string | null,
  rebootRequired: boolean,
): InstallResult {
  return { id: u.id, name: u.name, status: 'succeeded', exitCode, message, newVersion, rebootRequired };
}
