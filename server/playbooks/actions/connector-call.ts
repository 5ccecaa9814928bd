/**
 * The connectors an admin can configure, and the one way a connector action calls its tool:
 * load the decrypted config (ActionError `not_configured` when missing), build the request with
 * the connector's auth header (settings.auth_header overrides its name), and then
 * - dry run with an outside effect: return the request it would send (headers without secrets);
 * - an effect: send once per idempotency key (`Idempotency-Key` header, `ctx.effects.once`);
 * - a read (enrichment): send, even in a dry run.
 * Every secret value of the connector is scrubbed from errors and answers.
 */
import { SecretBoxError } from '../secret-box.ts';
import { ActionError, type ActionContext, type ConnectorConfig, type Json } from './types.ts';
import { expectStatus, sendHttp, type HttpMethod } from './http-client.ts';

export interface ConnectorSpec {
  name: string;
  description: string;
  /** Secret fields an admin sets (write-only). */
  secretFields: readonly string[];
  /** Used when the admin leaves the endpoint empty (public SaaS APIs). */
  defaultEndpoint?: string;
  /** Headers carrying the credentials. */
  auth(secrets: Record<string, string>): Record<string, string>;
}

const bearer = (s: Record<string, string>): Record<string, string> => (s['api_key'] ? { authorization: `Bearer ${s['api_key']}` } : {});

export const CONNECTORS: Readonly<Record<string, ConnectorSpec>> = {
  firewall: { name: 'firewall', description: 'Perimeter firewall: block an IP address (POST {endpoint}/block).', secretFields: ['api_key'], auth: bearer },
  proxy: { name: 'proxy', description: 'Web proxy / secure web gateway: block a domain (POST {endpoint}/block).', secretFields: ['api_key'], auth: bearer },
  identity: {
    name: 'identity',
    description: 'Identity provider (Microsoft Entra ID / Graph style): disable accounts, force password resets, revoke sessions.',
    secretFields: ['api_key'],
    auth: bearer,
  },
  edr: {
    name: 'edr',
    description: 'Endpoint detection and response (CrowdStrike / Defender style): isolate, release, memory capture, hash blocking.',
    secretFields: ['api_key'],
    auth: bearer,
  },
  mail: { name: 'mail', description: 'Mail platform: search and purge a message from every mailbox.', secretFields: ['api_key'], auth: bearer },
  virustotal: {
    name: 'virustotal',
    description: 'VirusTotal API v3 enrichment (x-apikey).',
    secretFields: ['api_key'],
    defaultEndpoint: 'https://www.virustotal.com',
    auth: (s): Record<string, string> => (s['api_key'] ? { 'x-apikey': s['api_key'] } : {}),
  },
  abuseipdb: {
    name: 'abuseipdb',
    description: 'AbuseIPDB API v2 IP reputation (Key header).',
    secretFields: ['api_key'],
    defaultEndpoint: 'https://api.abuseipdb.com',
    auth: (s): Record<string, string> => (s['api_key'] ? { key: s['api_key'] } : {}),
  },
  slack: { name: 'slack', description: 'Slack incoming webhook (the webhook URL is the secret).', secretFields: ['webhook_url'], auth: () => ({}) },
  teams: { name: 'teams', description: 'Microsoft Teams incoming webhook (the webhook URL is the secret).', secretFields: ['webhook_url'], auth: () => ({}) },
};

/** The connector's config with its secrets, or ActionError `not_configured`. */
export async function requireConnector(ctx: ActionContext, name: string, needSecrets: readonly string[] = []): Promise<ConnectorConfig> {
  let config: ConnectorConfig | null;
  try {
    config = await ctx.services.connector(name);
  } catch (e) {
    if (e instanceof SecretBoxError) throw new ActionError('not_configured', `connector "${name}": its secrets cannot be decrypted (was SECRETS_KEY changed?)`);
    throw e;
  }
  if (!config) throw new ActionError('not_configured', `connector "${name}" not configured`);
  for (const field of needSecrets) {
    if (!config.secrets[field]) throw new ActionError('not_configured', `connector "${name}" has no ${field} set`);
  }
  return config;
}

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/**
 * The connector's credential headers. Setting `auth_header` (e.g. `X-API-Key`) sends the api_key
 * raw in that header instead of the connector's default scheme, for tools that want it so.
 */
function authHeaders(spec: ConnectorSpec, config: ConnectorConfig): Record<string, string> {
  const custom = config.settings['auth_header'];
  const key = config.secrets['api_key'];
  if (typeof custom === 'string' && HEADER_NAME_RE.test(custom) && key) return { [custom.toLowerCase()]: key };
  return spec.auth(config.secrets);
}

export interface ConnectorCall {
  method: HttpMethod;
  /** Appended to the endpoint; path segments from inputs must be encoded by the caller (`seg`). */
  path: string;
  query?: Record<string, string>;
  body?: Json;
  /** Changes something in the tool (not sent in a dry run; sent once per idempotency key). */
  effect: boolean;
  expected?: readonly (number | string)[];
}

/**
 * Encode one path segment taken from an input. `.` and `..` (also percent-encoded, which URL
 * parsers treat alike) would climb the endpoint's path, so they are refused.
 */
export function seg(v: string): string {
  if (/^(\.|%2e){1,2}$/i.test(v)) throw new ActionError('invalid_input', `"${v}" is not a valid name`);
  return encodeURIComponent(v);
}

/** Call the connector's tool; returns `{ status, body }` or, in a dry run of an effect, `{ dry_run, would }`. */
export async function callConnector(ctx: ActionContext, name: string, call: ConnectorCall): Promise<Json> {
  const spec = CONNECTORS[name];
  if (!spec) throw new ActionError('failed', `unknown connector "${name}"`);
  const config = await requireConnector(ctx, name, spec.secretFields);
  const base = config.endpoint ?? spec.defaultEndpoint;
  if (!base) throw new ActionError('not_configured', `connector "${name}" has no endpoint`);
  const url = new URL(base.replace(/\/+$/, '') + call.path);
  for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
  const secrets = Object.values(config.secrets);
  if (ctx.dryRun && call.effect) {
    return { dry_run: true, would: { connector: name, method: call.method, url: url.toString(), body: call.body ?? null } };
  }
  const send = async (): Promise<Json> => {
    const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(spec, config) };
    if (call.effect) headers['idempotency-key'] = ctx.idempotencyKey;
    const res = await sendHttp(ctx, { method: call.method, url: url.toString(), headers, body: call.body }, secrets);
    expectStatus(res, call.expected ?? ['2xx'], `connector "${name}" (${call.method} ${call.path.split('?')[0]})`);
    return { status: res.status, body: res.body };
  };
  return call.effect ? ctx.effects.once(`${name} ${call.method} ${call.path}`, send) : send();
}
