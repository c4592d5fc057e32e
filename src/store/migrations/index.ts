import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial.ts';

// Migrations in order; a new one is a new file added here, never an edit of a landed one.
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };
export const migrationNames = Object.keys(migrations);
