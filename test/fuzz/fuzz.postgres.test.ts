// The fuzz suite (fuzz.suite.ts) on postgres alone: its two halves run as two files, side by side.
import { splitByDriver } from '../support/store.ts';

await splitByDriver('postgres', () => import('./fuzz.suite.ts'));
