/**
 * The baseline of `bench/incident-api.ts`: a bare Hono app on @hono/node-server answering a
 * constant JSON body, in its own process. Prints `{"port":<port>}` once it listens.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/constant', (c) => c.json({ status: 'ok' }));
const server = createAdaptorServer({ fetch: app.fetch }) as Server;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
