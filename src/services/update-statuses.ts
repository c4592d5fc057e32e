import {
  COMPLIANCE_BUCKETS,
  HISTORY,
  IN_FLIGHT,
  INSTALLABLE,
  INSTALLED,
  NOT_INSTALLED,
  OUTSTANDING,
  SETTLED,
  UPDATE_STATUSES,
} from '../core/status.ts';
import type { Context } from './context.ts';

/** the statuses of a device's update and their named groups, as core defines them (any reader may ask) */
export function updateStatusGroups(ctx: Context) {
  ctx.authorize('read');
  return {
    statuses: [...UPDATE_STATUSES],
    groups: {
      outstanding: [...OUTSTANDING],
      inFlight: [...IN_FLIGHT],
      notInstalled: [...NOT_INSTALLED],
      installable: [...INSTALLABLE],
      installed: [...INSTALLED],
      history: [...HISTORY],
      settled: [...SETTLED],
      complianceBuckets: Object.fromEntries(
        Object.entries(COMPLIANCE_BUCKETS).map(([b, ss]) => [b, [...ss]]),
      ),
    },
  };
}
