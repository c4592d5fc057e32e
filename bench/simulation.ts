// npm run bench -- simulation [--machines N]
// The simulated machine is cheap: the fleet simulator and the demo make thousands of them in one process.
// Makes N machines (default 5,000) over the simulated OSes, ten days into their feeds, and scans each once.
// Target: 5,000 machines scan in under 5 s (it was a unit test's budget; timing belongs here). The last
// line is one JSON object.
import { SIMULATED_OSES, SimulatedMachine } from '../src/core/simulation/machine.ts';
import { arg } from './_support.ts';

const MACHINES = Number(arg('machines', '5000'));
/** 1 ms a machine: 5 s for 5,000 */
const TARGET_MS = MACHINES;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);

const now = { t: T0 + 10 * DAY };
const start = performance.now();
let updates = 0;
for (let i = 0; i < MACHINES; i++) {
  const m = new SimulatedMachine({
    seed: i,
    os: SIMULATED_OSES[i % SIMULATED_OSES.length]!,
    feedStart: T0,
    clock: () => now.t,
  });
  updates += (await m.scan()).updates.length;
}
const ms = Math.round(performance.now() - start);
console.log(`${MACHINES} machines scanned in ${ms} ms (${updates} updates offered)`);
console.log(
  JSON.stringify({
    name: 'simulation',
    machines: MACHINES,
    updates,
    ms,
    target_ms: TARGET_MS,
    pass: ms < TARGET_MS && updates > MACHINES,
  }),
);
