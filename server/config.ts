/**
 * Server configuration, read once from the environment by `main.ts` and validated with zod.
 * A bad value is reported with the variable's name; nothing else reads `process.env`.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../shared/result.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Unset = start the embedded Postgres in DATA_DIR/pg. */
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  STATIC_DIR: z.string().min(1).default('./dist'),
  /** How long a document stays in memory after its last user leaves. */
  DOC_LINGER_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** How long the projector waits for changes to settle. */
  PROJECTOR_DEBOUNCE_MS: z.coerce.number().int().min(0).max(60_000).default(150),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  staticDir: string;
  lingerMs: number;
  projectorDebounceMs: number;
}

/** Parse the environment; the error names every bad variable and says what is wrong with it. */
export function loadConfig(env: Record<string, string | undefined>): Result<Config, string> {
  const parsed = configSchema.safeParse({
    PORT: env.PORT || undefined,
    HOST: env.HOST || undefined,
    DATABASE_URL: env.DATABASE_URL,
    DATA_DIR: env.DATA_DIR || undefined,
    LOG_LEVEL: env.LOG_LEVEL || undefined,
    STATIC_DIR: env.STATIC_DIR || undefined,
    DOC_LINGER_MS: env.DOC_LINGER_MS || undefined,
    PROJECTOR_DEBOUNCE_MS: env.PROJECTOR_DEBOUNCE_MS || undefined,
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'environment');
      return `${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}`;
    });
    return err(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  return ok({
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    dataDir: c.DATA_DIR,
    logLevel: c.LOG_LEVEL,
    staticDir: c.STATIC_DIR,
    lingerMs: c.DOC_LINGER_MS,
    projectorDebounceMs: c.PROJECTOR_DEBOUNCE_MS,
  });
}
