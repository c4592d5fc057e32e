import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareDebianVersions,
  compareRpmVersions,
  isVersionAffected,
  parseDebianVersion,
  rpmvercmp,
  versionScheme,
} from '../../../src/core/advisories/versions.ts';
import type { AffectedPackage } from '../../../src/core/advisories/model.ts';

describe('compareDebianVersions (dpkg --compare-versions)', () => {
  const table: [string, string, -1 | 0 | 1][] = [
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.10', '1.9', 1],
    ['1.0~rc1', '1.0', -1], // ~ sorts before the end
    ['1.0~~', '1.0~', -1],
    ['1.0~', '1.0', -1],
    ['1.0', '1.0+b1', -1],
    ['1.0a', '1.0', 1], // letters after the end
    ['1.0a', '1.0+', -1], // letters before other characters
    ['1:0.9', '2.0', 1], // epoch wins
    ['0:2.0', '2.0', 0], // missing epoch is 0
    ['2.0-1', '2.0-2', -1],
    ['2.0-10', '2.0-9', 1],
    ['2.0', '2.0-0', 0], // missing revision equals "0"
    ['1.2.1-2.2+wheezy3', '1.2.1-2.2+wheezy2', 1],
    ['1.2.1-2.2+wheezy3', '1.2.1-2.2', 1],
    ['0~20160408.ffea0a2c-2ubuntu0.2+esm3', '0~20160408.ffea0a2c-2ubuntu0.2', 1],
    ['0~20160408.ffea0a2c-2ubuntu0.2', '0~20180205.c0d9813c-2', -1],
    ['3.0.8-3', '3.0.12-1', -1],
    ['5.4.1-1', '5.4.1-1+deb12u2', -1],
    ['1.0-1~bpo12+1', '1.0-1', -1],
    ['2.8.95~2430-0ubuntu5.1', '2.8.95', -1],
    ['1.001', '1.1', 0], // leading zeros
    ['20240101000000000000001', '20240101000000000000002', -1], // longer than a safe integer
  ];
  for (const [a, b, want] of table) {
    it(`${a} vs ${b} → ${want}`, () => {
      assert.equal(compareDebianVersions(a, b), want);
      assert.equal(compareDebianVersions(b, a), -want || 0);
    });
  }
  it('splits epoch, upstream and revision', () => {
    assert.deepEqual(parseDebianVersion('1:2.4.1-1+deb12u1'), {
      epoch: 1,
      upstream: '2.4.1',
      revision: '1+deb12u1',
    });
    assert.deepEqual(parseDebianVersion('1.2-3-4'), { epoch: 0, upstream: '1.2-3', revision: '4' });
  });
  it('rejects a non-numeric epoch with a precise message', () => {
    assert.throws(
      () => compareDebianVersions('a:1.0', '1.0'),
      /Debian version "a:1.0" has a non-numeric epoch/,
    );
  });
});

describe('rpmvercmp and compareRpmVersions', () => {
  const table: [string, string, -1 | 0 | 1][] = [
    ['1.0', '1.0', 0],
    ['1.0', '2.0', -1],
    ['2.0.1', '2.0', 1],
    ['2.0.1a', '2.0.1', 1],
    ['5.5p1', '5.5p2', -1],
    ['5.5p10', '5.5p2', 1],
    ['10xyz', '10.1xyz', -1],
    ['xyz10', 'xyz10.1', -1],
    ['1.0', '1.0a', -1],
    ['1.0a', '1.0.', 1], // rpmvercmp tests: separator at the end loses
    ['a', '1', -1], // numbers are newer than letters
    ['1', 'a', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~rc1~git123', '1.0~rc1', -1],
    ['1.0^', '1.0', 1],
    ['1.0^git1', '1.0', 1],
    ['1.0^git1', '1.01', -1],
    ['1.0^git1', '1.0^git2', -1],
    ['1.0^git1~pre', '1.0^git1', -1],
    ['1.0~rc1^git1', '1.0~rc1', 1],
    ['001', '1', 0],
    ['1.0_1', '1.0.1', 0], // separators are all equal
  ];
  for (const [a, b, want] of table) {
    it(`rpmvercmp ${a} vs ${b} → ${want}`, () => {
      assert.equal(rpmvercmp(a, b), want);
      assert.equal(rpmvercmp(b, a), -want || 0);
    });
  }
  const evr: [string, string, -1 | 0 | 1][] = [
    ['0:2.13.3-3.el8_6.1', '2.13.3-3.el8_6', 1],
    ['1:0.17-65.el7_6', '0.18-1.el7', 1], // epoch wins
    ['0:0.96.2-8.3E', '0.96.2-8.3E', 0],
    ['2.13.3-3.el8_6.1', '2.13.3-3.el8_6.10', -1],
    ['2.13.3', '2.13.3-3.el8', 0], // release compared only when both have one
    ['1.1.1k-12.el8_9', '1.1.1k-9.el8_9', 1],
  ];
  for (const [a, b, want] of evr) {
    it(`EVR ${a} vs ${b} → ${want}`, () => assert.equal(compareRpmVersions(a, b), want));
  }
});

describe('isVersionAffected', () => {
  const debian: AffectedPackage = {
    ecosystem: 'Debian:7',
    name: 'nginx',
    status: 'fixed',
    fixedVersion: '1.2.1-2.2+wheezy3',
    ranges: [{ type: 'ECOSYSTEM', introduced: '0', fixed: '1.2.1-2.2+wheezy3' }],
  };
  it('uses dpkg order for Debian and Ubuntu, rpm for Red Hat, nothing for the rest', () => {
    assert.equal(versionScheme('Ubuntu:22.04'), 'dpkg');
    assert.equal(versionScheme('Red Hat'), 'rpm');
    assert.equal(versionScheme('Alpine:v3.19'), undefined);
  });
  it('is affected below the fix and not at or above it', () => {
    assert.equal(isVersionAffected(debian, '1.2.1-2.2+wheezy2'), true);
    assert.equal(isVersionAffected(debian, '1.2.1-2.2+wheezy3'), false);
    assert.equal(isVersionAffected(debian, '1.6.2-1'), false);
  });
  it('honours introduced and last_affected', () => {
    const pkg: AffectedPackage = {
      ecosystem: 'Red Hat',
      name: 'git-lfs',
      status: 'affected',
      ranges: [{ type: 'ECOSYSTEM', introduced: '2.10.0-1.el8', lastAffected: '0:2.13.3-3.el8_6' }],
    };
    assert.equal(isVersionAffected(pkg, '2.9.0-1.el8'), false);
    assert.equal(isVersionAffected(pkg, '2.13.3-3.el8_6'), true);
    assert.equal(isVersionAffected(pkg, '2.13.3-3.el8_6.1'), false);
  });
  it('uses the fixed version when no ranges are given, and knows not_affected', () => {
    const pkg: AffectedPackage = {
      ecosystem: 'Red Hat',
      name: 'telnet',
      status: 'fixed',
      fixedVersion: '1:0.17-65.el7_6',
    };
    assert.equal(isVersionAffected(pkg, '1:0.17-64.el7'), true);
    assert.equal(isVersionAffected(pkg, '0.18-1.el7'), true); // epoch 0 < 1
    assert.equal(isVersionAffected({ ...pkg, status: 'not_affected' }, '0.1-1'), false);
    assert.equal(isVersionAffected({ ...pkg, ecosystem: 'Alpine:v3.19' }, '1.0-r0'), undefined);
  });
});
