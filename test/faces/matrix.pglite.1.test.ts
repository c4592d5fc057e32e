// The tenancy matrix (matrix.suite.ts) on pglite alone, routes part 1 of 2: four files run side by side.
import { splitByDriver } from '../support/store.ts';

process.env.PATCHLINE_MATRIX_SHARD = '1/2';
await splitByDriver('pglite', () => import('./matrix.suite.ts'));
