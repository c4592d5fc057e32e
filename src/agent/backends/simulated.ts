// The simulated machine (core/simulation/machine.ts) as one of the agent's backends.
import { SimulatedMachine } from '../../core/simulation/machine.ts';
import type { Backend } from './types.ts';

export {
  SIMULATED_OSES,
  type OsFamily,
  type SimulatedMachineOptions,
  type SimulatedOs,
} from '../../core/simulation/machine.ts';

export class SimulatedBackend extends SimulatedMachine implements Backend {}
