// Scripts in core: limits, the worklet and required-software parsers (every problem with its path), the
// steps a policy means for an OS family, policy kinds, and the simulated machine's answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAnyPolicy } from '../../src/core/policies/index.ts';
import { Issues } from '../../src/core/policies/fields.ts';
import {
  DEFAULT_SCRIPT_LIMITS,
  SCRIPT_LIMITS,
  parseAdHocScript,
  parseLimits,
  parseRequiredSoftware,
  parseWorklet,
  requiredSoftwareEvaluation,
  requiredSoftwareSteps,
  workletSteps,
} from '../../src/core/scripts/index.ts';
import { SimulatedMachine } from '../../src/core/simulation/machine.ts';

const issuesOf = (f: (i: Issues) => unknown) => {
  const i = new Issues();
  const v = f(i);
  return { v, issues: i.list.map((x) => `${x.path}: ${x.message}`) };
};

test('limits: defaults, bounds, unknown fields', () => {
  assert.deepEqual(parseLimits(undefined, 'limits', new Issues()), DEFAULT_SCRIPT_LIMITS);
  assert.deepEqual(DEFAULT_SCRIPT_LIMITS, { timeLimitSeconds: 300, outputCapBytes: 65_536 });
  const cases: [unknown, string[]][] = [
    [{ timeLimitSeconds: 1, outputCapBytes: 1024 }, []],
    [{ timeLimitSeconds: 3600, outputCapBytes: 1_048_576 }, []],
    [{ timeLimitSeconds: 0 }, ['limits.timeLimitSeconds: must be between 1 and 3600, got 0']],
    [{ timeLimitSeconds: 3601 }, ['limits.timeLimitSeconds: must be between 1 and 3600, got 3601']],
    [{ outputCapBytes: 1023 }, ['limits.outputCapBytes: must be between 1024 and 1048576, got 1023']],
    [{ outputCapBytes: 2.5 }, ['limits.outputCapBytes: must be an integer, got 2.5']],
    [{ memory: 1 }, ['limits.memory: is not a known field (allowed: timeLimitSeconds, outputCapBytes)']],
    ['fast', ['limits: must be an object {timeLimitSeconds, outputCapBytes}, got the string "fast"']],
  ];
  for (const [input, want] of cases)
    assert.deepEqual(issuesOf((i) => parseLimits(input, 'limits', i)).issues, want, JSON.stringify(input));
});

test('worklet: scripts per OS family, default shells, every problem at once', () => {
  const ok = issuesOf((i) =>
    parseWorklet(
      {
        scripts: [
          {
            osFamily: 'linux',
            evaluation: { code: 'test -f /x' },
            remediation: { shell: 'bash', code: 'touch /x' },
          },
          { osFamily: 'windows', evaluation: null, remediation: { code: 'Set-Item x' } },
        ],
        limits: { timeLimitSeconds: 60 },
      },
      'worklet',
      i,
    ),
  );
  assert.deepEqual(ok.issues, []);
  assert.deepEqual(ok.v, {
    scripts: [
      {
        osFamily: 'linux',
        evaluation: { shell: 'sh', code: 'test -f /x' },
        remediation: { shell: 'bash', code: 'touch /x' },
      },
      { osFamily: 'windows', evaluation: null, remediation: { shell: 'powershell', code: 'Set-Item x' } },
    ],
    limits: { timeLimitSeconds: 60, outputCapBytes: 65_536 },
  });
  const bad = issuesOf((i) =>
    parseWorklet(
      {
        scripts: [
          { osFamily: 'linux', remediation: { shell: 'powershell', code: 'x' } },
          { osFamily: 'linux', evaluation: { code: '   ' }, remediation: { code: 'y' } },
          { osFamily: 'beos', remediation: { code: 'z' } },
          { osFamily: 'macos' },
          { osFamily: 'windows', remediation: { code: 'x'.repeat(SCRIPT_LIMITS.codeMax + 1) } },
        ],
      },
      'worklet',
      i,
    ),
  );
  assert.equal(bad.v, undefined);
  assert.deepEqual(bad.issues, ['worklet.scripts: must have at most 3 entries (one per OS family)']);
  const bad2 = issuesOf((i) =>
    parseWorklet(
      {
        scripts: [
          { osFamily: 'linux', remediation: { shell: 'powershell', code: 'x' } },
          { osFamily: 'beos', remediation: { code: 'z' }, extra: 1 },
          { osFamily: 'macos', evaluation: { code: '   ' } },
        ],
      },
      'worklet',
      i,
    ),
  );
  assert.deepEqual(bad2.issues, [
    'worklet.scripts[0].remediation.shell: powershell does not run on linux (use sh or bash)',
    'worklet.scripts[1].extra: is not a known field (allowed: osFamily, evaluation, remediation)',
    'worklet.scripts[1].osFamily: must be one of windows, linux, macos, got the string "beos"',
    'worklet.scripts[2].evaluation.code: must not be empty or only spaces',
    'worklet.scripts[2].remediation: is required',
  ]);
  const dup = issuesOf((i) =>
    parseWorklet(
      {
        scripts: [
          { osFamily: 'linux', remediation: { code: 'a' } },
          { osFamily: 'linux', remediation: { code: 'b' } },
        ],
      },
      'worklet',
      i,
    ),
  );
  assert.deepEqual(dup.issues, ['worklet.scripts[1]: repeats osFamily linux (already at index 0)']);
  const long = issuesOf((i) =>
    parseWorklet(
      { scripts: [{ osFamily: 'linux', remediation: { code: 'x'.repeat(SCRIPT_LIMITS.codeMax + 1) } }] },
      'worklet',
      i,
    ),
  );
  assert.deepEqual(long.issues, [
    `worklet.scripts[0].remediation.code: must be between 1 and ${SCRIPT_LIMITS.codeMax} characters, got ${SCRIPT_LIMITS.codeMax + 1}`,
  ]);
});

test('required software: package names and versions are safe to quote; the installation is required', () => {
  const ok = issuesOf((i) =>
    parseRequiredSoftware(
      {
        osFamily: 'linux',
        packageName: ' libssl3 ',
        packageVersion: '3.0.11-1~deb12u2',
        installation: { code: 'i' },
      },
      'rs',
      i,
    ),
  );
  assert.deepEqual(ok.issues, [
    'rs.packageName: must be a package name: letters, digits and . _ + - : ~ only, no spaces',
  ]);
  const good = issuesOf((i) =>
    parseRequiredSoftware(
      {
        osFamily: 'macos',
        packageName: 'Firefox',
        packageVersion: '',
        installation: { code: 'brew install firefox' },
      },
      'rs',
      i,
    ),
  );
  assert.deepEqual(good.issues, []);
  assert.deepEqual(good.v, {
    osFamily: 'macos',
    packageName: 'Firefox',
    packageVersion: null,
    installation: { shell: 'sh', code: 'brew install firefox' },
    limits: DEFAULT_SCRIPT_LIMITS,
  });
  const bad = issuesOf((i) =>
    parseRequiredSoftware(
      { osFamily: 'linux', packageName: "curl'; rm -rf /", packageVersion: '1 2' },
      'rs',
      i,
    ),
  );
  assert.deepEqual(bad.issues, [
    'rs.packageName: must be a package name: letters, digits and . _ + - : ~ only, no spaces',
    'rs.packageVersion: must be a version: letters, digits and . _ + - : ~ only, no spaces',
    'rs.installation: is required',
  ]);
});

test('steps: a worklet with and without evaluation, another family, required software, the derived checks', () => {
  const w = {
    scripts: [
      {
        osFamily: 'linux' as const,
        evaluation: { shell: 'sh' as const, code: 'e' },
        remediation: { shell: 'sh' as const, code: 'r' },
      },
      { osFamily: 'macos' as const, evaluation: null, remediation: { shell: 'bash' as const, code: 'm' } },
    ],
    limits: DEFAULT_SCRIPT_LIMITS,
  };
  assert.deepEqual(
    workletSteps(w, 'linux')!.map((s) => [s.phase, s.script.code, s.when]),
    [
      ['evaluation', 'e', 'always'],
      ['remediation', 'r', 'previous-failed'],
    ],
  );
  assert.deepEqual(
    workletSteps(w, 'macos')!.map((s) => [s.phase, s.when]),
    [['remediation', 'always']],
  );
  assert.equal(workletSteps(w, 'windows'), null);
  assert.equal(workletSteps(w, null), null);
  const r = {
    osFamily: 'windows' as const,
    packageName: 'Mozilla.Firefox',
    packageVersion: '128.0',
    installation: { shell: 'powershell' as const, code: 'winget install x' },
    limits: DEFAULT_SCRIPT_LIMITS,
  };
  const steps = requiredSoftwareSteps(r, 'windows')!;
  assert.deepEqual(
    steps.map((s) => [s.phase, s.script.shell, s.when]),
    [
      ['evaluation', 'powershell', 'always'],
      ['install', 'powershell', 'previous-failed'],
    ],
  );
  assert.match(steps[0]!.script.code, /\$pkg = 'Mozilla\.Firefox'; \$want = '128\.0'/);
  assert.equal(requiredSoftwareSteps(r, 'linux'), null);
  const linux = requiredSoftwareEvaluation('linux', 'curl', null);
  assert.equal(linux.shell, 'sh');
  assert.match(linux.code, /pkg='curl'; want=''/);
  assert.match(linux.code, /dpkg-query/);
  assert.match(linux.code, /rpm -q/);
  assert.match(requiredSoftwareEvaluation('macos', 'Slack', '4.1').code, /pkgutil --pkg-info "\$pkg"/);
});

test('policy kinds: patch by default, a script kind carries its own field instead of rule', () => {
  assert.equal(parseAnyPolicy({ name: 'p', rule: { kind: 'all' } }).kind, 'patch');
  const w = parseAnyPolicy({
    kind: 'worklet',
    name: 'w',
    rule: null,
    requiredSoftware: null,
    worklet: { scripts: [{ osFamily: 'linux', remediation: { code: 'x' } }] },
  });
  assert.equal(w.kind, 'worklet');
  assert.throws(
    () => parseAnyPolicy({ kind: 'script', name: 'x' }),
    /kind must be one of patch, worklet, required-software/,
  );
  assert.throws(
    () => parseAnyPolicy({ kind: 'required-software', name: 'x', rule: { kind: 'all' } }),
    (e: { issues: { path: string }[] }) =>
      JSON.stringify(e.issues.map((i) => i.path)) === JSON.stringify(['rule', 'requiredSoftware']),
  );
  // a patch policy's body may carry the script fields as null (what GET answers), not with a value
  assert.equal(
    parseAnyPolicy({ kind: 'patch', name: 'p', rule: { kind: 'all' }, worklet: null }).kind,
    'patch',
  );
  assert.throws(
    () => parseAnyPolicy({ name: 'p', rule: { kind: 'all' }, worklet: {} }),
    /worklet is not a known field/,
  );
});

test('ad-hoc scripts need a shell', () => {
  assert.deepEqual(parseAdHocScript({ shell: 'bash', code: 'ls' }), {
    script: { shell: 'bash', code: 'ls' },
    limits: DEFAULT_SCRIPT_LIMITS,
  });
  assert.throws(() => parseAdHocScript({ code: 'ls' }), /shell is required/);
});

test('a simulated machine answers script jobs deterministically and remembers remediations', async () => {
  const steps = [
    {
      phase: 'evaluation' as const,
      script: { shell: 'sh' as const, code: 'check' },
      when: 'always' as const,
    },
    {
      phase: 'remediation' as const,
      script: { shell: 'sh' as const, code: 'fix' },
      when: 'previous-failed' as const,
    },
  ];
  const mk = (seed: number) =>
    new SimulatedMachine({ seed, os: { family: 'debian', version: '12' }, failureRate: 0, clock: () => 0 });
  const first = await Promise.all(
    [1, 2, 3, 4, 5, 6, 7, 8].map(async (seed) => (await mk(seed).runScripts(steps))[0]!.exitCode),
  );
  assert.deepEqual(
    first,
    await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map(async (seed) => (await mk(seed).runScripts(steps))[0]!.exitCode),
    ),
  );
  assert.ok(first.includes(0) && first.includes(1), `both answers occur: ${first}`);
  const failing = [1, 2, 3, 4, 5, 6, 7, 8][first.indexOf(1)]!;
  const m = mk(failing);
  const once = await m.runScripts(steps);
  assert.deepEqual(
    once.map((s) => [s.phase, s.exitCode]),
    [
      ['evaluation', 1],
      ['remediation', 0],
    ],
  );
  assert.deepEqual(
    (await m.runScripts(steps)).map((s) => [s.phase, s.exitCode]),
    [['evaluation', 0]],
  );
  const win = new SimulatedMachine({
    seed: 1,
    os: { family: 'windows', version: '11-24H2' },
    clock: () => 0,
  });
  const wrong = await win.runScripts([{ phase: 'run', script: { shell: 'sh', code: 'ls' }, when: 'always' }]);
  assert.deepEqual([wrong[0]!.status, wrong[0]!.exitCode], ['failed', 127]);
});
