// The macOS backend: `softwareupdate --list` / `--install LABEL`. Apple publishes no classification in the
// tool's output, only "Recommended" and "Action: restart|shut down".
import { failedInstall, succeededInstall } from './results.ts';
import { spawnRunner } from './runner.ts';
import {
  CommandFailedError,
  lastMeaningfulLine,
  type AvailableUpdate,
  type Backend,
  type CommandRunner,
  type InstallRequest,
  type InstallResult,
  type RebootBehaviour,
  type RebootState,
  type ScanOptions,
  type ScanResult,
  type UpdateClassification,
} from './types.ts';

export interface SoftwareUpdateItem {
  /** what `--install` takes; kept exactly as printed (Apple labels can end in a space) */
  readonly label: string;
  readonly title: string;
  readonly version: string;
  readonly sizeBytes?: number;
  readonly recommended: boolean;
  readonly action: 'none' | 'restart' | 'shut down';
}

const KB = 1024;

/**
 * Parses `softwareupdate --list` in the 10.15+ format (`* Label: X` + `Title: …, Version: …, Size: …K,
 * Recommended: YES, Action: restart,`) and the ≤ 10.14 format (`   * label` + `title (version), 1234K
 * [recommended] [restart]`). A `-` bullet instead of `*` means not recommended.
 */
export function parseSoftwareUpdateList(text: string): SoftwareUpdateItem[] {
  const out: SoftwareUpdateItem[] = [];
  const lines = text.replace(/\r/g, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const modern = /^([*-]) Label: (.*)$/.exec(line);
    if (modern) {
      const detail = lines[i + 1] ?? '';
      const fields = new Map<string, string>();
      for (const part of detail.trim().split(/,\s*/)) {
        const colon = part.indexOf(':');
        if (colon > 0) fields.set(part.slice(0, colon).trim(), part.slice(colon + 1).trim());
      }
      const size = /^(\d+)\s*(KiB|K|MiB|M)?$/.exec(fields.get('Size') ?? '');
      const action = (fields.get('Action') ?? '').toLowerCase();
      out.push({
        label: modern[2]!,
        title: fields.get('Title') ?? modern[2]!.trim(),
        version: fields.get('Version') ?? '',
        ...(size ? { sizeBytes: Number(size[1]) * (size[2]?.startsWith('M') ? KB * KB : KB) } : {}),
        recommended: modern[1] === '*' && (fields.get('Recommended') ?? 'YES').toUpperCase() === 'YES',
        action: action === 'restart' ? 'restart' : action === 'shut down' ? 'shut down' : 'none',
      });
      i++;
      continue;
    }
    const legacy = /^ {3}([*-]) (.*)$/.exec(line);
    if (legacy) {
      const detail = (lines[i + 1] ?? '').trim();
      const m = /^(.*?),? \(([^)]*)\),? (\d+)K(.*)$/.exec(detail);
      out.push({
        label: legacy[2]!,
        title: m ? m[1]! : legacy[2]!.trim(),
        version: m ? m[2]!.trim() : '',
        ...(m ? { sizeBytes: Number(m[3]) * KB } : {}),
        recommended: legacy[1] === '*' && (m ? /\[recommended\]/.test(m[4]!) : true),
        action:
          m && /\[restart\]/.test(m[4]!)
            ? 'restart'
            : m && /\[shut down\]/.test(m[4]!)
              ? 'shut down'
              : 'none',
      });
      i++;
    }
  }
  return out;
}

const SECURITY_TITLE = /Security Update|Security Response|XProtect|MRTConfigData|Gatekeeper/i;

/** Apple says nothing about security in this output; the title is the only hint. */
export function softwareUpdateClassification(item: SoftwareUpdateItem): UpdateClassification {
  if (SECURITY_TITLE.test(item.title)) return 'security';
  return item.recommended ? 'other' : 'feature';
}

const rebootOf = (a: SoftwareUpdateItem['action']): RebootBehaviour =>
  a === 'restart' ? 'required' : a === 'shut down' ? 'shutdown' : 'never';

/** `sysctl -n kern.boottime`: `{ sec = 1725870000, usec = 123 } Mon Sep  9 …` → epoch ms. */
export function parseBootTime(text: string): number | null {
  const m = /sec = (\d+)/.exec(text);
  return m ? Number(m[1]) * 1000 : null;
}

export interface MacOsBackendOptions {
  readonly runner?: CommandRunner;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

export class MacOsBackend implements Backend {
  readonly name = 'macos' as const;
  private readonly run: CommandRunner;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  /** installs that asked for a restart, with when they finished (until the machine boots after that) */
  private readonly restarts: { label: string; at: number }[] = [];

  constructor(opts: MacOsBackendOptions = {}) {
    this.run = opts.runner ?? spawnRunner;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 3 * 60 * 60_000;
  }

  private async list(): Promise<SoftwareUpdateItem[]> {
    const r = await this.run('softwareupdate', ['--list'], { timeoutMs: this.timeoutMs });
    if (r.code !== 0) throw new CommandFailedError('softwareupdate', ['--list'], r);
    // "No new software available." goes to stderr with exit 0: an empty list
    return parseSoftwareUpdateList(r.stdout);
  }

  /** softwareupdate always asks Apple's catalog; there is no separate refresh. */
  async scan(_options: ScanOptions = {}): Promise<ScanResult> {
    const items = await this.list();
    const updates: AvailableUpdate[] = items.map((i) => ({
      id: i.label,
      kind: 'label',
      name: i.label,
      title: i.title,
      installedVersion: null,
      version: i.version,
      source: 'Apple Software Update',
      classification: softwareUpdateClassification(i),
      advisoryIds: [],
      cves: [],
      reboot: rebootOf(i.action),
      ...(i.sizeBytes !== undefined ? { sizeBytes: i.sizeBytes } : {}),
    }));
    return { backend: 'macos', updates, inventory: [], warnings: [] };
  }

  /** One `softwareupdate --install LABEL` each, then one listing to check that they are gone. */
  async install(requests: readonly InstallRequest[]): Promise<InstallResult[]> {
    const ran: { req: InstallRequest; code: number; out: string }[] = [];
    for (const req of requests) {
      const r = await this.run('softwareupdate', ['--install', req.name], { timeoutMs: this.timeoutMs });
      ran.push({ req, code: r.code, out: `${r.stdout}\n${r.stderr}` });
    }
    const remaining = new Map((await this.list()).map((i) => [i.label, i]));
    return ran.map(({ req, code, out }) => {
      const still = remaining.get(req.name);
      const restart =
        /restart|Please restart immediately/i.test(out) && !/No updates are available/i.test(out);
      if (code !== 0 || still)
        return failedInstall(
          req,
          code !== 0
            ? lastMeaningfulLine(out) || `softwareupdate exited with ${code}`
            : `${req.name} is still offered after installing${lastMeaningfulLine(out) ? `: ${lastMeaningfulLine(out)}` : ''}`,
          code,
        );
      if (restart) this.restarts.push({ label: req.name, at: this.now() });
      return succeededInstall(req, code, `${req.name} installed`, req.version ?? null, restart);
    });
  }

  /** Pending when an install that asked for a restart finished after the last boot. */
  async rebootRequired(): Promise<RebootState> {
    if (this.restarts.length === 0) return { required: false, packages: [] };
    const r = await this.run('sysctl', ['-n', 'kern.boottime']);
    const boot = r.code === 0 ? parseBootTime(r.stdout) : null;
    const pending = this.restarts.filter((x) => boot === null || x.at > boot);
    this.restarts.splice(0, this.restarts.length, ...pending);
    return { required: pending.length > 0, packages: pending.map((p) => p.label) };
  }
}
