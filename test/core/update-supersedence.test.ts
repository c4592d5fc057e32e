import { test } from 'node:test';
import assert from 'node:assert/strict';
import { supersededPairs, supersedesPackage, type PackageVersion } from '../../src/core/updates.ts';

// Supersedence of package updates (core/updates.ts): a newer version of the same package, in the order of
// its package manager, supersedes an older one; nothing else does.

const deb = (version: string, architecture: string | null = 'amd64', name = 'openssl'): PackageVersion => ({
  kind: 'deb',
  package_name: name,
  architecture,
  version,
});

test('deb: dpkg order (tilde, revisions, epochs) of the same package and architecture', () => {
  assert.equal(supersedesPackage(deb('3.0.22-1~deb12u2'), deb('3.0.22-1~deb12u1')), true);
  assert.equal(supersedesPackage(deb('3.0.22-1'), deb('3.0.22-1~deb12u1')), true, '~ sorts before anything');
  assert.equal(supersedesPackage(deb('1:1.0-1'), deb('2.0-1')), true, 'the epoch wins');
  assert.equal(supersedesPackage(deb('3.0.22-1~deb12u1'), deb('3.0.22-1~deb12u2')), false, 'older');
  assert.equal(supersedesPackage(deb('3.0.22-1'), deb('3.0.22-1')), false, 'the same version');
  assert.equal(supersedesPackage(deb('3.0.23-1', 'i386'), deb('3.0.22-1')), false, 'another architecture');
  assert.equal(supersedesPackage(deb('3.0.23-1', null), deb('3.0.22-1', null)), true, 'both without one');
  assert.equal(supersedesPackage(deb('9.0-1', 'amd64', 'libssl3'), deb('3.0-1')), false, 'another package');
});

test('rpm: rpm order; kinds never mix; KB, macOS and app updates are never superseded', () => {
  const rpm = (version: string): PackageVersion => ({
    kind: 'rpm',
    package_name: 'kernel',
    architecture: 'x86_64',
    version,
  });
  assert.equal(supersedesPackage(rpm('5.14.0-427.el9'), rpm('5.14.0-70.el9')), true, 'numeric, not text');
  assert.equal(supersedesPackage(rpm('1:5.14.0-1.el9'), rpm('5.14.0-427.el9')), true);
  assert.equal(supersedesPackage({ ...rpm('9.0'), kind: 'deb' }, rpm('1.0')), false);
  const kb = (version: string): PackageVersion => ({
    kind: 'kb',
    package_name: null,
    architecture: 'x64',
    version,
  });
  assert.equal(supersedesPackage(kb('2'), kb('1')), false);
  const app = (version: string): PackageVersion => ({
    kind: 'app',
    package_name: 'firefox',
    architecture: null,
    version,
  });
  assert.equal(supersedesPackage(app('130.0'), app('129.0')), false);
});

test('pairs among a device’s updates: each older version of a package superseded by each newer one', () => {
  const pairs = supersededPairs([
    { id: 1, ...deb('3.0.21-1') },
    { id: 2, ...deb('3.0.22-1') },
    { id: 3, ...deb('3.0.23-1') },
    { id: 4, ...deb('3.0.24-1', 'i386') },
    { id: 5, ...deb('5.4.1-1', 'amd64', 'liblzma5') },
  ]);
  assert.deepEqual(
    pairs.map((p) => [p.updateId, p.supersededById]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!),
    [
      [1, 2],
      [1, 3],
      [2, 3],
    ],
  );
});
