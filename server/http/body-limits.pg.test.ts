// @vitest-environment node
/**
 * Body limits at the edge, against a listening server: an anonymous chunked body over the limit
 * to login, to a webhook and to an authenticated route is answered 413 while the client is still
 * sending (it was counted as it arrived, not buffered whole); a declared Content-Length over the
 * limit is refused before a byte is sent; routes with larger limits keep them; normal requests
 * still work.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_ADMIN, type TestServer } from '../testing/test-server.ts';
import { DEFAULT_BODY_LIMIT } from './body-limits.ts';

const PLAYBOOK = `
id: hooked
name: Hooked
version: 1
triggers: { manual: false, webhook: true }
steps:
  - { id: echo, action: core.noop }
`;

let ts: TestServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentpilot-limits-'));
  await writeFile(join(dir, 'hooked.yaml'), PLAYBOOK);
  ts = await startTestServer({ playbooks: { dir, engine: { pollIntervalMs: 50 } } });
  expect((await ts.fetch('/api/v1/workflows/hooked/webhook-secret', { method: 'POST' })).status).toBe(200);
});
afterAll(async () => {
  await ts?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
  /** Bytes the client had written when the answer arrived. */
  sentBeforeAnswer: number;
}

/**
 * POST `total` bytes of JSON whitespace in 64 KiB chunks (chunked, or with a declared
 * Content-Length larger than what is sent), stopping as soon as the server answers.
 */
function stream(path: string, total: number, opts: { headers?: Record<string, string>; declared?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, ts.server.url);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    if (opts.declared !== undefined) headers['content-length'] = String(opts.declared);
    else headers['transfer-encoding'] = 'chunked';
    const req = request(url, { method: 'POST', headers });
    req.flushHeaders();
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const at = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, sentBeforeAnswer: at });
        req.destroy();
      });
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    void (async () => {
      while (!answered && sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        const more = req.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        if (!more)
          await new Promise<void>((r) => {
            req.once('drain', r);
            req.once('close', r);
            req.once('response', () => r());
          });
      }
      // A declared length is never sent in full here: wait for the answer instead of ending short.
      if (!answered && opts.declared === undefined) req.end();
    })();
  });
}

const TOTAL = 48 * 1024 * 1024;
const errorCode = (a: Answer): string => (JSON.parse(a.body) as { error: { code: string } }).error.code;

describe('body limits at the edge', () => {
  it('answers a chunked login body over the limit with 413 while the client is still sending', async () => {
    const a = await stream('/api/v1/auth/login', TOTAL);
    expect(a.status).toBe(413);
    expect(errorCode(a)).toBe('payload_too_large');
    expect(a.sentBeforeAnswer).toBeLessThan(8 * 1024 * 1024);
  });

  it('answers a chunked webhook body over the limit with 413 before checking anything, while the client is still sending', async () => {
    const a = await stream('/api/v1/hooks/hooked', TOTAL, {
      headers: { 'x-sentpilot-timestamp': String(Math.floor(Date.now() / 1000)), 'x-sentpilot-signature': 'sha256=00' },
    });
    expect(a.status).toBe(413);
    expect(errorCode(a)).toBe('payload_too_large');
    expect(a.sentBeforeAnswer).toBeLessThan(8 * 1024 * 1024);
  });

  it('holds an anonymous body to an authenticated JSON route to the default limit, before authentication', async () => {
    const a = await stream('/api/v1/incidents', TOTAL);
    expect(a.status).toBe(413);
    expect(a.sentBeforeAnswer).toBeLessThan(8 * 1024 * 1024);
  });

  it('refuses a declared Content-Length over the limit before the body is sent', async () => {
    const a = await stream('/api/v1/auth/login', 0, { declared: 100 * 1024 * 1024 });
    expect(a.status).toBe(413);
    expect(a.sentBeforeAnswer).toBe(0);
    // A large route's limit too, before authentication.
    const alerts = await stream('/api/v1/alerts', 0, { declared: 100 * 1024 * 1024 });
    expect(alerts.status).toBe(413);
  });

  it('still logs in, and lets an authenticated alert batch above the default limit through, chunked or not', async () => {
    const login = await ts.fetch('/api/v1/auth/login', { as: null, method: 'POST', json: { email: TEST_ADMIN.email, password: TEST_ADMIN.password } });
    expect(login.status).toBe(200);
    const alert = { source: 'test', type: 'malware', title: 'A padded batch', impact: 3 };
    const batch = JSON.stringify({ alerts: [alert] }).replace('{"alerts"', `${' '.repeat(DEFAULT_BODY_LIMIT + 1024)}{"alerts"`);
    const plain = await ts.fetch('/api/v1/alerts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch });
    expect(plain.status).toBe(200);
    const chunked = await ts.fetch('/api/v1/alerts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([batch]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(200);
  });
});
