// @vitest-environment node
// The incident page's fields, tasks and problem list: the timeline's problems are found after the
// page has opened (idle time), and again after the timeline changes.
import { createRoot } from 'solid-js';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addTask, createIncident, setFields } from '../../../shared/incident-doc.ts';
import { newId } from '../../../shared/ids.ts';
import { createIncidentState, type IncidentState } from './incident-state.ts';

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function open(doc: Y.Doc): { state: IncidentState; close: () => void } {
  return createRoot((dispose) => ({ state: createIncidentState(doc), close: dispose }));
}

describe('incident state', () => {
  it('reads the fields and tasks at once and follows edits', async () => {
    const doc = new Y.Doc({ guid: newId() });
    createIncident(doc, { title: 'Phishing wave', createdBy: 'alice' });
    addTask(doc, 'Block the sender');
    const { state, close } = open(doc);
    expect(state.meta?.title).toBe('Phishing wave');
    expect(state.tasks.map((t) => t.title)).toEqual(['Block the sender']);
    setFields(doc, { title: 'Phishing wave, 40 mailboxes' }, 'alice');
    await settle(120);
    expect(state.meta?.title).toBe('Phishing wave, 40 mailboxes');
    close();
  });

  it('lists what a hostile client wrote in the timeline, after the page has opened', async () => {
    const doc = new Y.Doc({ guid: newId() });
    createIncident(doc, { title: 'Hostile', createdBy: 'alice' });
    doc.getArray('timeline').push(['not a map']);
    doc.getMap('meta').set('severity', 'S0');
    const { state, close } = open(doc);
    expect(state.problems).toEqual(['meta.severity is invalid']);
    await settle(1_300);
    expect(state.problems).toEqual(['meta.severity is invalid', 'timeline[1] is not a map']);
    const bad = new Y.Map<unknown>();
    bad.set('at', 'yesterday');
    doc.getArray('timeline').push([bad]);
    await settle(1_300);
    expect(state.problems).toEqual(['meta.severity is invalid', 'timeline[1] is not a map', 'timeline[2] is invalid']);
    close();
  });
});
