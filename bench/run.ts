/**
 * `npm run bench`: builds what `npm start` runs, then measures edit propagation, cold open of a
 * 5,000-entry incident, server memory, and the cost of identity and audit (`npm run bench auth`).
 * Prints the figures; asserts nothing.
 */
import { benchAlerts } from './alerts.ts';
import { benchAuth } from './auth.ts';
import { benchColdOpen } from './cold-open.ts';
import { benchIncidentApi } from './incident-api.ts';
import { benchPropagation } from './propagation.ts';
import { benchRss } from './rss.ts';
import { benchDatabase, buildAll, startServerProcess } from './server-process.ts';

function print(title: string, figures: Record<string, string>): void {
  console.log(`\n## ${title}`);
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(52)} ${v}`);
}

const only = process.argv[2];
if (only !== 'auth') await buildAll();
const db = await benchDatabase();
try {
  if (!only || only === 'rss') print('Server memory', await benchRss(db.url, db.external));
  if (!only || only === 'propagation') {
    const server = await startServerProcess(db.url);
    try {
      print('Edit propagation, 1 writer → 50 readers on one incident (loopback)', await benchPropagation(server));
    } finally {
      await server.stop();
    }
  }
  if (!only || only === 'auth') print('Identity and audit cost (in one run, alternating rounds)', await benchAuth(db.url));
  if (!only || only === 'alerts') {
    const server = await startServerProcess(db.url);
    try {
      print('Alert ingestion, dedup and correlation on, 10,000 open incidents', await benchAlerts(server));
    } finally {
      await server.stop();
    }
  }
  if (!only || only === 'incident-api') print('Incident API latency under load (ratio to a bare Hono route, same run)', await benchIncidentApi(db.url));
  if (!only || only === 'cold-open') print('Cold open, incident with 5,000 timeline entries', await benchColdOpen(db.url));
} finally {
  await db.drop();
}
process.exit(0);
