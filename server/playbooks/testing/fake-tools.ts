/**
 * A test HTTP server (node:http on 127.0.0.1, a free port) playing every outside tool the
 * actions call: firewall, proxy, EDR, identity provider, mail platform, VirusTotal, AbuseIPDB and
 * Slack/Teams webhooks. It records every call (method, path, query, headers, parsed body), counts
 * calls per Idempotency-Key (the engine tests check that no step acts twice), and can be told to
 * fail the next N calls of a route or to answer slowly.
 *
 * Answers: 200 with `{ ok: true, path, received }` for the tool routes; VirusTotal and AbuseIPDB
 * answer in their APIs' shapes (`data.attributes.last_analysis_stats`, `data.abuseConfidenceScore`)
 * with values from `setReputation`; a custom answer can be set per route with `respond`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface FakeCall {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when it parses, else the raw text. */
  body: unknown;
  at: number;
}

interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A route: `"POST /block"`, or a prefix with `*`: `"POST /hosts/*"`. */
type RouteKey = string;

export interface FakeTools {
  /** `http://127.0.0.1:<port>` */
  url: string;
  calls: FakeCall[];
  /** Calls whose path starts with `prefix` (and method, if given). */
  callsTo(prefix: string, method?: string): FakeCall[];
  /** How many calls carried each Idempotency-Key. */
  idempotencyCounts(): Map<string, number>;
  /** Answer the next `times` calls matching the route with `status` (default 503). */
  failNext(route: RouteKey, times: number, status?: number): void;
  /** Delay every answer matching the route by `ms`. */
  delay(route: RouteKey, ms: number): void;
  /** A fixed answer for a route. */
  respond(route: RouteKey, answer: FakeAnswer): void;
  /** Reputation the VirusTotal and AbuseIPDB fakes report for a value. */
  setReputation(value: string, rep: { malicious?: number; abuseScore?: number }): void;
  reset(): void;
  close(): Promise<void>;
}

function matches(route: RouteKey, method: string, path: string): boolean {
  const [m, p] = route.split(' ') as [string, string];
  if (m !== method) return false;
  return p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p;
}

export async function startFakeTools(): Promise<FakeTools> {
  const calls: FakeCall[] = [];
  let failures: { route: RouteKey; left: number; status: number }[] = [];
  let delays: { route: RouteKey; ms: number }[] = [];
  let answers: { route: RouteKey; answer: FakeAnswer }[] = [];
  let reputation = new Map<string, { malicious?: number; abuseScore?: number }>();

  function defaultAnswer(call: FakeCall): FakeAnswer {
    const vt = /^\/api\/v3\/(ip_addresses|domains|files|urls)\/(.+)$/.exec(call.path);
    if (call.method === 'GET' && vt) {
      const id = decodeURIComponent(vt[2] as string);
      const value = vt[1] === 'urls' ? Buffer.from(id, 'base64url').toString('utf8') : id;
      const rep = reputation.get(value);
      if (!rep) return { status: 404, body: { error: { code: 'NotFoundError', message: `${value} not found` } } };
      return {
        status: 200,
        body: {
          data: {
            id,
            type: vt[1],
            attributes: {
              reputation: -(rep.malicious ?? 0),
              last_analysis_stats: { malicious: rep.malicious ?? 0, suspicious: 0, harmless: 60, undetected: 10 },
            },
          },
        },
      };
    }
    if (call.method === 'GET' && call.path === '/api/v2/check') {
      const ip = call.query['ipAddress'] ?? '';
      const score = reputation.get(ip)?.abuseScore ?? 0;
      return {
        status: 200,
        body: { data: { ipAddress: ip, abuseConfidenceScore: score, totalReports: score ? 12 : 0, countryCode: 'NL', isWhitelisted: false } },
      };
    }
    if (call.path.startsWith('/slack/') || call.path.startsWith('/teams/')) return { status: 200, body: 'ok' };
    return { status: 200, body: { ok: true, path: call.path, received: call.body ?? null } };
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text || null;
      try {
        if (text) body = JSON.parse(text);
      } catch {
        body = text;
      }
      const call: FakeCall = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: req.headers,
        body,
        at: Date.now(),
      };
      calls.push(call);
      const failure = failures.find((f) => f.left > 0 && matches(f.route, call.method, call.path));
      let answer: FakeAnswer;
      if (failure) {
        failure.left--;
        answer = { status: failure.status, body: { error: 'injected failure' } };
      } else {
        answer = answers.find((a) => matches(a.route, call.method, call.path))?.answer ?? defaultAnswer(call);
      }
      const wait = delays.find((d) => matches(d.route, call.method, call.path))?.ms ?? 0;
      setTimeout(() => {
        if (res.destroyed) return;
        const isText = typeof answer.body === 'string';
        res.writeHead(answer.status, { 'content-type': isText ? 'text/plain' : 'application/json', ...answer.headers });
        res.end(answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body));
      }, wait);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (prefix, method) => calls.filter((c) => c.path.startsWith(prefix) && (!method || c.method === method)),
    idempotencyCounts() {
      const counts = new Map<string, number>();
      for (const c of calls) {
        const key = c.headers['idempotency-key'];
        if (typeof key === 'string') counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    },
    failNext: (route, times, status = 503) => void failures.push({ route, left: times, status }),
    delay: (route, ms) => void delays.push({ route, ms }),
    respond: (route, answer) => void answers.unshift({ route, answer }),
    setReputation: (value, rep) => void reputation.set(value, rep),
    reset() {
      calls.length = 0;
      failures = [];
      delays = [];
      answers = [];
      reputation = new Map();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
