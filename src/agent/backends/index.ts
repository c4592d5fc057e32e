// The backends, and one way to make the one a machine needs.
import { AptBackend, type AptBackendOptions } from './apt.ts';
import { DnfBackend, type DnfBackendOptions } from './dnf.ts';
import { MacOsBackend, type MacOsBackendOptions } from './macos.ts';
import { SimulatedBackend, type SimulatedMachineOptions } from './simulated.ts';
import type { Backend } from './types.ts';
import { WindowsUpdateBackend, type WindowsBackendOptions } from './windows.ts';
import { ZypperBackend, type ZypperBackendOptions } from './zypper.ts';

export type BackendConfig =
  | ({ readonly kind: 'apt' } & AptBackendOptions)
  | ({ readonly kind: 'dnf' } & DnfBackendOptions)
  | ({ readonly kind: 'zypper' } & ZypperBackendOptions)
  | ({ readonly kind: 'windows' } & WindowsBackendOptions)
  | ({ readonly kind: 'macos' } & MacOsBackendOptions)
  | ({ readonly kind: 'simulated' } & SimulatedMachineOptions);

export function createBackend(config: BackendConfig): Backend {
  switch (config.kind) {
    case 'apt':
      return new AptBackend(config);
    case 'dnf':
      return new DnfBackend(config);
    case 'zypper':
      return new ZypperBackend(config);
    case 'windows':
      return new WindowsUpdateBackend(config);
    case 'macos':
      return new MacOsBackend(config);
    case 'simulated':
      return new SimulatedBackend(config);
  }
}

export type * from './types.ts';
export { CommandFailedError } from './types.ts';
export { spawnRunner } from './runner.ts';
export { createAptRoot, aptRootAt, type AptRoot } from './apt-root.ts';
export { AptBackend, DnfBackend, MacOsBackend, SimulatedBackend, WindowsUpdateBackend, ZypperBackend };
