import { describe, expect, it } from 'vitest';
import { parseObservables, splitPaste } from './observables.ts';

describe('observables from a paste', () => {
  it('splits lines and commas, but not a URL at its commas', () => {
    expect(splitPaste('203.0.113.7, 198.51.100.2\n\n  evil.example  \nhttps://x.example/a?b=1,2\n10.0.0.1,hxxp://a[.]example/, b.example')).toEqual([
      '203.0.113.7',
      '198.51.100.2',
      'evil.example',
      'https://x.example/a?b=1,2',
      '10.0.0.1,hxxp://a[.]example/',
      'b.example',
    ]);
  });

  it('detects each kind and makes defanged values live', () => {
    const r = parseObservables(
      '203[.]0.113.7\nhxxps://Evil[.]Example/path\nEVIL[.]example\nD41D8CD98F00B204E9800998ECF8427E\nCFO[@]corp[.]example\n10.0.0.0/8',
      'detect',
      '  from the proxy log ',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        rejected: [],
        observables: [
          { kind: 'ip', value: '203.0.113.7', note: 'from the proxy log' },
          { kind: 'url', value: 'https://evil.example/path', note: 'from the proxy log' },
          { kind: 'domain', value: 'evil.example', note: 'from the proxy log' },
          { kind: 'hash', value: 'd41d8cd98f00b204e9800998ecf8427e', note: 'from the proxy log' },
          { kind: 'email', value: 'cfo@corp.example', note: 'from the proxy log' },
          { kind: 'ip', value: '10.0.0.0/8', note: 'from the proxy log' },
        ],
      },
    });
  });

  it('takes a chosen kind as given (accounts and hosts keep their case)', () => {
    expect(parseObservables('CORP\\svc-backup, ws-042', 'account', '')).toEqual({
      ok: true,
      value: {
        observables: [
          { kind: 'account', value: 'CORP\\svc-backup' },
          { kind: 'account', value: 'ws-042' },
        ],
        rejected: [],
      },
    });
    expect(parseObservables('ABCDEF', 'hash', '')).toEqual({ ok: true, value: { observables: [{ kind: 'hash', value: 'abcdef' }], rejected: [] } });
  });

  it('adds what it can tell and lists each value it cannot, with the reason', () => {
    const long = 'a'.repeat(2_049);
    expect(parseObservables(`203.0.113[.]7, ws-042\n<img src=x onerror=alert(1)>\nevil[.]example`, 'detect', 'proxy')).toEqual({
      ok: true,
      value: {
        observables: [
          { kind: 'ip', value: '203.0.113.7', note: 'proxy' },
          { kind: 'domain', value: 'evil.example', note: 'proxy' },
        ],
        rejected: [
          { value: 'ws-042', reason: 'could not tell what it is: choose its kind' },
          { value: '<img src=x onerror=alert(1)>', reason: 'could not tell what it is: choose its kind' },
        ],
      },
    });
    expect(parseObservables(`${long}\nnote.txt`, 'other', '')).toEqual({
      ok: true,
      value: { observables: [{ kind: 'other', value: 'note.txt' }], rejected: [{ value: long, reason: 'longer than 2048 characters' }] },
    });
  });

  it('refuses an empty paste, too many values and an unknown kind as a whole, adding nothing', () => {
    expect(parseObservables('  \n ', 'detect', '')).toEqual({ ok: false, error: 'Paste or type a value first.' });
    expect(parseObservables(Array.from({ length: 501 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join('\n'), 'detect', '').ok).toBe(false);
    expect(parseObservables('10.0.0.1', 'ipv4' as never, '')).toEqual({ ok: false, error: 'Unknown kind "ipv4".' });
  });
});
