// @vitest-environment node
/**
 * The post-incident review and action items in the incident document (issue 12): the typed
 * accessors and their defensive reads, two devices co-editing one review field (one offline) with
 * both edits kept, the guard that writes back erasures and forged sign-offs, and the closing gate.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addActionItem,
  closeIncident,
  createIncident,
  DEFAULT_REVIEW_SEVERITIES,
  readActionItems,
  readIncident,
  readMeta,
  readReview,
  reviewMissing,
  reviewRequired,
  reviewText,
  setReviewFields,
  setStatus,
  signOffReview,
  updateActionItem,
} from './incident-doc.ts';
import { enforceRules, type Editor } from './incident-guard.ts';
import type { Severity } from './incident-schema.ts';
import { newId } from './ids.ts';

function makeIncident(severity: Severity = 'S3'): Y.Doc {
  const doc = new Y.Doc({ guid: newId() });
  createIncident(doc, { title: 'Review me', createdBy: 'Analyst A', severity });
  return doc;
}

/** A copy of `doc` as a second device holds it after syncing. */
function copyOf(doc: Y.Doc): Y.Doc {
  const other = new Y.Doc({ guid: doc.guid });
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
  return other;
}

/** Exchange what each side lacks (a device coming back online). */
function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

/** Apply a device's update to the server's copy the way the document manager does: guarded, in one transaction. */
function applyGuarded(server: Y.Doc, device: Y.Doc, editor: Editor): ReturnType<typeof enforceRules> {
  const update = Y.encodeStateAsUpdate(device, Y.encodeStateVector(server));
  let correction: ReturnType<typeof enforceRules> = null;
  Y.transact(
    server,
    (tr) => {
      Y.applyUpdate(server, update, 'device');
      correction = enforceRules(tr, server, editor);
    },
    'device',
  );
  return correction;
}

const complete = {
  texts: { summary: 'Phishing led to one mailbox compromise', impactWhat: 'One mailbox read for two hours', rootCause: 'No MFA on the legacy IMAP endpoint' },
};

describe('the review accessors', () => {
  it('reads an empty review for an incident that has none, and what was written, in the API shape', () => {
    const doc = makeIncident();
    expect(readReview(doc)).toMatchObject({ summary: '', impact: { what: '' }, fiveWhys: [], decisions: [], signedOffBy: null });
    expect(
      setReviewFields(
        doc,
        {
          texts: { ...complete.texts, impactRegulatory: 'GDPR art. 33: notified', detectionHow: 'User report', lucky: 'It was a Friday' },
          detectionLate: true,
          fiveWhys: ['Why was the mailbox read?', 'Why was the password known?'],
          decisions: ['Disable IMAP'],
        },
        'Analyst A',
      ).ok,
    ).toBe(true);
    const r = readReview(doc);
    expect(r.summary).toBe(complete.texts.summary);
    expect(r.impact).toMatchObject({ what: 'One mailbox read for two hours', regulatory: 'GDPR art. 33: notified' });
    expect(r.detection).toMatchObject({ how: 'User report', late: true });
    expect(r.fiveWhys.map((w) => w.text)).toEqual(['Why was the mailbox read?', 'Why was the password known?']);
    expect(r.decisions[0]).toMatchObject({ text: 'Disable IMAP', by: 'Analyst A', deleted: false });
    expect(r.updatedBy).toBe('Analyst A');
    expect(readIncident(doc)?.incident.review.summary).toBe(complete.texts.summary);
  });

  it('never removes a list item: a shorter list marks the rest deleted, and edits the rest in place', () => {
    const doc = makeIncident();
    setReviewFields(doc, { fiveWhys: ['one', 'two', 'three'] }, 'A');
    const ids = readReview(doc).fiveWhys.map((w) => w.id);
    setReviewFields(doc, { fiveWhys: ['one', 'two, better'] }, 'B');
    const after = readReview(doc).fiveWhys;
    expect(after.map((w) => w.id)).toEqual(ids);
    expect(after.map((w) => [w.text, w.deleted])).toEqual([
      ['one', false],
      ['two, better', false],
      ['three', true],
    ]);
  });

  it('refuses a patch that breaks the schema and writes nothing of it', () => {
    const doc = makeIncident();
    const before = Y.encodeStateVector(doc);
    const tooLong = setReviewFields(doc, { texts: { summary: 'ok', rootCause: 'x'.repeat(20_001) } }, 'A');
    expect(tooLong).toEqual({ ok: false, error: 'rootCause: at most 20000 characters' });
    expect(setReviewFields(doc, { decisions: Array.from({ length: 51 }, () => 'd') }, 'A').ok).toBe(false);
    expect(Y.encodeStateVector(doc)).toEqual(before);
  });

  it('reads junk a hostile client wrote as empty, listing the problem, never throwing', () => {
    const doc = makeIncident();
    const review = doc.getMap('review');
    review.set('detectionLate', 'very');
    review.set('signedOffBy', 'Lead L'); // half a sign-off (no time) is none
    doc.getArray('review:decisions').push(['a string', new Y.Map()]);
    doc.getArray('actionItems').push([{ id: 'x' }, new Y.Map()]);
    const problems: string[] = [];
    const r = readReview(doc, problems);
    expect(r).toMatchObject({ summary: '', detection: { late: null }, decisions: [], signedOffBy: null });
    expect(problems).toEqual(expect.arrayContaining(['review.decisions[0] is not a map', 'review.decisions[1] is invalid']));
    expect(readActionItems(doc, problems)).toEqual([]);
    expect(problems).toEqual(expect.arrayContaining(['actionItems[0] is not a map', 'actionItems[1] is invalid']));
  });

  it('names what a review lacks, refuses a sign-off until the required sections are filled, and records it', () => {
    const doc = makeIncident();
    expect(reviewMissing(readReview(doc))).toEqual(['summary', 'impact', 'root_cause', 'sign_off']);
    const early = signOffReview(doc, 'Lead L');
    expect(early.ok).toBe(false);
    if (!early.ok) expect(early.error.missing).toEqual(['summary', 'impact', 'root_cause']);
    setReviewFields(doc, complete, 'A');
    expect(reviewMissing(readReview(doc))).toEqual(['sign_off']);
    expect(signOffReview(doc, 'Lead L').ok).toBe(true);
    const r = readReview(doc);
    expect(r.signedOffBy).toBe('Lead L');
    expect(r.signedOffAt).not.toBeNull();
    expect(reviewMissing(r)).toEqual([]);
  });
});

describe('action items', () => {
  it('adds, changes and drops (never removes) action items, validated whole', () => {
    const doc = makeIncident();
    const a = addActionItem(doc, { title: 'Enforce MFA on IMAP', owner: 'IT Ops', due: '2026-03-01', type: 'prevent' }, 'Analyst A');
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    expect(addActionItem(doc, { title: '', owner: null, due: null, type: 'detect' }, 'A').ok).toBe(false);
    expect(addActionItem(doc, { title: 'Bad date', owner: null, due: '2026-02-30', type: 'detect' }, 'A').ok).toBe(false);
    expect(readActionItems(doc)).toHaveLength(1);
    expect(readActionItems(doc)[0]).toMatchObject({ id: a.value, status: 'open', createdBy: 'Analyst A', due: '2026-03-01' });
    expect(updateActionItem(doc, a.value, { status: 'in_progress', owner: 'SecOps' }).ok).toBe(true);
    expect(updateActionItem(doc, a.value, { type: 'nonsense' as 'detect' }).ok).toBe(false);
    expect(updateActionItem(doc, newId(), { status: 'done' }).ok).toBe(false);
    expect(updateActionItem(doc, a.value, { status: 'dropped' }).ok).toBe(true);
    expect(readActionItems(doc)).toEqual([expect.objectContaining({ id: a.value, status: 'dropped', owner: 'SecOps', type: 'prevent' })]);
    expect(readIncident(doc)?.incident.actionItems).toHaveLength(1);
  });
});

describe('co-editing a review field', () => {
  it('keeps both edits of two devices writing the same field at once, one of them offline', () => {
    const server = makeIncident();
    setReviewFields(server, { texts: { rootCause: 'Password reuse.' } }, 'A');
    const online = copyOf(server);
    const offline = copyOf(server);
    // Online: typing at the end of the field, synced at once.
    reviewText(online, 'rootCause').insert('Password reuse.'.length, ' The VPN had no MFA.');
    sync(online, server);
    // Offline: rewriting the start of the same field (through the accessor, as the REST write does).
    expect(setReviewFields(offline, { texts: { rootCause: 'Root: password reuse.' } }, 'B').ok).toBe(true);
    reviewText(offline, 'summary').insert(0, 'Written on the plane');
    // Back online.
    sync(offline, server);
    sync(server, online);
    for (const doc of [server, online, offline]) {
      expect(readReview(doc).rootCause).toBe('Root: password reuse. The VPN had no MFA.');
      expect(readReview(doc).summary).toBe('Written on the plane');
    }
  });

  it('keeps both when two devices write a field of a review nobody had opened yet', () => {
    const a = makeIncident();
    const b = copyOf(a);
    setReviewFields(a, { texts: { wentWell: 'Containment in 20 minutes.' } }, 'A');
    setReviewFields(b, { texts: { wentWell: 'The backups worked.' } }, 'B');
    sync(a, b);
    const merged = readReview(a).wentWell;
    expect(merged).toContain('Containment in 20 minutes.');
    expect(merged).toContain('The backups worked.');
    expect(readReview(b).wentWell).toBe(merged);
  });

  it('keeps decisions added on two devices at once', () => {
    const a = makeIncident();
    const b = copyOf(a);
    setReviewFields(a, { decisions: ['Reimage the host'] }, 'A');
    setReviewFields(b, { decisions: ['Call the insurer'] }, 'B');
    sync(a, b);
    expect(
      readReview(a)
        .decisions.map((d) => d.text)
        .sort(),
    ).toEqual(['Call the insurer', 'Reimage the host']);
    expect(readReview(b).decisions).toEqual(readReview(a).decisions);
  });
});

describe('the guard on the review and action items', () => {
  const analyst: Editor = { name: 'Analyst A', moderator: false };
  const lead: Editor = { name: 'Lead L', moderator: true };

  it('puts back an action item, a why and a decision a device removed, and an item text it replaced', () => {
    const server = makeIncident();
    setReviewFields(server, { texts: { summary: 'Keep me' }, fiveWhys: ['why 1', 'why 2'], decisions: ['d1'] }, 'A');
    addActionItem(server, { title: 'Patch the VPN', owner: null, due: null, type: 'prevent' }, 'A');
    const device = copyOf(server);
    device.transact(() => {
      device.getArray('actionItems').delete(0, 1);
      device.getArray('review:fiveWhys').delete(0, 1);
      device.getArray('review:decisions').delete(0, 1);
      device.getArray<Y.Map<unknown>>('review:fiveWhys').get(0).set('text', new Y.Text('Replaced'));
    });
    const correction = applyGuarded(server, device, analyst);
    expect(correction).toMatchObject({ restoredItems: 3, restoredFields: 1 });
    expect(correction?.summary).toContain('3 review or action items removed');
    const r = readReview(server);
    expect(r.summary).toBe('Keep me');
    expect(r.fiveWhys.map((w) => w.text)).toEqual(['why 1', 'why 2']);
    expect(readReview(device).fiveWhys.map((w) => w.text)).toEqual(['Replaced']);
    expect(r.decisions.map((d) => d.text)).toEqual(['d1']);
    expect(readActionItems(server).map((i) => i.title)).toEqual(['Patch the VPN']);
  });

  it('writes back an action item id rewritten by a device, and lets its status change', () => {
    const server = makeIncident();
    const added = addActionItem(server, { title: 'Tune the EDR', owner: null, due: null, type: 'detect' }, 'A');
    const id = added.ok ? added.value : '';
    const device = copyOf(server);
    const item = device.getArray<Y.Map<unknown>>('actionItems').get(0);
    device.transact(() => {
      item.set('id', newId());
      item.set('status', 'done');
    });
    expect(applyGuarded(server, device, analyst)).toMatchObject({ restoredFields: 1 });
    expect(readActionItems(server)).toEqual([expect.objectContaining({ id, status: 'done' })]);
    // Dropping is an ordinary edit.
    const again = copyOf(server);
    updateActionItem(again, id, { status: 'dropped' });
    expect(applyGuarded(server, again, analyst)).toBeNull();
    expect(readActionItems(server)[0]?.status).toBe('dropped');
  });

  it('refuses a sign-off forged by a non-lead and signs a lead’s in the lead’s own name', () => {
    const server = makeIncident();
    setReviewFields(server, complete, 'A');
    const forger = copyOf(server);
    expect(signOffReview(forger, 'Lead L').ok).toBe(true);
    expect(applyGuarded(server, forger, analyst)?.restoredFields).toBe(2);
    expect(readReview(server).signedOffBy).toBeNull();
    const byLead = copyOf(server);
    expect(signOffReview(byLead, 'Somebody Else').ok).toBe(true);
    expect(applyGuarded(server, byLead, lead)?.restoredFields).toBe(1);
    expect(readReview(server).signedOffBy).toBe('Lead L');
    // An analyst cannot take a sign-off back either.
    const undo = copyOf(server);
    undo.getMap('review').delete('signedOffBy');
    applyGuarded(server, undo, analyst);
    expect(readReview(server).signedOffBy).toBe('Lead L');
    // Editing the review's texts is anyone's.
    const edit = copyOf(server);
    reviewText(edit, 'wentWell').insert(0, 'Fast containment');
    expect(applyGuarded(server, edit, analyst)).toBeNull();
    expect(readReview(server).wentWell).toBe('Fast containment');
  });
});

describe('the closing gate', () => {
  const closing = { resolution: 'true_positive', summary: 'Mailbox secured' };

  it('applies to true positives of the severities the setting names (S1 and S2 by default)', () => {
    expect(DEFAULT_REVIEW_SEVERITIES).toEqual(['S1', 'S2']);
    expect(reviewRequired(DEFAULT_REVIEW_SEVERITIES, 'S1', 'true_positive')).toBe(true);
    expect(reviewRequired(DEFAULT_REVIEW_SEVERITIES, 'S3', 'true_positive')).toBe(false);
    expect(reviewRequired(DEFAULT_REVIEW_SEVERITIES, 'S1', 'false_positive')).toBe(false);
    expect(reviewRequired([], 'S1', 'true_positive')).toBe(false);
  });

  it('refuses to close an S1 true positive until the review is complete and signed off, naming what is missing; reopening keeps the review', () => {
    const doc = makeIncident('S1');
    const gate = { reviewSeverities: DEFAULT_REVIEW_SEVERITIES };
    const refused = closeIncident(doc, closing, 'Analyst A', undefined, gate);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error).toMatchObject({ field: 'review', missing: ['summary', 'impact', 'root_cause', 'sign_off'] });
      expect(refused.error.message).toContain('missing summary, impact, root_cause, sign_off');
    }
    expect(readMeta(doc).status).toBe('new');
    setReviewFields(doc, complete, 'A');
    const unsigned = closeIncident(doc, closing, 'Analyst A', undefined, gate);
    expect(!unsigned.ok && unsigned.error.missing).toEqual(['sign_off']);
    signOffReview(doc, 'Lead L');
    expect(closeIncident(doc, closing, 'Analyst A', undefined, gate).ok).toBe(true);
    expect(readMeta(doc).status).toBe('closed');
    expect(setStatus(doc, 'triage', 'Lead L').ok).toBe(true);
    expect(readReview(doc)).toMatchObject({ summary: complete.texts.summary, signedOffBy: 'Lead L' });
  });

  it('closes a false positive of an S1, or any closing without the setting, with no review', () => {
    const doc = makeIncident('S1');
    expect(closeIncident(doc, { resolution: 'false_positive', summary: 'Scanner' }, 'A', undefined, { reviewSeverities: ['S1'] }).ok).toBe(true);
    expect(closeIncident(makeIncident('S1'), closing, 'A').ok).toBe(true);
  });
});
