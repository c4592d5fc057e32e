import { DEVICE_LOGS, type DeviceLog } from '../core/device-logs.ts';
import type { ListQuery, Listed } from '../core/query.ts';
import { queryDeviceLog as logRows, type DeviceLogEntry } from '../store/repos/events-repo.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';

// A device's logs, read from the event log (which events make up each log: core/device-logs.ts).

export type { DeviceLog, DeviceLogEntry };

/** one log of a device in scope, as a list query (fields: see store queryDeviceLog) */
export async function queryDeviceLog(
  ctx: Context,
  deviceId: number,
  log: DeviceLog,
  q: ListQuery,
): Promise<Listed<DeviceLogEntry>> {
  ctx.authorize('read');
  await visibleDevice(ctx, deviceId);
  return logRows(ctx.store.db, deviceId, DEVICE_LOGS[log], q);
}
