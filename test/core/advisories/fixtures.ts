// Reads test fixtures beside these tests (never from outside the repository).
import { readFileSync } from 'node:fs';

export const fixture = (path: string): Buffer => readFileSync(new URL(`./fixtures/${path}`, import.meta.url));
export const fixtureText = (path: string): string => fixture(path).toString('utf8');
