// The tenancy matrix (matrix.suite.ts) on pglite alone: its two halves run as two files, side by side.
import { splitByDriver } from '../support/store.ts';

await splitByDriver('pglite', () => import('./matrix.suite.ts'));
