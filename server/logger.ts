/**
 * The one server logger: pino, structured JSON on stdout. Created in `main.ts`/`startServer`
 * and passed down; never `console.log` in server code.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'sentpilot',
    level: opts.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
