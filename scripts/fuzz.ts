// npm run fuzz -- [--requests N] [--seed S] [--driver pglite|postgres]: the fuzz suite's long run
// (test/fuzz/run.ts); its last line of output is one JSON object with the counts.
import { main } from '../test/fuzz/run.ts';

await main();
