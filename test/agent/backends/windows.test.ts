import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  WindowsUpdateBackend,
  parseWuaOutput,
  powershellArgs,
  wuaScript,
} from '../../../src/agent/backends/windows.ts';
import { fixture, replayRunner } from './replay.ts';

const decode = (args: readonly string[]) => Buffer.from(args.at(-1)!, 'base64').toString('utf16le');

describe('Windows Update script', () => {
  it('searches IsInstalled=0 and IsHidden=0 through the COM API, downloads, installs and checks reboot', () => {
    const s = wuaScript('install', ['6c7bd3a3-2c4e-4a8b-9d37-5e2f1f0b7a11']);
    assert.match(s, /^\$Mode = 'install'\n\$UpdateIds = @\('6c7bd3a3-2c4e-4a8b-9d37-5e2f1f0b7a11'\)/);
    for (const part of [
      'New-Object -ComObject Microsoft.Update.Session',
      "Search('IsInstalled=0 and IsHidden=0')",
      'CreateUpdateDownloader()',
      'CreateUpdateInstaller()',
      'Microsoft.Update.SystemInfo',
      'ConvertTo-Json',
    ])
      assert.ok(s.includes(part), part);
  });
  it('refuses anything but a GUID as an UpdateID (no script injection)', () => {
    assert.throws(
      () => wuaScript('install', ["x'); Remove-Item C:\\ -Recurse; ('"]),
      /not a Windows Update UpdateID/,
    );
  });
  it('passes the script as -EncodedCommand in UTF-16LE base64', () => {
    const args = powershellArgs('Write-Output "zażółć"');
    assert.deepEqual(args.slice(0, 5), [
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
    ]);
    assert.equal(decode(args), 'Write-Output "zażółć"');
  });
});

describe('Windows Update output', () => {
  it('maps the scan: KB, classification, MSRC severity, CVEs, reboot behaviour', async () => {
    const { runner, calls } = replayRunner([
      {
        match: ['powershell.exe', '-EncodedCommand'],
        result: { stdout: fixture('windows/wua-scan.windows-11-24h2.own.json') },
      },
    ]);
    const scan = await new WindowsUpdateBackend({ runner }).scan();
    assert.match(decode(calls[0]!.args), /^\$Mode = 'scan'/);
    assert.deepEqual(
      scan.updates.map((u) => [u.name, u.classification, u.severity ?? null, u.reboot, u.cves.length]),
      [
        ['KB5077181', 'security', 'important', 'required', 2],
        ['KB890830', 'bugfix', null, 'never', 0],
        ['KB2267602', 'other', null, 'never', 0],
        ['Intel - System - 2135.2.2.0', 'other', null, 'may', 0],
      ],
    );
    const cu = scan.updates[0]!;
    assert.equal(cu.id, '6c7bd3a3-2c4e-4a8b-9d37-5e2f1f0b7a11');
    assert.equal(cu.kind, 'kb');
    assert.equal(cu.sizeBytes, 3391234567);
    assert.deepEqual(cu.advisoryIds, ['KB5077181']);
  });

  it('turns a failed search into an error with the HRESULT in hex', async () => {
    const { runner } = replayRunner([
      { match: ['powershell.exe'], result: { stdout: fixture('windows/wua-scan-error.own.json') } },
    ]);
    await assert.rejects(new WindowsUpdateBackend({ runner }).scan(), /0x8024402C/);
  });

  it('reports each update: installed (with reboot), install failed, download failed, not offered', async () => {
    const { runner, calls } = replayRunner([
      {
        match: ['powershell.exe'],
        result: { stdout: fixture('windows/wua-install.windows-11-24h2.own.json') },
      },
    ]);
    const ids = [
      '6c7bd3a3-2c4e-4a8b-9d37-5e2f1f0b7a11',
      '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
      '11112222-3333-4444-5555-666677778888',
      '22223333-4444-5555-6666-777788889999',
      'KB5077181',
    ];
    const results = await new WindowsUpdateBackend({ runner }).install(ids.map((id) => ({ id, name: id })));
    assert.deepEqual(
      results.map((r) => [r.status, r.rebootRequired, r.exitCode]),
      [
        ['succeeded', true, 0],
        ['failed', false, -2145124329],
        ['failed', false, -2145107924],
        ['failed', false, null],
        ['failed', false, null],
      ],
    );
    assert.match(results[1]!.message, /install failed \(0x80240017\)/);
    assert.match(results[2]!.message, /download failed \(0x8024402C\)/);
    assert.match(results[3]!.message, /no longer offered/);
    assert.match(results[4]!.message, /not a Windows Update UpdateID/);
    assert.equal(calls.length, 1);
    assert.match(
      decode(calls[0]!.args),
      /\$UpdateIds = @\('6c7bd3a3[^)]*'22223333-4444-5555-6666-777788889999'\)/,
    );
  });

  it('reads the reboot state, BOM and CRLF included', async () => {
    const { runner } = replayRunner([
      { match: ['powershell.exe'], result: { stdout: fixture('windows/wua-reboot.own.json') } },
    ]);
    assert.deepEqual(await new WindowsUpdateBackend({ runner }).rebootRequired(), {
      required: true,
      packages: [],
    });
  });

  it('accepts single values where PowerShell unwrapped a one-element array', () => {
    const out = parseWuaOutput(
      '{"mode":"scan","updates":{"updateId":"a","revision":1,"title":"t","kbArticleIds":"KB1","securityBulletinIds":null,"cveIds":"CVE-2026-1","msrcSeverity":"","categories":{"name":"Updates","type":"UpdateClassification"},"rebootBehavior":0,"canRequestUserInput":false,"isDownloaded":false,"maxDownloadSize":1,"lastDeploymentChangeTime":"x"}}',
    );
    assert.equal(out.updates!.length, 1);
    assert.deepEqual(out.updates![0]!.kbArticleIds, ['KB1']);
    assert.deepEqual(out.updates![0]!.securityBulletinIds, []);
    assert.equal(out.updates![0]!.categories[0]!.name, 'Updates');
  });

  it('fails clearly when powershell prints no JSON', async () => {
    const { runner } = replayRunner([
      { match: ['powershell.exe'], result: { code: 1, stderr: 'powershell.exe: not found' } },
    ]);
    await assert.rejects(
      new WindowsUpdateBackend({ runner }).scan(),
      /exited with code 1: powershell.exe: not found/,
    );
  });
});
