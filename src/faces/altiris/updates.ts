import { stagingOf } from '../../services/staging.ts';
import { renderGuids } from './guids.ts';
import type { Call } from './table.ts';
import { DomainError, notFound } from '../../core/errors.ts';

/** the updates, each existing for the caller (a fault naming the first unknown GUID otherwise) */
export async function checkUpdates(call: Call, ids: number[], param: string): Promise<number[]> {
  for (const id of ids) {
    try {
      await stagingOf(call.ctx, id, call.env);
    } catch (e) {
      if (e instanceof DomainError && e.kind === 'not_found')
        throw notFound(`software update (${param})`, renderGuids('update', [id]));
      throw e;
    }
  }
  return ids;
}
