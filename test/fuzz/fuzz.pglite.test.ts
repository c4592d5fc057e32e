// The fuzz suite (fuzz.suite.ts) on pglite alone: its two halves run as two files, side by side.
import { splitByDriver } from '../support/store.ts';

await splitByDriver('pglite', () => import('./fuzz.suite.ts'));
