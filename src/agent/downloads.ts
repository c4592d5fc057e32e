// Package downloads: an update's package by its SHA-256, from the relays the settings name, the server,
// or the vendor's address when allowed, into a private folder until it is installed.
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentSettings, RelaySource } from '../core/agent-settings/model.ts';
import { downloadPackage, type DownloadSource } from './client.ts';
import type { JobUpdate } from './installs.ts';
import { DEFAULT_RELAY_PORT, type AgentRuntime } from './runtime.ts';

const PKG_FILE = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,200}$/;

export function relayUrl(rt: AgentRuntime, relay: RelaySource, sha256: string): string {
  if (rt.o.relayUrl) return rt.o.relayUrl(relay, sha256);
  const host = relay.hostname || relay.ipAddresses[0] || relay.name;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${h}:${rt.o.relayPort ?? DEFAULT_RELAY_PORT}/agent/v1/packages/${sha256}`;
}

/** downloads an update's package by hash from the settings' sources into a file; returns its path */
export async function fetchPackage(rt: AgentRuntime, w: JobUpdate, s: AgentSettings | null): Promise<string> {
  const pkg = w.package!;
  const sources: DownloadSource[] = [
    ...(s?.packageSources.relays ?? []).map((r) => ({
      kind: 'relay' as const,
      url: relayUrl(rt, r, pkg.sha256),
    })),
    { kind: 'server', url: rt.o.client.packageUrl(pkg.sha256) },
    ...(pkg.sourceUrl ? [{ kind: 'direct' as const, url: pkg.sourceUrl }] : []),
  ];
  const got = await downloadPackage(pkg.sha256, sources, {
    allowDirect: s?.packageSources.directDownload ?? true,
    ...(rt.o.client.credential ? { credential: rt.o.client.credential } : {}),
    ...(rt.o.fetch ? { fetch: rt.o.fetch } : {}),
  });
  for (const a of got.attempts) rt.log(`package ${pkg.sha256.slice(0, 12)}: ${a.kind} ${a.url}: ${a.error}`);
  const dir = join(rt.o.downloadDir ?? tmpdir(), `patchline-${pkg.sha256.slice(0, 16)}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const fromUrl = pkg.sourceUrl
    ? decodeURIComponent(new URL(pkg.sourceUrl).pathname.split('/').pop() ?? '')
    : '';
  const ext = rt.o.backend.name === 'apt' ? 'deb' : rt.o.backend.name === 'simulated' ? 'pkg' : 'rpm';
  const name = PKG_FILE.test(fromUrl)
    ? fromUrl
    : `${(w.packageName ?? w.name).replace(/[^A-Za-z0-9.+~-]/g, '_')}_${(w.version ?? '').replace(/[^A-Za-z0-9.+~-]/g, '_')}.${ext}`;
  const file = join(dir, name);
  await writeFile(file, got.bytes, { mode: 0o600 });
  rt.log(`package ${pkg.sha256.slice(0, 12)} (${w.name}) from ${got.source.kind} ${got.source.url}`);
  return file;
}
