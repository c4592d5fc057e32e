import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MacOsBackend, parseBootTime, parseSoftwareUpdateList } from '../../../src/agent/backends/macos.ts';
import { fixture, replayRunner } from './replay.ts';

describe('softwareupdate --list', () => {
  it('reads the 10.15+ format (Catalina), incl. restart, shut down and not-recommended', () => {
    const items = parseSoftwareUpdateList(fixture('macos/softwareupdate-list.catalina-10.15.txt'));
    assert.deepEqual(
      items.map((i) => [i.label, i.title, i.version, i.sizeBytes, i.recommended, i.action]),
      [
        [
          'Command Line Tools beta 5 for Xcode-11.0',
          'Command Line Tools beta 5 for Xcode',
          '11.0',
          224804 * 1024,
          true,
          'none',
        ],
        [
          'macOS Catalina Developer Beta-6',
          'macOS Catalina Public Beta',
          '5',
          3084292 * 1024,
          true,
          'restart',
        ],
        [
          'BridgeOSUpdateCustomer',
          'BridgeOSUpdateCustomer',
          '10.15.0.1.1.1560926689',
          390674 * 1024,
          true,
          'shut down',
        ],
        ['iCal-1.0.2', 'iCal', '1.0.2', 6520 * 1024, false, 'none'],
      ],
    );
  });

  it('reads macOS 12 output with log noise and KiB sizes', () => {
    const items = parseSoftwareUpdateList(fixture('macos/softwareupdate-l.monterey-12.7.6.txt'));
    assert.deepEqual(
      items.map((i) => [i.label, i.version, i.action, i.sizeBytes]),
      [
        ['Safari17.6MontereyAuto-17.6', '17.6', 'none', 152370 * 1024],
        ['macOS Monterey 12.7.6-21H1320', '12.7.6', 'restart', 1765616 * 1024],
        ['macOS Sonoma 14.6.1-23G93', '14.6.1', 'restart', 6327722 * 1024],
      ],
    );
  });

  it('reads the ≤ 10.14 format (Mojave)', () => {
    const items = parseSoftwareUpdateList(fixture('macos/softwareupdate-list.mojave-10.14.txt'));
    assert.deepEqual(
      items.map((i) => [i.label, i.title, i.version, i.recommended, i.action]),
      [
        [
          'Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3',
          'Command Line Tools (macOS Mojave version 10.14) for Xcode',
          '10.3',
          true,
          'none',
        ],
        ['macOS 10.14.1 Update', 'macOS 10.14.1 Update', '10.14.1', true, 'restart'],
        ['BridgeOSUpdateCustomer', 'BridgeOSUpdateCustomer', '10.14.4.1.1.1555388607', true, 'shut down'],
        ['iCal-1.0.2', 'iCal', '1.0.2', false, 'none'],
      ],
    );
  });

  it('keeps a label with a trailing space exactly, and an empty version', () => {
    const [item] = parseSoftwareUpdateList(
      fixture('macos/softwareupdate-list.mojave-10.14.6-supplemental-trailing-ws.txt'),
    );
    assert.equal(item!.label, 'macOS Mojave 10.14.6 Supplemental Update- ');
    assert.equal(item!.version, '');
    assert.equal(item!.action, 'restart');
  });

  it('reads the boot time from sysctl', () => {
    assert.equal(
      parseBootTime('{ sec = 1725870000, usec = 123456 } Mon Sep  9 08:20:00 2024\n'),
      1725870000000,
    );
    assert.equal(parseBootTime('nonsense'), null);
  });
});

describe('macOS backend', () => {
  it('scans with reboot behaviour and a title-based security hint', async () => {
    const { runner } = replayRunner([
      {
        match: ['softwareupdate', '--list'],
        result: { stdout: fixture('macos/softwareupdate-l.monterey-12.7.6.txt') },
      },
    ]);
    const scan = await new MacOsBackend({ runner }).scan();
    assert.deepEqual(
      scan.updates.map((u) => [u.id, u.kind, u.reboot, u.classification]),
      [
        ['Safari17.6MontereyAuto-17.6', 'label', 'never', 'other'],
        ['macOS Monterey 12.7.6-21H1320', 'label', 'required', 'other'],
        ['macOS Sonoma 14.6.1-23G93', 'label', 'required', 'other'],
      ],
    );
  });

  it('installs by label, checks the list afterwards, and tracks the restart until the next boot', async () => {
    let now = 1725870000000 + 60_000;
    const monterey = 'macOS Monterey 12.7.6-21H1320';
    const { runner, calls } = replayRunner([
      {
        match: ['softwareupdate', '--install', monterey],
        result: {
          stdout: `Downloading ${monterey}\nDone with ${monterey}\nDone.\n\nYou have installed one or more updates that requires that you restart your computer.  Please restart immediately.\n`,
        },
      },
      {
        match: ['softwareupdate', '--install', 'Safari17.6MontereyAuto-17.6'],
        result: { code: 0, stdout: 'Done.\n' },
      },
      {
        match: ['softwareupdate', '--install', 'Nope-1.0'],
        result: { code: 1, stderr: 'Nope-1.0: No such update\nNo updates are available.\n' },
      },
      // Safari is still offered: it did not install although the tool said Done
      {
        match: ['softwareupdate', '--list'],
        result: {
          stdout:
            'Software Update found the following new or updated software:\n* Label: Safari17.6MontereyAuto-17.6\n\tTitle: Safari, Version: 17.6, Size: 152370KiB, Recommended: YES, \n',
        },
      },
      {
        match: ['sysctl', 'kern.boottime'],
        result: { stdout: '{ sec = 1725870000, usec = 0 } Mon Sep  9 08:20:00 2024\n' },
        times: 1,
      },
      {
        match: ['sysctl', 'kern.boottime'],
        result: { stdout: '{ sec = 1725880000, usec = 0 } Mon Sep  9 11:06:40 2024\n' },
      },
    ]);
    const backend = new MacOsBackend({ runner, now: () => now });
    const results = await backend.install([
      { id: monterey, name: monterey },
      { id: 'Safari17.6MontereyAuto-17.6', name: 'Safari17.6MontereyAuto-17.6' },
      { id: 'Nope-1.0', name: 'Nope-1.0' },
    ]);
    assert.deepEqual(
      results.map((r) => [r.status, r.exitCode, r.rebootRequired]),
      [
        ['succeeded', 0, true],
        ['failed', 0, false],
        ['failed', 1, false],
      ],
    );
    assert.match(results[1]!.message, /still offered/);
    assert.deepEqual(calls[0]!.args, ['--install', monterey]);
    assert.deepEqual(await backend.rebootRequired(), { required: true, packages: [monterey] });
    now += 1;
    // the machine booted after the install: nothing pending any more
    assert.deepEqual(await backend.rebootRequired(), { required: false, packages: [] });
  });
});
