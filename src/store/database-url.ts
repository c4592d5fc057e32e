// The database URL's own check, apart from the drivers: the CLI reports its error without loading them.

/** a DATABASE_URL (or --database-url) that cannot name a PostgreSQL database */
export class DatabaseUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUrlError';
  }
}

const DATABASE_URL_HINT =
  'give a PostgreSQL URL such as postgres://user:password@host:5432/patchline, or leave DATABASE_URL unset for the embedded store';

/** refuses a database URL that is not a postgres: or postgresql: URL (another database, a typo, a bare word) */
export function checkDatabaseUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DatabaseUrlError(`the database URL '${url}' is not a URL: ${DATABASE_URL_HINT}`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new DatabaseUrlError(
      `the database URL starts with '${u.protocol}' but Patchline speaks only PostgreSQL: ${DATABASE_URL_HINT}`,
    );
}
