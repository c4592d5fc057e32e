// The method table against the seed: the 59 methods, each with the parameter types of its signature in
// the seed's "Methods" chapter (copied into seed-signatures.txt), in order. The WSDL and the dispatcher
// both read this table, so this is also the published contract.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { METHODS } from '../../../src/faces/altiris/methods.ts';

const NET: Record<string, string> = {
  'System.String': 'string',
  'System.Boolean': 'boolean',
  'System.Int32': 'int',
};

const seed = readFileSync(new URL('./seed-signatures.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const m = /^(\w+)(?:\(([^)]*)\))?$/.exec(line)!;
    return { name: m[1]!, types: m[2] ? m[2].split(',').map((t) => NET[t]!) : [] };
  });

test('the table has the 59 methods of the seed, in its order', () => {
  assert.equal(seed.length, 59);
  assert.deepEqual(
    METHODS.map((m) => m.name),
    seed.map((s) => s.name),
  );
});

test("each method's parameters have the seed's types, in order", () => {
  for (const s of seed) {
    const m = METHODS.find((x) => x.name === s.name)!;
    assert.deepEqual(
      m.params.map((p) => p.type),
      s.types,
      s.name,
    );
  }
});
