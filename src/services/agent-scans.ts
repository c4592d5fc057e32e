import { getDevice } from '../store/repos/devices-repo.ts';
import type { Row } from '../store/schema.ts';
import type { ScanRequest } from '../wire/agent.ts';
import { touchCached } from './agent-devices.ts';
import type { Context } from './context.ts';
import { ingestScan } from './scans.ts';

/**
 * A scan report. Sequence numbers make a lost or repeated message visible: a full snapshot is always
 * taken; a delta must follow the last applied report exactly, a repeated one is acknowledged and
 * ignored, and after a gap the agent is told to send a full snapshot.
 */
export async function reportScan(ctx: Context, device: Row<'devices'>, r: ScanRequest) {
  const fresh = await getDevice(ctx.store.db, device.id);
  const current = fresh?.scan_sequence ?? 0;
  if (r.sequence <= current)
    return { accepted: false, duplicate: true, scanSequence: current, needFull: false };
  if (!r.full && r.sequence !== current + 1)
    return { accepted: false, duplicate: false, scanSequence: current, needFull: true };
  // the sequence number is stored in the report's transaction: acknowledged means stored, all of it
  const result = await ingestScan(ctx, fresh ?? device.id, {
    full: r.full,
    updates: r.updates,
    rebootRequired: r.rebootRequired,
    sequence: r.sequence,
  });
  touchCached(ctx.store, device.id, { scan_sequence: r.sequence });
  return { accepted: true, duplicate: false, scanSequence: r.sequence, needFull: false, ...result };
}
