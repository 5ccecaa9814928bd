import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeContext, runAction, type FakeContextOptions } from './fake-context.ts';
import { ACTIONS } from './registry.ts';
import { ActionError } from './types.ts';

interface Received {
  from: string;
  to: string[];
  raw: string;
}
let server: SMTPServer;
let port: number;
const received: Received[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        done();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received.length = 0;
});

const smtp = () => ({ url: `smtp://127.0.0.1:${port}`, from: 'sentpilot@corp.example' });
const run = (raw: unknown, opts: FakeContextOptions = {}) => runAction(ACTIONS, 'notify.email', raw, fakeContext({ services: { smtp: smtp() }, ...opts }));

describe('notify.email', () => {
  it('delivers a plain-text mail over SMTP to every recipient', async () => {
    const out = await run({
      to: ['reporter@corp.example', 'soc@corp.example'],
      subject: 'IR-2026-0042: we purged the phishing mail',
      body: 'Thanks for reporting.\nThe message was removed.',
    });
    expect(out).toMatchObject({ accepted: ['reporter@corp.example', 'soc@corp.example'], rejected: [] });
    expect(received).toHaveLength(1);
    expect(received[0]?.from).toBe('sentpilot@corp.example');
    expect(received[0]?.to).toEqual(['reporter@corp.example', 'soc@corp.example']);
    expect(received[0]?.raw).toContain('Subject: IR-2026-0042: we purged the phishing mail');
    expect(received[0]?.raw).toContain('The message was removed.');
  });

  it('PB11: a repeated attempt with the same idempotency key sends nothing more', async () => {
    const recorded = new Map();
    await run({ to: 'a@corp.example', subject: 's', body: 'b' }, { recorded });
    await run({ to: 'a@corp.example', subject: 's', body: 'b' }, { recorded });
    expect(received).toHaveLength(1);
  });

  it('without SMTP_URL fails with not_configured', async () => {
    const e = await run({ to: 'a@corp.example', subject: 's', body: 'b' }, { services: { smtp: null } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ActionError);
    expect(e).toMatchObject({ code: 'not_configured', message: 'e-mail not configured (SMTP_URL)' });
  });

  it('PB16: a dry run sends nothing', async () => {
    expect(await run({ to: 'a@corp.example', subject: 's', body: 'b' }, { dryRun: true })).toEqual({
      dry_run: true,
      would: { to: ['a@corp.example'], cc: [], subject: 's' },
    });
    expect(received).toHaveLength(0);
  });

  it('refuses header injection in the subject and bad addresses, naming the field', () => {
    const issues = (v: unknown) =>
      ACTIONS.get('notify.email')
        ?.input.safeParse(v)
        .error?.issues.map((i) => i.path.join('.'));
    expect(issues({ to: 'a@corp.example', subject: 'hi\r\nBcc: x@evil.example', body: '' })).toEqual(['subject']);
    expect(issues({ to: 'not an address', subject: 's', body: '' })).toEqual(['to']);
  });

  it('an unreachable SMTP server is a retryable network error without the password', async () => {
    const e = await run(
      { to: 'a@corp.example', subject: 's', body: 'b' },
      { services: { smtp: { url: 'smtp://user:pw-SECRET@127.0.0.1:1', from: 'x@corp.example' } } },
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'network', retryable: true });
    expect((e as Error).message).not.toContain('pw-SECRET');
  });
});
