/**
 * Edit propagation latency: one stock y-websocket client edits an incident, 50 others on the same
 * document receive each edit; latency = receive time − send time (same clock, loopback).
 */
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { performance } from 'node:perf_hooks';
import { addTimelineEntry, createIncident, readMeta } from '../shared/incident-doc.ts';
import { newId } from '../shared/ids.ts';
import { percentile, fmt, type ServerProcess } from './server-process.ts';

const RECEIVERS = 50;
// Each Node y-websocket provider adds a process 'exit' listener.
process.setMaxListeners(RECEIVERS + 10);
const EDITS = 200;
const INTERVAL_MS = 25;

function connectClient(server: ServerProcess, id: string): Promise<{ doc: Y.Doc; provider: WebsocketProvider }> {
  const doc = new Y.Doc({ guid: id });
  const provider = new WebsocketProvider(server.wsUrl, id, doc, { WebSocketPolyfill: server.WebSocket as never, disableBc: true });
  return new Promise((resolve) => {
    if (provider.synced) resolve({ doc, provider });
    else provider.once('sync', () => resolve({ doc, provider }));
  });
}

export async function benchPropagation(server: ServerProcess): Promise<Record<string, string>> {
  const id = newId();
  const sender = await connectClient(server, id);
  createIncident(sender.doc, { title: 'Propagation benchmark', createdBy: 'bench' });
  const receivers = await Promise.all(Array.from({ length: RECEIVERS }, () => connectClient(server, id)));
  // Measure only our edits: wait until the server has assigned the key (its own write) and the
  // initial state has reached everyone.
  const keyDeadline = Date.now() + 10_000;
  while (readMeta(sender.doc).key === null && Date.now() < keyDeadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));

  const sentAt: number[] = [];
  const latencies: number[] = [];
  for (const r of receivers) {
    let n = 0;
    r.doc.on('update', (_u: Uint8Array, origin: unknown) => {
      if (origin !== r.provider) return;
      const i = n++;
      const t = sentAt[i];
      if (t !== undefined) latencies.push(performance.now() - t);
    });
  }
  for (let i = 0; i < EDITS; i++) {
    sentAt.push(performance.now());
    addTimelineEntry(sender.doc, { kind: 'note', text: `edit ${i}`, author: 'bench' });
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
  const deadline = Date.now() + 10_000;
  while (latencies.length < EDITS * RECEIVERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const c of [sender, ...receivers]) {
    c.provider.destroy();
    c.doc.destroy();
  }
  latencies.sort((a, b) => a - b);
  return {
    'samples (edits × receivers)': `${latencies.length} of ${EDITS * RECEIVERS}`,
    p50: fmt(percentile(latencies, 50)),
    p95: fmt(percentile(latencies, 95)),
    p99: fmt(percentile(latencies, 99)),
    max: fmt(latencies.at(-1) ?? NaN),
  };
}
