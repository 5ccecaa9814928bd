/**
 * Notifications. `notify.email` sends plain-text mail over SMTP (`services.smtp`: SMTP_URL,
 * SMTP_FROM) with nodemailer. `notify.slack` and `notify.teams` POST to the incoming-webhook URL
 * held (as a secret) by the `slack` / `teams` connector: Slack gets `{ text }`, Teams a
 * MessageCard `{ @type, @context, summary, title, text }`. All three are outside effects: not
 * sent in a dry run, sent once per idempotency key. The webhook URL embeds its token, so it is
 * never shown: errors name only the connector. nodemailer is imported at the first e-mail sent,
 * not at start.
 */
import { z } from 'zod';
import { requireConnector } from './connector-call.ts';
import { expectStatus, sendHttp } from './http-client.ts';
import { ActionError, defineAction, type ActionContext, type ActionDef, type Json } from './types.ts';

const recipients = z.union([z.email(), z.array(z.email()).min(1).max(50)]).transform((v) => (Array.isArray(v) ? v : [v]));

const email = defineAction({
  name: 'notify.email',
  description: 'Send a plain-text e-mail over SMTP.',
  input: z
    .object({
      to: recipients,
      cc: recipients.optional(),
      subject: z
        .string()
        .trim()
        .min(1)
        .max(400)
        .refine((s) => !/[\r\n]/.test(s), 'no line breaks in a subject'),
      body: z.string().max(100_000),
    })
    .strict(),
  effect: true,
  run: async (i, ctx) => {
    const smtp = ctx.services.smtp;
    if (!smtp) throw new ActionError('not_configured', 'e-mail not configured (SMTP_URL)');
    if (ctx.dryRun) return { dry_run: true, would: { to: i.to, cc: i.cc ?? [], subject: i.subject } };
    return ctx.effects.once('notify.email', async () => {
      const { default: nodemailer } = await import('nodemailer');
      const transport = nodemailer.createTransport(smtp.url);
      const onAbort = (): void => transport.close();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const info = await transport.sendMail({
          from: smtp.from,
          to: i.to,
          cc: i.cc,
          subject: i.subject,
          text: i.body,
          headers: { 'X-Sentpilot-Run': ctx.runId },
        });
        return { message_id: info.messageId, accepted: info.accepted.map(String), rejected: info.rejected.map(String) };
      } catch (e) {
        if (ctx.signal.aborted) throw new ActionError('timeout', 'sending the e-mail was stopped');
        const code = (e as { code?: string }).code;
        const network = code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS';
        throw new ActionError(network ? 'network' : 'failed', `sending the e-mail failed: ${(e as Error).message.replace(/\/\/[^@\s]*@/g, '//[secret]@')}`);
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
        transport.close();
      }
    });
  },
});

async function postWebhook(ctx: ActionContext, connector: 'slack' | 'teams', payload: Json): Promise<Json> {
  const config = await requireConnector(ctx, connector, ['webhook_url']);
  const url = config.secrets['webhook_url'] as string;
  if (ctx.dryRun) return { dry_run: true, would: { connector, payload } };
  return ctx.effects.once(`notify.${connector}`, async () => {
    let path = '';
    try {
      path = new URL(url).pathname;
    } catch {
      throw new ActionError('not_configured', `connector "${connector}" has an invalid webhook_url`);
    }
    const res = await sendHttp(ctx, { method: 'POST', url, headers: { 'idempotency-key': ctx.idempotencyKey }, body: payload }, [url, path]);
    expectStatus(res, ['2xx'], `${connector} webhook`);
    return { status: res.status };
  });
}

const message = { text: z.string().min(1).max(30_000) };

const slack = defineAction({
  name: 'notify.slack',
  description: 'Post a message to a Slack channel (incoming webhook).',
  input: z.object(message).strict(),
  effect: true,
  connector: 'slack',
  run: (i, ctx) => postWebhook(ctx, 'slack', { text: i.text }),
});

const teams = defineAction({
  name: 'notify.teams',
  description: 'Post a message to a Microsoft Teams channel (incoming webhook, MessageCard).',
  input: z.object({ ...message, title: z.string().max(400).default('Sentpilot') }).strict(),
  effect: true,
  connector: 'teams',
  run: (i, ctx) =>
    postWebhook(ctx, 'teams', { '@type': 'MessageCard', '@context': 'https://schema.org/extensions', summary: i.title, title: i.title, text: i.text }),
});

export const NOTIFY_ACTIONS: readonly ActionDef[] = [email, slack, teams];
