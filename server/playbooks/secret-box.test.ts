import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretBox, loadSecretBox, SecretBoxError } from './secret-box.ts';

const key = (id: string) => ({ id, key: randomBytes(32) });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('PB22: secret box', () => {
  it('opens what it sealed, with a fresh IV each time and no plaintext in the sealed bytes', () => {
    const box = createSecretBox(key('k1'));
    const a = box.seal('hunter2-api-key');
    const b = box.seal('hunter2-api-key');
    expect(box.open(a)).toBe('hunter2-api-key');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(a).toString('latin1')).not.toContain('hunter2');
  });

  it('detects a changed byte anywhere: ciphertext, tag, IV or key id', () => {
    const box = createSecretBox(key('k1'), [key('k2')]);
    const sealed = Buffer.from(box.seal('a secret value'));
    for (const at of [sealed.length - 1, sealed.length - 20, 8, 4]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] as number) ^ 0x01;
      expect(() => box.open(bad), `byte ${at}`).toThrow(SecretBoxError);
    }
    expect(() => box.open(sealed.subarray(0, 20))).toThrow(/truncated|authentication/);
  });

  it('refuses to open with the wrong key', () => {
    const sealed = createSecretBox(key('k1')).seal('value');
    expect(() => createSecretBox(key('k1')).open(sealed)).toThrow(/authentication/);
    expect(() => createSecretBox(key('other')).open(sealed)).toThrow(/unknown key "k1"/);
  });

  it('still opens values sealed with a previous key after rotation, and seals with the new one', () => {
    const old = key('old');
    const sealedBefore = createSecretBox(old).seal('before rotation');
    const rotated = createSecretBox(key('new'), [old]);
    expect(rotated.open(sealedBefore)).toBe('before rotation');
    expect(rotated.keyId).toBe('new');
    expect(() => createSecretBox(old).open(rotated.seal('after'))).toThrow(/unknown key "new"/);
  });

  it('creates <DATA_DIR>/secrets.key with mode 0600 on first start and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sp-box-'));
    dirs.push(dir);
    const first = await loadSecretBox({ dataDir: dir });
    const st = await stat(join(dir, 'secrets.key'));
    expect(st.mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(join(dir, 'secrets.key'), 'utf8')).trim(), 'base64')).toHaveLength(32);
    const sealed = first.seal('kept across restarts');
    const second = await loadSecretBox({ dataDir: dir });
    expect(second.open(sealed)).toBe('kept across restarts');
  });

  it('uses SECRETS_KEY when set and rejects a key of the wrong length without echoing it', async () => {
    const k = randomBytes(32).toString('base64');
    const box = await loadSecretBox({ secretsKey: k, dataDir: '/nonexistent-dir' });
    expect(box.open(box.seal('x'))).toBe('x');
    const short = randomBytes(16).toString('base64');
    await expect(loadSecretBox({ secretsKey: short, dataDir: '/nonexistent-dir' })).rejects.toThrow(/SECRETS_KEY must be base64 of 32 bytes \(got 16 bytes\)/);
    await expect(loadSecretBox({ secretsKey: short, dataDir: '/nonexistent-dir' })).rejects.not.toThrow(short);
  });
});

describe('PB22: key rotation through loadSecretBox', () => {
  it('a new SECRETS_KEY with the old file key as previous opens what the old key sealed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sp-box-'));
    dirs.push(dir);
    const old = await loadSecretBox({ dataDir: dir });
    const sealed = old.seal('sealed before rotation');
    const oldKey = (await readFile(join(dir, 'secrets.key'), 'utf8')).trim();
    const rotated = await loadSecretBox({ secretsKey: randomBytes(32).toString('base64'), previousKey: oldKey, dataDir: dir });
    expect(rotated.open(sealed)).toBe('sealed before rotation');
    expect(rotated.keyId).not.toBe(old.keyId);
  });
});
