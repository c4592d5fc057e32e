import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SIMULATED_OSES,
  SimulatedBackend,
  type SimulatedMachineOptions,
} from '../../../src/agent/backends/simulated.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);

function machine(over: Partial<SimulatedMachineOptions> & { now?: { t: number } } = {}) {
  const now = over.now ?? { t: T0 };
  return {
    now,
    m: new SimulatedBackend({
      seed: 7,
      os: { family: 'debian', version: '12' },
      feedStart: T0,
      clock: () => now.t,
      ...over,
    }),
  };
}

describe('simulated machine', () => {
  it('is deterministic: same seed, OS and clock give the same scans', async () => {
    const a = await machine().m.scan();
    const b = await machine().m.scan();
    assert.deepEqual(a, b);
    assert.ok(a.updates.length > 0, 'the initial backlog offers updates');
    assert.equal(a.inventory.length, 40);
  });

  it('shares the OS feed across machines: same package, same version and advisory', async () => {
    const now = { t: T0 + 30 * DAY };
    const a = await machine({ seed: 1, now }).m.scan();
    const b = await machine({ seed: 2, now }).m.scan();
    assert.notDeepEqual(
      a.inventory.map((p) => p.name),
      b.inventory.map((p) => p.name),
    );
    const bById = new Map(b.updates.map((u) => [u.id, u]));
    const shared = a.updates.filter((u) => bById.has(u.id));
    assert.ok(shared.length > 0);
    for (const u of shared) {
      const v = bById.get(u.id)!;
      assert.deepEqual(
        [u.version, u.advisoryIds, u.cves, u.classification],
        [v.version, v.advisoryIds, v.cves, v.classification],
      );
    }
  });

  it('publishes new updates as the clock advances, with realistic fields per OS', async () => {
    const { m, now } = machine({ updatesPerDay: 4 });
    const first = (await m.scan()).updates.length;
    now.t += 20 * DAY;
    const later = await m.scan();
    assert.ok(later.updates.length > first, `${later.updates.length} > ${first}`);
    for (const u of later.updates) {
      assert.match(u.version, /-1\+deb12u\d+$/);
      assert.ok(u.installedVersion !== null && u.installedVersion !== u.version);
      if (u.classification === 'security') {
        assert.match(u.source, /^Debian-Security:12\//);
        assert.match(u.advisoryIds[0]!, /^DSA-\d+-1$/);
        assert.ok(u.cves.length >= 1 && u.severity !== undefined);
      }
    }
  });

  it('installs: the update goes, the version moves, kernels ask for a reboot until the machine restarts', async () => {
    const { m } = machine({ failureRate: 0, backlog: 200 });
    const scan = await m.scan();
    const kernel = scan.updates.find((u) => u.name === 'linux-image-amd64');
    assert.ok(kernel, 'a large backlog reaches the kernel');
    const results = await m.install(
      scan.updates.map((u) => ({ id: u.id, name: u.name, version: u.version })),
    );
    assert.ok(results.every((r) => r.status === 'succeeded'));
    assert.equal(results.find((r) => r.name === 'linux-image-amd64')!.rebootRequired, true);
    const after = await m.scan();
    assert.deepEqual(after.updates, []);
    assert.equal(after.inventory.find((p) => p.name === 'linux-image-amd64')!.version, kernel.version);
    const reboot = await m.rebootRequired();
    assert.equal(reboot.required, true);
    assert.ok(reboot.packages.includes('linux-image-amd64'));
    m.reboot();
    assert.deepEqual(await m.rebootRequired(), { required: false, packages: [] });
  });

  it("fails at the configured rate with the OS tool's message, and a retry can succeed", async () => {
    const { m } = machine({ failureRate: 1, backlog: 50 });
    const [u] = (await m.scan()).updates;
    const [r] = await m.install([{ id: u!.id, name: u!.name, version: u!.version }]);
    assert.deepEqual([r!.status, r!.exitCode], ['failed', 100]);
    assert.match(r!.message, /dpkg returned an error code/);
    assert.ok(
      (await m.scan()).updates.some((x) => x.id === u!.id),
      'a failed update stays pending',
    );

    const half = machine({ seed: 99, failureRate: 0.5, backlog: 300 }).m;
    const pending = (await half.scan()).updates;
    const results = await half.install(pending.map((x) => ({ id: x.id, name: x.name })));
    const failed = results.filter((x) => x.status === 'failed').length;
    assert.ok(
      failed > pending.length * 0.2 && failed < pending.length * 0.8,
      `${failed} of ${pending.length}`,
    );
  });

  it('a broken package fails until fixed; wrong versions and unknown ids fail', async () => {
    const { m } = machine({ failureRate: 0, backlog: 50 });
    const [u] = (await m.scan()).updates;
    m.setBroken(u!.name, true);
    assert.equal((await m.install([{ id: u!.id, name: u!.name }]))[0]!.status, 'failed');
    m.setBroken(u!.name, false);
    assert.equal((await m.install([{ id: u!.id, name: u!.name }]))[0]!.status, 'succeeded');
    const [v] = (await m.scan()).updates;
    const [wrong, unknown] = await m.install([
      { id: v!.id, name: v!.name, version: '0.0-0' },
      { id: 'nope:amd64', name: 'nope' },
    ]);
    assert.match(wrong!.message, /not available \(candidate /);
    assert.match(unknown!.message, /not offered/);
  });

  it("speaks each OS family's shapes", async () => {
    for (const os of SIMULATED_OSES) {
      const m = new SimulatedBackend({
        seed: 3,
        os,
        feedStart: T0,
        clock: () => T0 + 60 * DAY,
        securityShare: 1,
      });
      const scan = await m.scan();
      assert.ok(scan.updates.length > 0, `${os.family} has updates`);
      const u = scan.updates[0]!;
      const want = os.family === 'windows' ? /^KB\d{7}$/ : os.family === 'macos' ? /-\d/ : /^[\w.+-]+$/;
      assert.match(u.name, want, `${os.family} ${u.name}`);
      assert.equal(u.kind, os.family === 'windows' ? 'kb' : os.family === 'macos' ? 'label' : 'package');
      if (os.family === 'rhel') assert.match(u.advisoryIds[0]!, /^RHSA-\d{4}:\d+$/);
      if (os.family === 'suse') assert.match(u.advisoryIds[0]!, /^SUSE-SU-\d{4}:\d+-1$/);
      if (os.family === 'ubuntu')
        assert.match(u.source, os.version === '22.04' ? /jammy-security$/ : /noble-security$/);
    }
  });

  // how fast they scan is a bench (bench/simulation.ts), not a test: a loaded machine is slow
  it('5,000 machines scan, offering updates', async () => {
    const now = { t: T0 + 10 * DAY };
    let updates = 0;
    for (let i = 0; i < 5000; i++) {
      const m = new SimulatedBackend({
        seed: i,
        os: SIMULATED_OSES[i % SIMULATED_OSES.length]!,
        feedStart: T0,
        clock: () => now.t,
      });
      updates += (await m.scan()).updates.length;
    }
    assert.ok(updates > 5000);
  });
});
