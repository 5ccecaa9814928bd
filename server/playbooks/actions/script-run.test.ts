import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeContext, runAction, type FakeContextOptions } from './fake-context.ts';
import { ACTIONS } from './registry.ts';
import { ActionError } from './types.ts';

let dir: string;
let outside: string;
const SCRIPTS: Record<string, string> = {
  'echo.mjs': `let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{const i=JSON.parse(s);process.stdout.write(JSON.stringify({got:i,doubled:i.n*2}))})`,
  'text.sh': `echo "plain words"`,
  'env.js': `process.stdout.write(JSON.stringify(process.env))`,
  'fail.sh': `echo "partial" ; echo "token expired for api" >&2 ; exit 3`,
  // Starts a grandchild, records both pids, then waits forever.
  'hang.sh': `sleep 300 & echo $! > hang.child ; echo $$ > hang.pid ; wait`,
  'touch.sh': `echo ran > touched`,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sp-scripts-'));
  outside = await mkdtemp(join(tmpdir(), 'sp-outside-'));
  for (const [name, body] of Object.entries(SCRIPTS)) await writeFile(join(dir, name), body);
  await writeFile(join(outside, 'evil.sh'), 'echo escaped');
  await symlink(join(outside, 'evil.sh'), join(dir, 'link.sh'));
  await chmod(join(dir, 'text.sh'), 0o644); // run via bash: needs no execute bit
  process.env['SP_TEST_SECRET'] = 'must-not-leak-into-scripts';
});
afterAll(async () => {
  delete process.env['SP_TEST_SECRET'];
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const run = (raw: unknown, opts: FakeContextOptions = {}) =>
  runAction(ACTIONS, 'script.run', raw, fakeContext({ ...opts, services: { scriptsDir: dir, ...opts.services } }));
async function failure(p: Promise<unknown>): Promise<ActionError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ActionError);
  return e as ActionError;
}
/** Running (a zombie waiting for its new parent to reap it counts as gone). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('script.run', () => {
  it('passes the inputs as JSON on stdin and parses JSON stdout as the output', async () => {
    expect(await run({ script: 'echo.mjs', input: { n: 21, s: 'x' } })).toEqual({ got: { n: 21, s: 'x' }, doubled: 42 });
  });

  it('returns non-JSON stdout as { text }', async () => {
    expect(await run({ script: 'text.sh' })).toEqual({ text: 'plain words\n' });
  });

  it('runs with a clean environment: PATH only', async () => {
    const env = (await run({ script: 'env.js' })) as Record<string, string>;
    expect(Object.keys(env).filter((k) => !['PATH', 'PWD', 'SHLVL', '_'].includes(k))).toEqual([]);
    expect(env['PATH']).toBe(process.env['PATH']);
    expect(JSON.stringify(env)).not.toContain('must-not-leak');
  });

  it('a non-zero exit is script_failed with the exit code and stderr', async () => {
    const e = await failure(run({ script: 'fail.sh' }));
    expect(e).toMatchObject({ code: 'script_failed', retryable: false, details: { exit_code: 3 } });
    expect(e.message).toBe('script "fail.sh" exited with code 3: token expired for api');
  });

  it('PB12: is killed with its children when the step times out', async () => {
    const started = Date.now();
    const e = await failure(run({ script: 'hang.sh' }, { signal: AbortSignal.timeout(300) }));
    expect(e.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    const pid = Number(await readFile(join(dir, 'hang.pid'), 'utf8'));
    const child = Number(await readFile(join(dir, 'hang.child'), 'utf8'));
    for (let i = 0; i < 50 && (alive(pid) || alive(child)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
    expect(alive(child)).toBe(false);
  });

  it('refuses names with paths, hidden files, other extensions, missing scripts and symlinks out of the folder', async () => {
    const input = ACTIONS.get('script.run')?.input;
    for (const script of ['../x.sh', '/etc/passwd', 'sub/x.sh', '.hidden.sh', 'x.py', 'x']) {
      expect(input?.safeParse({ script }).error?.issues[0]?.path, script).toEqual(['script']);
    }
    expect((await failure(run({ script: 'nope.sh' }))).message).toBe('no script "nope.sh" in the script folder');
    expect((await failure(run({ script: 'link.sh' }))).message).toBe('script "link.sh" resolves outside the script folder');
  });

  it('PB16: does not start the script in a dry run', async () => {
    expect(await run({ script: 'touch.sh' }, { dryRun: true })).toEqual({ dry_run: true, would: { script: 'touch.sh', input: {} } });
    expect(existsSync(join(dir, 'touched'))).toBe(false);
  });

  it('PB11: a repeated attempt with the same idempotency key does not run the script again', async () => {
    const recorded = new Map();
    await run({ script: 'touch.sh' }, { recorded });
    await rm(join(dir, 'touched'));
    await run({ script: 'touch.sh' }, { recorded });
    expect(existsSync(join(dir, 'touched'))).toBe(false);
  });

  it('the shipped example scripts work', async () => {
    const shipped = resolve(import.meta.dirname, '../../../scripts-repo');
    const ctx = { services: { scriptsDir: shipped } };
    expect(await run({ script: 'defang.mjs', input: { values: ['http://evil.example/a', 'x@evil.example'] } }, ctx)).toEqual({
      defanged: ['hxxp[://]evil[.]example/a', 'x[@]evil[.]example'],
    });
    expect(await run({ script: 'resolve-domain.sh', input: { domain: 'localhost' } }, ctx)).toMatchObject({
      domain: 'localhost',
      addresses: expect.arrayContaining(['127.0.0.1']),
    });
    expect((await failure(run({ script: 'resolve-domain.sh', input: { domain: 'a;rm -rf /' } }, ctx))).code).toBe('script_failed');
  });
});
