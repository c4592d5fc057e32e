// Scan reports for the ingest benches: a fleet of Debian machines that share one catalog (the same 300
// packages, as machines of one distribution do), each with its own installed versions; on release day
// every machine reports the same 20 new security updates as missing.
import type { ReportedUpdate } from '../src/wire/agent.ts';

/** update `i` of the catalog, as machine `device` reports it (missing: its version is older) */
export function reportedUpdate(i: number, device: number, release = 0): ReportedUpdate {
  const security = i % 5 === 0;
  return {
    kind: 'deb',
    name: release ? `rel${release}-pkg${i}` : `pkg${i}`,
    version: `1.${i}.${release}-1+deb12u1`,
    architecture: 'amd64',
    isSecurity: security,
    ...(security
      ? { severity: i % 3 ? 'high' : 'medium', cves: [`CVE-2026-${10000 + i + release * 1000}`] }
      : {}),
    sizeBytes: 10_000 + i,
    // the first third installed, the rest missing (varied by machine, so rows are not all alike)
    detection: (i + device) % 3 === 0 ? 'installed' : 'missing',
    installedVersion: `1.${i}.0-${device % 7}`,
  };
}

/** a full snapshot of `n` updates */
export const fullScan = (device: number, n: number): ReportedUpdate[] =>
  Array.from({ length: n }, (_, i) => reportedUpdate(i, device));

/** release day: `n` new updates, all missing */
export const releaseDay = (device: number, n: number, release = 1): ReportedUpdate[] =>
  Array.from({ length: n }, (_, i) => ({ ...reportedUpdate(i, device, release), detection: 'missing' }));
