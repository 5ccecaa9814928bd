/**
 * Websocket-level keepalive: ping every socket periodically and terminate those that did not
 * answer the previous ping (a dead network path never sends a close frame).
 */
import type { WebSocket, WebSocketServer } from 'ws';

export function startHeartbeat(wss: WebSocketServer, intervalMs = 30_000): { stop(): void } {
  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (ws: WebSocket) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
  });
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      try {
        ws.ping();
      } catch {
        // closing already
      }
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
