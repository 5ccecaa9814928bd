/**
 * Server configuration, read once from the environment by `main.ts` and validated with zod.
 * A bad value is reported with the variable's name; nothing else reads `process.env`.
 */
import { z } from 'zod';
import { ROLES, type Role } from '../shared/permissions.ts';
import { err, ok, type Result } from '../shared/result.ts';
import { parseRoleMap, type AuthOptions } from './auth/auth-options.ts';
import { parseAllowedOrigins } from './auth/origin-policy.ts';
import type { PlaybooksOptions } from './playbooks/engine/service.ts';
import type { IntelOptions } from './intel/intel-service.ts';
import { DEFAULT_QUOTA_INCIDENT_BYTES, DEFAULT_QUOTA_TOTAL_BYTES, DEFAULT_UPLOAD_IDLE_HOURS, type EvidenceSettings } from './evidence/evidence-setup.ts';
import { DEFAULT_SLA_POLICY, mergeSlaPolicy, slaPolicyOverrideSchema, type SlaPolicy } from '../shared/sla.ts';

/** SLA_POLICY (JSON) merged over the default policy; unset = the default. */
function parseSlaPolicy(raw: string | undefined): Result<SlaPolicy, string> {
  if (!raw) return ok(DEFAULT_SLA_POLICY);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return err('not valid JSON');
  }
  const parsed = slaPolicyOverrideSchema.safeParse(json);
  if (!parsed.success) return err(parsed.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`).join('; '));
  return ok(mergeSlaPolicy(DEFAULT_SLA_POLICY, parsed.data));
}

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
  /** How long a cached incident list page is served (its SLA clocks age); 0 = no cache. */
  LIST_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  ADMIN_EMAIL: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')
    .optional(),
  ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').max(256).optional(),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Browser origins besides PUBLIC_URL's that may open /sync sockets, comma-separated (auth/origin-policy.ts). */
  ALLOWED_ORIGINS: z.string().default(''),
  TRUST_PROXY: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** With TRUST_PROXY: how many reverse proxies append to X-Forwarded-For (1 = take its last entry). */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(1).max(20).default(1),
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_ROLE_CLAIM: z.string().min(1).default('groups'),
  OIDC_ROLE_MAP: z.string().default(''),
  OIDC_DEFAULT_ROLE: z.enum([...ROLES, 'none']).default('viewer'),
  /** Login limits (server/auth/rate-limit.ts): the global cap per account, from all addresses together. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(100_000).default(100),
  /** Failures from one address (all accounts) after which it is slowed to one attempt every 2 s. */
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(50),
  LOGIN_WINDOW_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(15),
  /** Failures one account may have from one address before that pair backs off (1 s, doubling). */
  LOGIN_BACKOFF_AFTER: z.coerce.number().int().min(1).max(1000).default(3),
  LOGIN_BACKOFF_MAX_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(15),
  /** JSON overriding the SLA and breach policy (shared/sla.ts slaPolicyOverrideSchema). */
  SLA_POLICY: z.string().max(20_000).optional(),
  /** The evidence master key; unset = DATA_DIR/evidence.key (created on first start). */
  EVIDENCE_KEY: z
    .string()
    .trim()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be the base64 of 32 random bytes (openssl rand -base64 32)')
    .optional(),
  /** The master key being rotated out (server/evidence/README.md). */
  EVIDENCE_KEY_PREVIOUS: z
    .string()
    .trim()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be the base64 of 32 random bytes (openssl rand -base64 32)')
    .optional(),
  EVIDENCE_QUOTA_INCIDENT_BYTES: z.coerce.number().int().min(0).default(DEFAULT_QUOTA_INCIDENT_BYTES),
  EVIDENCE_QUOTA_TOTAL_BYTES: z.coerce.number().int().min(0).default(DEFAULT_QUOTA_TOTAL_BYTES),
  /** An open evidence upload that received nothing this long is removed, freeing its quota. */
  EVIDENCE_UPLOAD_IDLE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(DEFAULT_UPLOAD_IDLE_HOURS),
  /** Playbook YAML folder (default <repo>/playbooks) and runnable scripts (default <repo>/scripts-repo). */
  PLAYBOOKS_DIR: z.string().min(1).optional(),
  SCRIPTS_DIR: z.string().min(1).optional(),
  /** Key sealing connector credentials and webhook secrets; unset = DATA_DIR/secrets.key (created on first start). */
  SECRETS_KEY: z
    .string()
    .trim()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be the base64 of 32 random bytes (openssl rand -base64 32)')
    .optional(),
  SECRETS_KEY_PREVIOUS: z
    .string()
    .trim()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be the base64 of 32 random bytes (openssl rand -base64 32)')
    .optional(),
  /** Outgoing mail for notify.email: smtp://user:pass@host:port and the From address. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  SMTP_FROM: z.string().min(3).max(320).default('sentpilot@localhost'),
  /** Playbook steps run at once per process. */
  PLAYBOOK_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(16),
  /** How long past its deadline a step must be stuck in running before the sweeper re-queues it. */
  PLAYBOOK_SWEEP_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  PLAYBOOK_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(5_000),
  /** Runs one playbook's inbound webhook may start per minute (a looping sender cannot start thousands). */
  /** Seconds after an event-triggered run starts during which the same event on the same incident joins it instead of starting another (0: only while it is active). */
  PLAYBOOK_COALESCE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  PLAYBOOK_WEBHOOK_MAX_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  /** Refused deliveries (bad signature, replay, ...) one address may cause per playbook per minute before 429. */
  PLAYBOOK_WEBHOOK_MAX_REFUSED_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(10),
  /** Threat-intel feed pulls: allow loopback/private addresses (labs only), limits, push cap. */
  ALLOW_PRIVATE_FEED_URLS: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  INTEL_FEED_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(300_000),
  INTEL_FEED_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(1024 ** 3),
  INTEL_PUSH_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(64 * 1024 ** 2),
  /** How far back the retrospective search looks when a feed adds indicators. */
  INTEL_RETRO_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
});

const INTEL_VARS = ['ALLOW_PRIVATE_FEED_URLS', 'INTEL_FEED_TIMEOUT_MS', 'INTEL_FEED_MAX_BYTES', 'INTEL_PUSH_MAX_BYTES', 'INTEL_RETRO_DAYS'] as const;

const PLAYBOOK_VARS = [
  'PLAYBOOKS_DIR',
  'SCRIPTS_DIR',
  'SECRETS_KEY',
  'SECRETS_KEY_PREVIOUS',
  'SMTP_URL',
  'SMTP_FROM',
  'PLAYBOOK_CONCURRENCY',
  'PLAYBOOK_SWEEP_GRACE_MS',
  'PLAYBOOK_SWEEP_INTERVAL_MS',
  'PLAYBOOK_COALESCE_SECONDS',
  'PLAYBOOK_WEBHOOK_MAX_PER_MINUTE',
  'PLAYBOOK_WEBHOOK_MAX_REFUSED_PER_MINUTE',
] as const;

const AUTH_VARS = [
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'SESSION_TTL_HOURS',
  'PUBLIC_URL',
  'ALLOWED_ORIGINS',
  'TRUST_PROXY',
  'TRUST_PROXY_HOPS',
  'OIDC_ISSUER',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_ROLE_CLAIM',
  'OIDC_ROLE_MAP',
  'OIDC_DEFAULT_ROLE',
  'LOGIN_MAX_FAILURES_PER_ACCOUNT',
  'LOGIN_MAX_FAILURES_PER_ADDRESS',
  'LOGIN_WINDOW_MINUTES',
  'LOGIN_BACKOFF_AFTER',
  'LOGIN_BACKOFF_MAX_MINUTES',
] as const;

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  staticDir: string;
  lingerMs: number;
  projectorDebounceMs: number;
  listCacheMs: number;
  auth: AuthOptions;
  slaPolicy: SlaPolicy;
  evidence: EvidenceSettings;
  playbooks: PlaybooksOptions;
  intel: IntelOptions;
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
    LIST_CACHE_MS: env.LIST_CACHE_MS || undefined,
    SLA_POLICY: env.SLA_POLICY || undefined,
    EVIDENCE_KEY: env.EVIDENCE_KEY || undefined,
    EVIDENCE_KEY_PREVIOUS: env.EVIDENCE_KEY_PREVIOUS || undefined,
    EVIDENCE_QUOTA_INCIDENT_BYTES: env.EVIDENCE_QUOTA_INCIDENT_BYTES || undefined,
    EVIDENCE_QUOTA_TOTAL_BYTES: env.EVIDENCE_QUOTA_TOTAL_BYTES || undefined,
    EVIDENCE_UPLOAD_IDLE_HOURS: env.EVIDENCE_UPLOAD_IDLE_HOURS || undefined,
    ...Object.fromEntries(PLAYBOOK_VARS.map((k) => [k, env[k] || undefined])),
    ...Object.fromEntries(INTEL_VARS.map((k) => [k, env[k] || undefined])),
    ...Object.fromEntries(AUTH_VARS.map((k) => [k, env[k] || undefined])),
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'environment');
      return `${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}`;
    });
    return err(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  const problems: string[] = [];
  const roleMap = parseRoleMap(c.OIDC_ROLE_MAP, ROLES);
  if (!roleMap.ok) problems.push(`OIDC_ROLE_MAP=${JSON.stringify(c.OIDC_ROLE_MAP)}: ${roleMap.error}`);
  const oidcSet = [c.OIDC_ISSUER, c.OIDC_CLIENT_ID, c.OIDC_CLIENT_SECRET].filter(Boolean).length;
  if (oidcSet > 0 && oidcSet < 3) problems.push('OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: set all three or none');
  if (c.ADMIN_PASSWORD && !c.ADMIN_EMAIL) problems.push('ADMIN_PASSWORD: set ADMIN_EMAIL too');
  const slaPolicy = parseSlaPolicy(c.SLA_POLICY);
  if (!slaPolicy.ok) problems.push(`SLA_POLICY: ${slaPolicy.error}`);
  const allowedOrigins = parseAllowedOrigins(c.ALLOWED_ORIGINS);
  if (!allowedOrigins.ok) problems.push(`ALLOWED_ORIGINS=${JSON.stringify(c.ALLOWED_ORIGINS)}: ${allowedOrigins.error}`);
  if (problems.length) return err(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  const auth: AuthOptions = {
    adminEmail: c.ADMIN_EMAIL,
    adminPassword: c.ADMIN_PASSWORD,
    sessionTtlHours: c.SESSION_TTL_HOURS,
    publicUrl: c.PUBLIC_URL,
    allowedOrigins: allowedOrigins.ok && allowedOrigins.value.length > 0 ? allowedOrigins.value : undefined,
    trustProxy: c.TRUST_PROXY ? c.TRUST_PROXY_HOPS : 0,
    oidc:
      c.OIDC_ISSUER && c.OIDC_CLIENT_ID && c.OIDC_CLIENT_SECRET
        ? {
            issuer: c.OIDC_ISSUER,
            clientId: c.OIDC_CLIENT_ID,
            clientSecret: c.OIDC_CLIENT_SECRET,
            roleClaim: c.OIDC_ROLE_CLAIM,
            roleMap: roleMap.ok ? roleMap.value : {},
            defaultRole: c.OIDC_DEFAULT_ROLE === 'none' ? null : (c.OIDC_DEFAULT_ROLE as Role),
          }
        : null,
    rateLimit: {
      perAccount: c.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      perAddress: c.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowMs: c.LOGIN_WINDOW_MINUTES * 60_000,
      pairFree: c.LOGIN_BACKOFF_AFTER,
      pairMaxMs: c.LOGIN_BACKOFF_MAX_MINUTES * 60_000,
    },
  };
  return ok({
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    dataDir: c.DATA_DIR,
    logLevel: c.LOG_LEVEL,
    staticDir: c.STATIC_DIR,
    lingerMs: c.DOC_LINGER_MS,
    projectorDebounceMs: c.PROJECTOR_DEBOUNCE_MS,
    listCacheMs: c.LIST_CACHE_MS,
    slaPolicy: slaPolicy.ok ? slaPolicy.value : DEFAULT_SLA_POLICY,
    auth,
    playbooks: {
      dir: c.PLAYBOOKS_DIR,
      scriptsDir: c.SCRIPTS_DIR,
      dataDir: c.DATA_DIR,
      secretsKey: c.SECRETS_KEY,
      secretsKeyPrevious: c.SECRETS_KEY_PREVIOUS,
      smtp: c.SMTP_URL ? { url: c.SMTP_URL, from: c.SMTP_FROM } : null,
      engine: {
        concurrency: c.PLAYBOOK_CONCURRENCY,
        sweepGraceMs: c.PLAYBOOK_SWEEP_GRACE_MS,
        sweepIntervalMs: c.PLAYBOOK_SWEEP_INTERVAL_MS,
        coalesceSeconds: c.PLAYBOOK_COALESCE_SECONDS,
      },
      webhookMaxPerMinute: c.PLAYBOOK_WEBHOOK_MAX_PER_MINUTE,
      webhookMaxRefusedPerMinute: c.PLAYBOOK_WEBHOOK_MAX_REFUSED_PER_MINUTE,
    },
    intel: {
      allowPrivateFeedUrls: c.ALLOW_PRIVATE_FEED_URLS,
      fetchTimeoutMs: c.INTEL_FEED_TIMEOUT_MS,
      maxFeedBytes: c.INTEL_FEED_MAX_BYTES,
      pushMaxBytes: c.INTEL_PUSH_MAX_BYTES,
      retroDays: c.INTEL_RETRO_DAYS,
    },
    evidence: {
      key: c.EVIDENCE_KEY,
      previousKey: c.EVIDENCE_KEY_PREVIOUS,
      quotaIncidentBytes: c.EVIDENCE_QUOTA_INCIDENT_BYTES,
      quotaTotalBytes: c.EVIDENCE_QUOTA_TOTAL_BYTES,
      uploadIdleHours: c.EVIDENCE_UPLOAD_IDLE_HOURS,
    },
  });
}
