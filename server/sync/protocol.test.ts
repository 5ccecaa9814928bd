// @vitest-environment node
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import { createIncident } from '../../shared/incident-doc.ts';
import { HOSTILE_UPDATE } from '../testing/hostile-update.ts';
import {
  encodeAwarenessMessage,
  encodeStoredStep2,
  encodeSyncStep1,
  encodeUpdateMessage,
  KEEPALIVE_MESSAGE,
  parseMessage,
  validateUpdate,
} from './protocol.ts';

function incidentDoc(): Y.Doc {
  const doc = new Y.Doc({ guid: '01900000-0000-7000-8000-000000000001' });
  createIncident(doc, { title: 'Ransomware on file server', createdBy: 'alice' });
  return doc;
}

describe('parseMessage', () => {
  it('reads sync step 1, step 2, updates, awareness and awareness queries', () => {
    const doc = incidentDoc();
    const step1 = parseMessage(encodeSyncStep1(doc));
    expect(step1.ok && step1.value.type).toBe('sync-step-1');

    const update = Y.encodeStateAsUpdate(doc);
    const u = parseMessage(encodeUpdateMessage(update));
    expect(u.ok && u.value.type).toBe('update');

    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint8Array(e, update);
    const step2 = parseMessage(encoding.toUint8Array(e));
    expect(step2.ok && step2.value.type).toBe('sync-step-2');

    const aw = new awarenessProtocol.Awareness(doc);
    aw.setLocalStateField('user', { name: 'alice' });
    const a = parseMessage(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(aw, [doc.clientID])));
    expect(a.ok && a.value.type).toBe('awareness');
    aw.destroy();

    const q = parseMessage(new Uint8Array([3]));
    expect(q.ok && q.value.type).toBe('query-awareness');
  });

  it('accepts its own keepalive', () => {
    const k = parseMessage(KEEPALIVE_MESSAGE);
    expect(k.ok && k.value.type).toBe('awareness');
  });

  it('SY1: refuses garbage, truncation and unknown message types', () => {
    const doc = incidentDoc();
    const full = encodeUpdateMessage(Y.encodeStateAsUpdate(doc));
    expect(parseMessage(new Uint8Array([])).ok).toBe(false);
    expect(parseMessage(new Uint8Array([9, 1, 2])).ok).toBe(false);
    expect(parseMessage(new Uint8Array([0, 7, 0])).ok).toBe(false);
    expect(parseMessage(full.subarray(0, full.length - 5)).ok).toBe(false);
    expect(parseMessage(new Uint8Array([1, 5, 1, 2, 3])).ok).toBe(false);
  });

  it('SY1: refuses an awareness update whose state is not JSON', () => {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    const inner = encoding.createEncoder();
    encoding.writeVarUint(inner, 1);
    encoding.writeVarUint(inner, 42);
    encoding.writeVarUint(inner, 1);
    encoding.writeVarString(inner, '{not json');
    encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
    const r = parseMessage(encoding.toUint8Array(e));
    expect(r.ok).toBe(false);
  });

  it('SY1: fuzz: random bytes and random corruptions of real messages never throw', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const real = encodeUpdateMessage(Y.encodeStateAsUpdate(incidentDoc()));
    for (let i = 0; i < 2_000; i++) {
      const bytes = i % 2 === 0 ? new Uint8Array(Math.floor(rand() * 64)).map(() => Math.floor(rand() * 256)) : real.slice();
      if (i % 2 === 1) for (let k = 0; k < 3; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      expect(() => parseMessage(bytes)).not.toThrow();
    }
  });
});

describe('validateUpdate', () => {
  it('accepts real updates and the empty update', () => {
    expect(validateUpdate(Y.encodeStateAsUpdate(incidentDoc())).ok).toBe(true);
    expect(validateUpdate(Y.encodeStateAsUpdate(new Y.Doc())).ok).toBe(true);
  });
  it('SY2: refuses an update that decodes but would make Yjs throw half-way (an empty delete range)', () => {
    expect(() => Y.decodeUpdate(HOSTILE_UPDATE)).not.toThrow();
    expect(() => Y.applyUpdate(new Y.Doc(), HOSTILE_UPDATE)).toThrow();
    expect(validateUpdate(HOSTILE_UPDATE).ok).toBe(false);
  });
  it('SY1: refuses a truncated update', () => {
    const u = Y.encodeStateAsUpdate(incidentDoc());
    expect(validateUpdate(u.subarray(0, Math.floor(u.length / 2))).ok).toBe(false);
  });
});

describe('encodeStoredStep2', () => {
  it('SY21: answers a cold open from the stored bytes: updates, then a step 2, together the document (only what the peer lacks)', () => {
    const doc = incidentDoc();
    const snapshot = Y.encodeStateAsUpdate(doc);
    const peer = new Y.Doc({ guid: doc.guid });
    Y.applyUpdate(peer, snapshot);
    const before = Y.encodeStateVector(doc);
    doc.getMap('meta').set('title', 'Ransomware on file server FS01');
    const later = Y.encodeStateAsUpdate(doc, before);
    const sizes: number[] = [];
    for (const [stateVector, target] of [
      [Y.encodeStateVector(new Y.Doc()), new Y.Doc()],
      [Y.encodeStateVector(peer), peer],
    ] as const) {
      const encoded = encodeStoredStep2([snapshot, later], stateVector);
      sizes.push(encoded.reduce((n, m) => n + m.length, 0));
      const messages = encoded.map((m) => parseMessage(m));
      expect(messages.map((m) => (m.ok ? m.value.type : 'bad'))).toEqual(['update', 'sync-step-2']);
      for (const m of messages) if (m.ok && (m.value.type === 'update' || m.value.type === 'sync-step-2')) Y.applyUpdate(target, m.value.update);
      expect(Y.encodeStateVector(target)).toEqual(Y.encodeStateVector(doc));
      expect(target.getMap('meta').get('title')).toBe('Ransomware on file server FS01');
    }
    // The peer that already had the snapshot is sent only the later change.
    expect(sizes[1]).toBeLessThan((sizes[0] ?? 0) / 2);
  });
});
