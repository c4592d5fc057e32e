// Server options: command-line flags override environment variables, which override defaults.
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: string;
  adminPassword?: string;
  bodyLimit: number;
  /** the SMTP server alert e-mails go through (smtp://user:pass@host:port, smtps://…); none: no e-mail */
  smtpUrl?: string;
  /** the From of alert e-mails */
  smtpFrom?: string;
}

export const DEFAULT_PORT = 8440;

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: env.PATCHLINE_PORT ? Number(env.PATCHLINE_PORT) : DEFAULT_PORT,
    host: env.PATCHLINE_HOST ?? '0.0.0.0',
    dataDir: env.PATCHLINE_DATA_DIR ?? './data',
    databaseUrl: env.DATABASE_URL || undefined,
    tlsCert: env.PATCHLINE_TLS_CERT || undefined,
    tlsKey: env.PATCHLINE_TLS_KEY || undefined,
    logLevel: env.PATCHLINE_LOG_LEVEL ?? 'info',
    adminPassword: env.PATCHLINE_ADMIN_PASSWORD || undefined,
    bodyLimit: env.PATCHLINE_BODY_LIMIT ? Number(env.PATCHLINE_BODY_LIMIT) : 1024 * 1024,
    smtpUrl: env.PATCHLINE_SMTP_URL || undefined,
    smtpFrom: env.PATCHLINE_SMTP_FROM || undefined,
  };
}
