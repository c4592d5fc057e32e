// How long a test waits for something that should happen before it calls it hung. A hang guard, not a
// budget: CI machines are shared and busy, and a test states behaviour, never speed (benches hold speed,
// bench/). Generous, yet well within the 10-minute limit of a test file.
export const HANG_GUARD_MS = 300_000;
