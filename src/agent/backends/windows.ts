// The Windows Update Agent backend: a PowerShell script drives the COM API (Microsoft.Update.Session)
// and prints one JSON document, which this module parses. Nothing here needs Windows except running it.
import { failedInstall, succeededInstall } from './results.ts';
import { spawnRunner } from './runner.ts';
import {
  CommandFailedError,
  type AvailableUpdate,
  type Backend,
  type CommandRunner,
  type InstallRequest,
  type InstallResult,
  type RebootBehaviour,
  type RebootState,
  type ScanOptions,
  type ScanResult,
  type Severity,
  type UpdateClassification,
} from './types.ts';

/**
 * The script. The agent prepends `$Mode = 'scan'|'install'|'reboot'` and `$UpdateIds = @(...)`
 * (UpdateIDs are GUIDs, checked before they are written into the script).
 */
export const WUA_SCRIPT = String.raw`
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8

function Get-RebootPending {
  $pending = (New-Object -ComObject Microsoft.Update.SystemInfo).RebootRequired
  if (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') { $pending = $true }
  if (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') { $pending = $true }
  return [bool]$pending
}

function Convert-Update($u) {
  [ordered]@{
    updateId = [string]$u.Identity.UpdateID
    revision = [int]$u.Identity.RevisionNumber
    title = [string]$u.Title
    kbArticleIds = @($u.KBArticleIDs | ForEach-Object { 'KB' + $_ })
    securityBulletinIds = @($u.SecurityBulletinIDs | ForEach-Object { [string]$_ })
    cveIds = @($u.CveIDs | ForEach-Object { [string]$_ })
    msrcSeverity = [string]$u.MsrcSeverity
    categories = @($u.Categories | ForEach-Object { [ordered]@{ name = [string]$_.Name; type = [string]$_.Type } })
    rebootBehavior = [int]$u.InstallationBehavior.RebootBehavior
    canRequestUserInput = [bool]$u.InstallationBehavior.CanRequestUserInput
    isDownloaded = [bool]$u.IsDownloaded
    maxDownloadSize = [int64]$u.MaxDownloadSize
    lastDeploymentChangeTime = $u.LastDeploymentChangeTime.ToUniversalTime().ToString('o')
  }
}

$out = [ordered]@{ mode = $Mode }
try {
  $session = New-Object -ComObject Microsoft.Update.Session
  $session.ClientApplicationID = 'Patchline'
  if ($Mode -eq 'scan' -or $Mode -eq 'install') {
    $searcher = $session.CreateUpdateSearcher()
    $search = $searcher.Search('IsInstalled=0 and IsHidden=0')
    $out.searchResultCode = [int]$search.ResultCode
  }
  if ($Mode -eq 'scan') {
    $out.updates = @($search.Updates | ForEach-Object { Convert-Update $_ })
  }
  if ($Mode -eq 'install') {
    $wanted = New-Object -ComObject Microsoft.Update.UpdateColl
    $found = @{}
    foreach ($u in $search.Updates) {
      if ($UpdateIds -contains [string]$u.Identity.UpdateID) {
        if (-not $u.EulaAccepted) { $u.AcceptEula() }
        [void]$wanted.Add($u)
        $found[[string]$u.Identity.UpdateID] = $true
      }
    }
    $out.notFound = @($UpdateIds | Where-Object { -not $found.ContainsKey($_) })
    $results = @()
    if ($wanted.Count -gt 0) {
      $downloader = $session.CreateUpdateDownloader()
      $downloader.Updates = $wanted
      $download = $downloader.Download()
      $out.downloadResultCode = [int]$download.ResultCode
      $ready = New-Object -ComObject Microsoft.Update.UpdateColl
      for ($i = 0; $i -lt $wanted.Count; $i++) { if ($wanted.Item($i).IsDownloaded) { [void]$ready.Add($wanted.Item($i)) } }
      $install = $null
      if ($ready.Count -gt 0) {
        $installer = $session.CreateUpdateInstaller()
        $installer.Updates = $ready
        $install = $installer.Install()
        $out.installResultCode = [int]$install.ResultCode
      }
      $j = 0
      for ($i = 0; $i -lt $wanted.Count; $i++) {
        $u = $wanted.Item($i)
        $d = $download.GetUpdateResult($i)
        $r = [ordered]@{ updateId = [string]$u.Identity.UpdateID; title = [string]$u.Title
          downloadResultCode = [int]$d.ResultCode; resultCode = [int]$d.ResultCode; hResult = [int]$d.HResult; rebootRequired = $false }
        if ($u.IsDownloaded -and $install -ne $null) {
          $x = $install.GetUpdateResult($j); $j++
          $r.resultCode = [int]$x.ResultCode; $r.hResult = [int]$x.HResult; $r.rebootRequired = [bool]$x.RebootRequired
        }
        $results += $r
      }
    }
    $out.results = @($results)
  }
  $out.rebootRequired = Get-RebootPending
} catch {
  $out.error = $_.Exception.Message
  $out.hResult = [int]$_.Exception.HResult
}
$out | ConvertTo-Json -Depth 6 -Compress
`;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The full script for one mode; throws on anything that is not an UpdateID. */
export function wuaScript(mode: 'scan' | 'install' | 'reboot', updateIds: readonly string[] = []): string {
  for (const id of updateIds)
    if (!GUID.test(id)) throw new Error(`"${id}" is not a Windows Update UpdateID (a GUID)`);
  const ids = updateIds.map((id) => `'${id}'`).join(', ');
  return `$Mode = '${mode}'\n$UpdateIds = @(${ids})\n${WUA_SCRIPT}`;
}

/** powershell.exe arguments: the script goes in -EncodedCommand (UTF-16LE base64), so no quoting games. */
export function powershellArgs(script: string): string[] {
  return [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-EncodedCommand',
    Buffer.from(script, 'utf16le').toString('base64'),
  ];
}

// ---- what the script prints ----

export interface WuaCategory {
  readonly name: string;
  readonly type: string;
}

export interface WuaUpdate {
  readonly updateId: string;
  readonly revision: number;
  readonly title: string;
  readonly kbArticleIds: readonly string[];
  readonly securityBulletinIds: readonly string[];
  readonly cveIds: readonly string[];
  readonly msrcSeverity: string;
  readonly categories: readonly WuaCategory[];
  /** 0 NeverReboots, 1 AlwaysRequiresReboot, 2 CanRequestReboot */
  readonly rebootBehavior: number;
  readonly canRequestUserInput: boolean;
  readonly isDownloaded: boolean;
  readonly maxDownloadSize: number;
  readonly lastDeploymentChangeTime: string;
}

export interface WuaUpdateResult {
  readonly updateId: string;
  readonly title: string;
  readonly downloadResultCode: number;
  /** OperationResultCode: 0 NotStarted, 1 InProgress, 2 Succeeded, 3 SucceededWithErrors, 4 Failed, 5 Aborted */
  readonly resultCode: number;
  readonly hResult: number;
  readonly rebootRequired: boolean;
}

export interface WuaOutput {
  readonly mode: string;
  readonly searchResultCode?: number;
  readonly updates?: readonly WuaUpdate[];
  readonly notFound?: readonly string[];
  readonly downloadResultCode?: number;
  readonly installResultCode?: number;
  readonly results?: readonly WuaUpdateResult[];
  readonly rebootRequired?: boolean;
  readonly error?: string;
  readonly hResult?: number;
}

/** Parses the script's JSON (tolerates a UTF-8 BOM and PowerShell's habit of turning `@()` of one into one). */
export function parseWuaOutput(text: string): WuaOutput {
  const start = text.indexOf('{');
  if (start < 0) throw new Error(`the Windows Update script printed no JSON: ${text.trim().slice(0, 200)}`);
  const raw = JSON.parse(text.slice(start)) as Record<string, unknown>;
  const arr = <T>(v: unknown): T[] =>
    v === undefined || v === null ? [] : Array.isArray(v) ? (v as T[]) : [v as T];
  const fixUpdate = (u: WuaUpdate): WuaUpdate => ({
    ...u,
    kbArticleIds: arr(u.kbArticleIds),
    securityBulletinIds: arr(u.securityBulletinIds),
    cveIds: arr(u.cveIds),
    categories: arr(u.categories),
  });
  return {
    ...(raw as unknown as WuaOutput),
    ...(raw.updates !== undefined ? { updates: arr<WuaUpdate>(raw.updates).map(fixUpdate) } : {}),
    ...(raw.results !== undefined ? { results: arr<WuaUpdateResult>(raw.results) } : {}),
    ...(raw.notFound !== undefined ? { notFound: arr<string>(raw.notFound) } : {}),
  };
}

export function msrcSeverity(s: string): Severity | undefined {
  switch (s.toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'important':
      return 'important';
    case 'moderate':
      return 'moderate';
    case 'low':
      return 'low';
    default:
      return undefined;
  }
}

/** From the UpdateClassification category (its name is the English classification name). */
export function wuaClassification(u: WuaUpdate): UpdateClassification {
  const cls = u.categories.find((c) => c.type === 'UpdateClassification')?.name ?? '';
  switch (cls) {
    case 'Security Updates':
      return 'security';
    case 'Critical Updates':
    case 'Updates':
    case 'Update Rollups':
      return 'bugfix';
    case 'Feature Packs':
    case 'Service Packs':
    case 'Upgrades':
      return 'feature';
    default:
      return u.msrcSeverity !== '' ? 'security' : 'other';
  }
}

export function wuaReboot(rebootBehavior: number): RebootBehaviour {
  return rebootBehavior === 0
    ? 'never'
    : rebootBehavior === 1
      ? 'required'
      : rebootBehavior === 2
        ? 'may'
        : 'unknown';
}

export function toAvailableUpdate(u: WuaUpdate): AvailableUpdate {
  const sev = msrcSeverity(u.msrcSeverity);
  return {
    id: u.updateId,
    kind: 'kb',
    name: u.kbArticleIds[0] ?? u.title,
    title: u.title,
    installedVersion: null,
    version: String(u.revision),
    source: 'Windows Update',
    classification: wuaClassification(u),
    ...(sev ? { severity: sev } : {}),
    ...(u.msrcSeverity ? { vendorSeverity: u.msrcSeverity } : {}),
    advisoryIds: [...u.securityBulletinIds, ...u.kbArticleIds],
    cves: u.cveIds,
    reboot: wuaReboot(u.rebootBehavior),
    interactive: u.canRequestUserInput,
    sizeBytes: u.maxDownloadSize,
  };
}

const RESULT_TEXT = ['not started', 'in progress', 'succeeded', 'succeeded with errors', 'failed', 'aborted'];

const hex = (h: number) => `0x${(h >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

export interface WindowsBackendOptions {
  readonly runner?: CommandRunner;
  /** default powershell.exe (Windows PowerShell 5.1, present on every supported Windows) */
  readonly powershell?: string;
  readonly timeoutMs?: number;
}

export class WindowsUpdateBackend implements Backend {
  readonly name = 'windows' as const;
  private readonly run: CommandRunner;
  private readonly opts: WindowsBackendOptions;

  constructor(opts: WindowsBackendOptions = {}) {
    this.opts = opts;
    this.run = opts.runner ?? spawnRunner;
  }

  private async invoke(mode: 'scan' | 'install' | 'reboot', ids: readonly string[] = []): Promise<WuaOutput> {
    const exe = this.opts.powershell ?? 'powershell.exe';
    const args = powershellArgs(wuaScript(mode, ids));
    const r = await this.run(exe, args, { timeoutMs: this.opts.timeoutMs ?? 3 * 60 * 60_000 });
    if (r.code !== 0 && !r.stdout.includes('{'))
      throw new CommandFailedError(exe, [`(Windows Update ${mode})`], r);
    const out = parseWuaOutput(r.stdout);
    return out;
  }

  /** Windows Update refreshes by searching; `refresh` has nothing extra to do. */
  async scan(_options: ScanOptions = {}): Promise<ScanResult> {
    const out = await this.invoke('scan');
    if (out.error) throw new Error(`Windows Update search failed (${hex(out.hResult ?? 0)}): ${out.error}`);
    return {
      backend: 'windows',
      updates: (out.updates ?? []).map(toAvailableUpdate),
      // installed updates are not listed by this search; the inventory is the agent's software list
      inventory: [],
      warnings: out.searchResultCode === 3 ? ['Windows Update search succeeded with errors'] : [],
    };
  }

  async install(requests: readonly InstallRequest[]): Promise<InstallResult[]> {
    const bad = requests.filter((r) => !GUID.test(r.id));
    const good = requests.filter((r) => GUID.test(r.id));
    const results = new Map<string, InstallResult>();
    for (const r of bad)
      results.set(r.id, failedInstall(r, `"${r.id}" is not a Windows Update UpdateID`, null));
    if (good.length > 0) {
      const out = await this.invoke(
        'install',
        good.map((r) => r.id),
      );
      const byId = new Map((out.results ?? []).map((x) => [x.updateId.toLowerCase(), x]));
      for (const r of good) {
        const x = byId.get(r.id.toLowerCase());
        if (out.error && !x) {
          results.set(
            r.id,
            failedInstall(
              r,
              `Windows Update failed (${hex(out.hResult ?? 0)}): ${out.error}`,
              out.hResult ?? null,
            ),
          );
        } else if (!x) {
          results.set(
            r.id,
            failedInstall(r, 'no longer offered by Windows Update (installed, superseded or hidden)', null),
          );
        } else if (x.resultCode === 2 || x.resultCode === 3) {
          results.set(
            r.id,
            succeededInstall(
              r,
              x.hResult,
              `${x.title}: ${RESULT_TEXT[x.resultCode]}`,
              r.version ?? null,
              x.rebootRequired,
            ),
          );
        } else {
          const stage = x.downloadResultCode !== 2 && x.downloadResultCode !== 3 ? 'download' : 'install';
          results.set(
            r.id,
            failedInstall(
              r,
              `${x.title}: ${stage} ${RESULT_TEXT[x.resultCode] ?? `result ${x.resultCode}`} (${hex(x.hResult)})`,
              x.hResult,
            ),
          );
        }
      }
    }
    return requests.map((r) => results.get(r.id)!);
  }

  async rebootRequired(): Promise<RebootState> {
    const out = await this.invoke('reboot');
    if (out.error) throw new Error(`Windows Update reboot check failed: ${out.error}`);
    return { required: out.rebootRequired === true, packages: [] };
  }
}
