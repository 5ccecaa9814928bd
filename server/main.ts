/**
 * The server entry point: read the environment once, start the embedded Postgres when
 * DATABASE_URL is unset, start the server, and close gracefully on SIGINT/SIGTERM.
 */
import { loadConfig } from './config.ts';
import { connect } from './db/connect.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.ts';
import { createLogger } from './logger.ts';
import { startServer, type RunningServer } from './server.ts';

const EMBEDDED_DATABASE = 'sentpilot';

/** The embedded cluster's application database (created on first start). */
async function embeddedDatabaseUrl(pg: EmbeddedPostgres): Promise<string> {
  const admin = connect(pg.url, { max: 1 });
  try {
    const [row] = await admin`SELECT 1 AS present FROM pg_database WHERE datname = ${EMBEDDED_DATABASE}`;
    if (!row) await admin.unsafe(`CREATE DATABASE "${EMBEDDED_DATABASE}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(pg.url);
  u.pathname = `/${EMBEDDED_DATABASE}`;
  return u.toString();
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.ok) {
    process.stderr.write(`${config.error}\n`);
    process.exit(1);
  }
  const cfg = config.value;
  const logger = createLogger({ level: cfg.logLevel });
  let embedded: EmbeddedPostgres | null = null;
  let server: RunningServer | null = null;
  let stopping = false;

  async function shutdown(signal: string, code: number): Promise<void> {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await server?.close();
      await embedded?.stop();
    } catch (e) {
      logger.error({ err: e }, 'shutdown failed');
      code = 1;
    }
    process.exit(code);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal, 0));
  process.on('unhandledRejection', (e) => logger.error({ err: e }, 'unhandled promise rejection'));
  process.on('uncaughtException', (e) => {
    logger.fatal({ err: e }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });

  let databaseUrl = cfg.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: cfg.dataDir, logger });
    databaseUrl = await embeddedDatabaseUrl(embedded);
  }
  server = await startServer({
    port: cfg.port,
    host: cfg.host,
    databaseUrl,
    staticDir: cfg.staticDir,
    logger,
    lingerMs: cfg.lingerMs,
    projectorDebounceMs: cfg.projectorDebounceMs,
    listCacheMs: cfg.listCacheMs,
    auth: cfg.auth,
    slaPolicy: cfg.slaPolicy,
    dataDir: cfg.dataDir,
    evidence: cfg.evidence,
    playbooks: cfg.playbooks,
    intel: cfg.intel,
  });
  const shownHost = cfg.host === '0.0.0.0' || cfg.host === '::' ? 'localhost' : cfg.host;
  logger.info({ port: server.port, embeddedPostgres: embedded !== null }, `Sentpilot listening on http://${shownHost}:${server.port}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`Sentpilot failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
