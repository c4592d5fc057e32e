import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceKind } from '../../src/core/device-kind.ts';

test('servers and workstations follow from the operating system', () => {
  const cases: [string | null, string | null, string][] = [
    ['windows', 'Windows Server 2022 Datacenter', 'server'],
    ['windows', 'Microsoft Windows Server 2019', 'server'],
    ['windows', 'Windows 11 Pro', 'workstation'],
    ['windows', 'Windows 10 Enterprise (Observer)', 'workstation'],
    ['windows', null, 'workstation'],
    ['linux', 'Debian 12', 'server'],
    ['Linux', 'Ubuntu 24.04 Desktop', 'server'],
    ['macos', 'macOS 14.6', 'workstation'],
    ['unknown', 'Windows Server 2022', 'workstation'],
    [null, null, 'workstation'],
  ];
  for (const [family, name, kind] of cases) assert.equal(deviceKind(family, name), kind, `${family} ${name}`);
});
