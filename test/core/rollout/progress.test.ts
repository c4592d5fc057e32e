import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assignRings,
  inSample,
  parseRolloutPlan,
  sampleBucket,
  type Ring,
} from '../../../src/core/rollout/model.ts';
import {
  judgeGate,
  newRingProgress,
  nextReleaseDay,
  nextStep,
  nthWeekdayOfMonth,
  type RolloutProgress,
} from '../../../src/core/rollout/progress.ts';
import { isDomainError } from '../../../src/core/errors.ts';

const day = (s: string) => new Date(`${s}Z`);

test('nth weekday of a month, and the last one', () => {
  const cases: [number, number, number, number, string][] = [
    // year, month (0-based), week, weekday (0 = Sunday) → date
    [2026, 0, 2, 2, '2026-01-13'], // Patch Tuesday, January 2026
    [2026, 1, 2, 2, '2026-02-10'],
    [2026, 8, 1, 2, '2026-09-01'], // the 1st is a Tuesday
    [2026, 11, 2, 2, '2026-12-08'],
    [2026, 11, -1, 5, '2026-12-25'], // last Friday of December
    [2027, 1, -1, 0, '2027-02-28'], // last Sunday of February 2027 (the 28th is a Sunday)
    [2024, 1, 4, 4, '2024-02-22'], // leap year
  ];
  for (const [y, m, w, wd, want] of cases)
    assert.equal(
      nthWeekdayOfMonth(y, m, w, wd).toISOString().slice(0, 10),
      want,
      `${y}-${m + 1} w${w} d${wd}`,
    );
});

test('"second Tuesday + 1 day" after a release: this month when still ahead, else next month', () => {
  const d = { kind: 'release_day', week: 2, weekday: 'tuesday', offsetDays: 1, hour: 6 } as const;
  const cases: [string, string][] = [
    ['2026-12-03T00:00:00', '2026-12-09T06:00:00.000Z'], // before Patch Tuesday (8th): that month
    ['2026-12-09T06:00:00', '2026-12-09T06:00:00.000Z'], // exactly then
    ['2026-12-09T07:00:00', '2027-01-13T06:00:00.000Z'], // just after: January's (13th is the 2nd Tuesday + 1 = Wed 13th)
    ['2026-12-20T00:00:00', '2027-01-13T06:00:00.000Z'],
  ];
  for (const [from, want] of cases) assert.equal(nextReleaseDay(d, day(from)).toISOString(), want, from);
  // a negative offset may land in the month before: "second Tuesday - 10 days"
  const early = { kind: 'release_day', week: 2, weekday: 'tuesday', offsetDays: -10, hour: 0 } as const;
  assert.equal(nextReleaseDay(early, day('2026-11-29T00:00:00')).toISOString(), '2027-01-02T00:00:00.000Z');
  assert.equal(nextReleaseDay(early, day('2026-11-27T00:00:00')).toISOString(), '2026-11-28T00:00:00.000Z');
});

test('a stable sample: the same devices for a plan, about the share asked, different per plan', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => i + 1);
  const a = ids.filter((d) => inSample(d, 7, 10));
  assert.deepEqual(
    ids.filter((d) => inSample(d, 7, 10)),
    a,
    'stable',
  );
  assert.ok(a.length > 150 && a.length < 250, `about 10% (${a.length})`);
  const b = ids.filter((d) => inSample(d, 8, 10));
  assert.notDeepEqual(a, b, 'another plan samples other devices');
  assert.ok(
    ids.every((d) => inSample(d, 7, 100)),
    '100% is everyone',
  );
  for (const d of ids.slice(0, 50)) assert.ok(sampleBucket(d, 7) >= 0 && sampleBucket(d, 7) < 100);
  // a device is in its first ring only
  const rings = assignRings(7, [
    { named: [1, 2], sampleFrom: [], percent: 0 },
    { named: [2, 3], sampleFrom: [], percent: 0 },
    { named: [], sampleFrom: ids.slice(0, 20), percent: 100 },
  ]);
  assert.deepEqual(rings[0], [1, 2]);
  assert.deepEqual(rings[1], [3]);
  assert.deepEqual(rings[2], ids.slice(3, 20));
});

const ring = (name: string, extra: Partial<Ring> = {}): Ring => ({
  name,
  groups: [1],
  devices: [],
  sample: null,
  delay: { kind: 'after_previous', hours: 0 },
  gate: { minPercent: 90, afterHours: 24 },
  ...extra,
});

test('the next step: start after the delay, judge after the gate hours, complete', () => {
  const rings = [
    ring('canary'),
    ring('early', { delay: { kind: 'after_previous', hours: 72 } }),
    ring('broad'),
  ];
  const p: RolloutProgress = {
    state: 'running',
    approvedAt: day('2026-12-01T00:00:00'),
    releasedAt: null,
    rings: rings.map(newRingProgress),
  };
  assert.deepEqual(nextStep(rings, p, day('2026-12-01T00:00:00')), { kind: 'start_ring', ring: 0 });
  p.rings[0]!.startedAt = day('2026-12-01T00:00:00');
  assert.deepEqual(nextStep(rings, p, day('2026-12-01T12:00:00')), {
    kind: 'wait',
    until: day('2026-12-02T00:00:00'),
  });
  assert.deepEqual(nextStep(rings, p, day('2026-12-02T00:00:00')), { kind: 'judge_gate', ring: 0 });
  p.rings[0]!.finishedAt = day('2026-12-02T00:00:00');
  assert.deepEqual(nextStep(rings, p, day('2026-12-03T00:00:00')), {
    kind: 'wait',
    until: day('2026-12-05T00:00:00'),
  });
  assert.deepEqual(nextStep(rings, p, day('2026-12-05T00:00:00')), { kind: 'start_ring', ring: 1 });
  p.state = 'paused';
  assert.deepEqual(nextStep(rings, p, day('2026-12-05T00:00:00')), { kind: 'idle' });
  p.state = 'running';
  for (const r of p.rings) {
    r.startedAt = day('2026-12-05T00:00:00');
    r.finishedAt = day('2026-12-06T00:00:00');
  }
  assert.deepEqual(nextStep(rings, p, day('2026-12-07T00:00:00')), { kind: 'complete' });
});

test('the gate: installed, checked in and no new failure, against the threshold', () => {
  const ok = { installed: true, newFailures: 0, checkedIn: true };
  const gate = { minPercent: 75, afterHours: 24 };
  assert.equal(judgeGate(gate, [ok, ok, ok, ok]).passed, true);
  const v = judgeGate(gate, [ok, ok, ok, { installed: false, newFailures: 1, checkedIn: true }]);
  assert.equal(v.passed, true);
  assert.equal(v.percent, 75);
  const f = judgeGate(gate, [ok, ok, { ...ok, newFailures: 1 }, { ...ok, installed: false }]);
  assert.equal(f.passed, false);
  assert.equal(f.percent, 50);
  assert.match(
    f.reason,
    /gate failed: 2 of 4 devices \(50%\).*75% needed.*1 not installed, 1 with new failures/,
  );
  assert.equal(judgeGate(gate, [{ ...ok, checkedIn: false }]).passed, false, 'silent devices do not count');
  assert.equal(judgeGate(gate, []).passed, true, 'an empty ring passes');
});

test('plan bodies: every issue at its path', () => {
  assert.deepEqual(parseRolloutPlan({ name: ' P ', rings: [{ name: 'r1', groups: [3] }] }).rings[0]!.gate, {
    minPercent: 100,
    afterHours: 24,
  });
  try {
    parseRolloutPlan({
      name: '',
      rings: [
        { name: 'a' },
        {
          name: 'A',
          groups: [1],
          delay: { kind: 'release_day', week: 6, weekday: 'funday' },
          gate: { minPercent: 120, afterHours: 1 },
        },
        { name: 'c', devices: [-1], extra: 1 },
      ],
    });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(isDomainError(e));
    const paths = e.issues.map((i) => i.path).sort();
    assert.deepEqual(paths, [
      '/name',
      '/rings/0',
      '/rings/1/delay/week',
      '/rings/1/delay/weekday',
      '/rings/1/gate/minPercent',
      '/rings/1/name',
      '/rings/2',
      '/rings/2/devices',
      '/rings/2/extra',
    ]);
  }
});
