import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadMasterKey, MasterKeyError, type MasterKeySpec } from './master-key.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
const freshDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'sp-master-key-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const spec = (dataDir: string, over: Partial<MasterKeySpec> = {}): MasterKeySpec => ({
  envName: 'TEST_KEY',
  previousName: 'TEST_KEY_PREVIOUS',
  dataDir,
  fileName: 'test.key',
  label: 'the test key',
  protects: 'nothing',
  ...over,
});

describe('master-key loader', () => {
  it('creates a 0600 key file in a missing data folder on first start and reads it back after', async () => {
    const dir = join(await freshDir(), 'nested', 'data');
    const first = await loadMasterKey(spec(dir));
    expect(first.source).toBe('created');
    expect(first.current).toHaveLength(32);
    expect((await stat(join(dir, 'test.key'))).mode & 0o777).toBe(0o600);
    const again = await loadMasterKey(spec(dir));
    expect(again.source).toBe('file');
    expect(again.current.equals(first.current)).toBe(true);
    expect(await readdir(dir)).toEqual(['test.key']);
  });

  it('uses the environment key when set, without touching the data folder, and the previous key beside it', async () => {
    const env = randomBytes(32);
    const prev = randomBytes(32);
    const keys = await loadMasterKey(spec('/nonexistent-dir', { envKey: env.toString('base64'), previousKey: prev.toString('base64') }));
    expect(keys).toMatchObject({ source: 'env', path: null });
    expect(keys.current.equals(env)).toBe(true);
    expect(keys.previous.map((k) => k.toString('hex'))).toEqual([prev.toString('hex')]);
  });

  it('refuses a key of the wrong length, naming where it came from but never echoing it', async () => {
    const short = randomBytes(16).toString('base64');
    await expect(loadMasterKey(spec('/nonexistent-dir', { envKey: short }))).rejects.toThrow(
      new MasterKeyError('TEST_KEY must be base64 of 32 bytes (got 16 bytes)'),
    );
    await expect(loadMasterKey(spec('/nonexistent-dir', { envKey: randomBytes(32).toString('base64'), previousKey: short }))).rejects.toThrow(
      /^TEST_KEY_PREVIOUS must be base64/,
    );
    const dir = await freshDir();
    await writeFile(join(dir, 'test.key'), short);
    const err: unknown = await loadMasterKey(spec(dir)).then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof MasterKeyError)) throw new Error('expected a MasterKeyError');
    expect(err.message).toBe(`${join(dir, 'test.key')} must be base64 of 32 bytes (got 16 bytes)`);
    expect(err.message).not.toContain(short);
  });

  it('gives one key to many loaders racing on a fresh folder, exactly one of which created it', async () => {
    const dir = await freshDir();
    const all = await Promise.all(Array.from({ length: 16 }, () => loadMasterKey(spec(dir))));
    expect(new Set(all.map((k) => k.current.toString('hex'))).size).toBe(1);
    expect(all.filter((k) => k.source === 'created')).toHaveLength(1);
    expect(await readdir(dir)).toEqual(['test.key']);
  });
});

/** A child process loading both master keys (master-key-race.child.ts), one folder per request. */
interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  /** The next JSON line it prints. */
  next(): Promise<Record<string, string>>;
}

function startChild(): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/keys/master-key-race.child.ts'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((line: string) => void)[] = [];
  const queued: string[] = [];
  let ready!: () => void;
  const readyP = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') return ready();
    const w = waiting.shift();
    if (w) w(line);
    else queued.push(line);
  });
  return {
    process: child,
    ready: readyP,
    next: () =>
      new Promise((resolve) => {
        const q = queued.shift();
        if (q !== undefined) resolve(JSON.parse(q));
        else waiting.push((line) => resolve(JSON.parse(line)));
      }),
  };
}

const children: Child[] = [];
afterAll(() => {
  for (const c of children) c.process.kill();
});

const fileKeyId = async (path: string, hexDigits: number): Promise<string> =>
  createHash('sha256')
    .update(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64'))
    .digest('hex')
    .slice(0, hexDigits);

describe('two processes starting at once on a fresh data folder', () => {
  it('come up with the same evidence and secrets keys, those of the files left in the folder', { timeout: 60_000 }, async () => {
    children.push(startChild(), startChild());
    await Promise.all(children.map((c) => c.ready));
    for (let round = 0; round < 20; round++) {
      const dir = join(await freshDir(), 'data');
      // Both children get the folder in the same tick: their loads overlap.
      for (const c of children) c.process.stdin!.write(`${dir}\n`);
      const [a, b] = await Promise.all(children.map((c) => c.next()));
      expect(a, `round ${round}`).toEqual({ dataDir: dir, evidence: expect.any(String), secrets: expect.any(String) });
      expect(b, `round ${round}`).toEqual(a);
      expect(a!.evidence).toBe(await fileKeyId(join(dir, 'evidence.key'), 16));
      expect(a!.secrets).toBe(`k-${await fileKeyId(join(dir, 'secrets.key'), 12)}`);
      expect((await readdir(dir)).sort()).toEqual(['evidence.key', 'secrets.key']);
    }
  });
});
