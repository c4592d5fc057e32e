// The tenancy matrix (matrix.suite.ts) on postgres alone, routes part 2 of 2: four files run side by side.
import { splitByDriver } from '../support/store.ts';

process.env.PATCHLINE_MATRIX_SHARD = '2/2';
await splitByDriver('postgres', () => import('./matrix.suite.ts'));
