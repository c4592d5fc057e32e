import type { Db } from '../db.ts';

/** links updates to CVEs, creating CVE rows that are not known yet */
export async function linkUpdateCves(db: Db, links: { updateId: number; cve: string }[]) {
  if (!links.length) return;
  const cves = [...new Set(links.map((l) => l.cve))];
  await db
    .insertInto('cves')
    .values(cves.map((id) => ({ id })))
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  await db
    .insertInto('update_cves')
    .values(links.map((l) => ({ update_id: l.updateId, cve_id: l.cve })))
    .onConflict((oc) => oc.columns(['update_id', 'cve_id']).doNothing())
    .execute();
}
