/**
 * Security-tool connector actions, each one HTTP call through `callConnector` (connector-call.ts)
 * to the endpoint an admin configured, with `Authorization: Bearer <api_key>` (or the header
 * named by the connector's `settings.auth_header`) and `Idempotency-Key: <ctx.idempotencyKey>`;
 * a 2xx answer is success. Request shapes:
 *
 * firewall.block_ip        POST  {firewall}/block                     { ip, duration_seconds, comment }
 * proxy.block_domain       POST  {proxy}/block                        { domain, duration_seconds, comment }
 * identity.disable_account PATCH {identity}/users/{account}           { accountEnabled: false }
 * identity.reset_password  PATCH {identity}/users/{account}           { passwordProfile: { forceChangePasswordNextSignIn: <force_change> } }
 * identity.revoke_sessions POST  {identity}/users/{account}/revokeSignInSessions
 * edr.isolate_host         POST  {edr}/hosts/{host}/isolate           { comment }
 * edr.release_host         POST  {edr}/hosts/{host}/release           { comment }
 * edr.collect_memory       POST  {edr}/hosts/{host}/memory-dump       { comment }
 * edr.block_hash           POST  {edr}/indicators                     { type: md5|sha1|sha256, value, action: "block", comment }
 * mail.purge_message       POST  {mail}/messages/purge                { message_id } or { sender, subject? }, scope: "all_mailboxes"
 *
 * Output: `{ status, body }` of the tool's answer plus the target (`ip`, `account`, `host`, ...);
 * in a dry run `{ dry_run: true, would: { connector, method, url, body } }` (no secrets).
 *
 * Every action here that blocks, isolates, disables, resets, revokes or purges is `destructive`:
 * a gate before it may not approve on timeout. Releasing a host and capturing memory are not.
 */
import { z } from 'zod';
import { callConnector, seg } from './connector-call.ts';
import { defineAction, type ActionDef, type Json } from './types.ts';

const comment = z.string().max(1_000).default('');
/** `3600`, `"45m"`, `"24h"`, `"7d"` → seconds; omitted = permanent (null). */
const duration = z
  .union([z.int().min(1), z.string().regex(/^\d+\s*[smhd]$/, 'use seconds or "30m", "24h", "7d"')])
  .optional()
  .transform((d) => {
    if (d === undefined) return null;
    if (typeof d === 'number') return d;
    const n = Number(d.slice(0, -1).trim());
    return n * { s: 1, m: 60, h: 3_600, d: 86_400 }[d.slice(-1) as 's' | 'm' | 'h' | 'd'];
  });
/** Names that go into a URL path: `.` and `..` would climb it. */
const pathName = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .refine((v) => !/^(\.|%2e){1,2}$/i.test(v), 'not a valid name');
/** A UPN (user@domain) or sAMAccountName. */
const accountName = pathName;
const host = pathName;

const withTarget = (target: Record<string, Json>, out: Json): Json =>
  out && typeof out === 'object' && !Array.isArray(out) ? { ...target, ...out } : { ...target, result: out };

const blockIp = defineAction({
  name: 'firewall.block_ip',
  description: 'Block an IP address on the firewall.',
  input: z.object({ ip: z.union([z.ipv4(), z.ipv6()]), duration, comment }).strict(),
  effect: true,
  destructive: true,
  connector: 'firewall',
  run: async (i, ctx) =>
    withTarget(
      { ip: i.ip },
      await callConnector(ctx, 'firewall', {
        method: 'POST',
        path: '/block',
        effect: true,
        body: { ip: i.ip, duration_seconds: i.duration, comment: i.comment },
      }),
    ),
});

const blockDomain = defineAction({
  name: 'proxy.block_domain',
  description: 'Block a domain on the web proxy.',
  input: z
    .object({
      domain: z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^(?=.{1,253}$)([a-z0-9-_]+\.)+[a-z0-9-]{2,}$/, 'not a domain name'),
      duration,
      comment,
    })
    .strict(),
  effect: true,
  destructive: true,
  connector: 'proxy',
  run: async (i, ctx) =>
    withTarget(
      { domain: i.domain },
      await callConnector(ctx, 'proxy', {
        method: 'POST',
        path: '/block',
        effect: true,
        body: { domain: i.domain, duration_seconds: i.duration, comment: i.comment },
      }),
    ),
});

const account = z.object({ account: accountName, reason: comment }).strict();

const disableAccount = defineAction({
  name: 'identity.disable_account',
  description: 'Disable a user account in the identity provider.',
  input: account,
  effect: true,
  destructive: true,
  connector: 'identity',
  run: async (i, ctx) =>
    withTarget(
      { account: i.account },
      await callConnector(ctx, 'identity', { method: 'PATCH', path: `/users/${seg(i.account)}`, effect: true, body: { accountEnabled: false } }),
    ),
});

const resetPassword = defineAction({
  name: 'identity.reset_password',
  description: 'Force a password change at the next sign-in.',
  input: account.extend({ force_change: z.boolean().default(true) }),
  effect: true,
  destructive: true,
  connector: 'identity',
  run: async (i, ctx) =>
    withTarget(
      { account: i.account },
      await callConnector(ctx, 'identity', {
        method: 'PATCH',
        path: `/users/${seg(i.account)}`,
        effect: true,
        body: { passwordProfile: { forceChangePasswordNextSignIn: i.force_change } },
      }),
    ),
});

const revokeSessions = defineAction({
  name: 'identity.revoke_sessions',
  description: "Revoke the account's sign-in sessions and refresh tokens.",
  input: account,
  effect: true,
  destructive: true,
  connector: 'identity',
  run: async (i, ctx) =>
    withTarget(
      { account: i.account },
      await callConnector(ctx, 'identity', { method: 'POST', path: `/users/${seg(i.account)}/revokeSignInSessions`, effect: true }),
    ),
});

const hostInput = z.object({ host, comment }).strict();
const hostAction = (name: string, description: string, verb: string, destructive: boolean): ActionDef =>
  defineAction({
    name,
    description,
    input: hostInput,
    effect: true,
    destructive,
    connector: 'edr',
    run: async (i, ctx) =>
      withTarget(
        { host: i.host },
        await callConnector(ctx, 'edr', { method: 'POST', path: `/hosts/${seg(i.host)}/${verb}`, effect: true, body: { comment: i.comment } }),
      ),
  });

const HASH_TYPES = { 32: 'md5', 40: 'sha1', 64: 'sha256' } as const;
const blockHash = defineAction({
  name: 'edr.block_hash',
  description: 'Block a file hash (MD5, SHA-1 or SHA-256) on every endpoint.',
  input: z
    .object({
      hash: z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^([a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/, 'not an MD5, SHA-1 or SHA-256 hex digest'),
      comment,
    })
    .strict(),
  effect: true,
  destructive: true,
  connector: 'edr',
  run: async (i, ctx) => {
    const type = HASH_TYPES[i.hash.length as 32 | 40 | 64];
    return withTarget(
      { hash: i.hash },
      await callConnector(ctx, 'edr', {
        method: 'POST',
        path: '/indicators',
        effect: true,
        body: { type, value: i.hash, action: 'block', comment: i.comment },
      }),
    );
  },
});

const purgeMessage = defineAction({
  name: 'mail.purge_message',
  description: 'Purge a message from every mailbox, by message id or by sender and subject.',
  input: z
    .object({ message_id: z.string().trim().min(1).max(998).optional(), sender: z.email().optional(), subject: z.string().max(998).optional(), comment })
    .strict()
    .refine((i) => i.message_id !== undefined || i.sender !== undefined, { message: 'give message_id or sender', path: ['message_id'] }),
  effect: true,
  destructive: true,
  connector: 'mail',
  run: async (i, ctx) => {
    const match: Record<string, Json> = i.message_id !== undefined ? { message_id: i.message_id } : { sender: i.sender ?? null, subject: i.subject ?? null };
    return withTarget(
      match,
      await callConnector(ctx, 'mail', {
        method: 'POST',
        path: '/messages/purge',
        effect: true,
        body: { ...match, scope: 'all_mailboxes', comment: i.comment },
      }),
    );
  },
});

export const SECURITY_TOOL_ACTIONS: readonly ActionDef[] = [
  blockIp,
  blockDomain,
  disableAccount,
  resetPassword,
  revokeSessions,
  hostAction('edr.isolate_host', 'Isolate a host from the network (the EDR channel stays open).', 'isolate', true),
  hostAction('edr.release_host', 'Release a host from network isolation.', 'release', false),
  hostAction('edr.collect_memory', 'Capture a memory image of a host.', 'memory-dump', false),
  blockHash,
  purgeMessage,
];
