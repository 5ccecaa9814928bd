// @vitest-environment node
/**
 * A playbook that closes incidents (issue 20), run by the engine: the closing needs a resolution
 * and a one-line summary as a closing by hand. Rendered from the incident, a resolution that is
 * there closes it with the same status-change entry as the status control; one that renders
 * empty fails the step naming the field and leaves the incident as it was; a dry run says what
 * the closing would write.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentDetailResponse, timelineResponse } from '../../shared/api.ts';
import type { Run } from '../../shared/playbooks-api.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

const PLAYBOOK = `id: close-known-scanner
name: Close a known scanner
version: 1
triggers:
  manual: true
steps:
  - id: close
    action: incident.set_status
    with:
      status: closed
      # The verdict an analyst wrote in the description (empty: none).
      resolution: "{{ incident.description }}"
      closing_summary: "Known scanner, closed by {{ run.playbook_id }}"
`;

let ts: TestServer;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentpilot-closing-pb-'));
  await writeFile(join(dir, 'close.yaml'), PLAYBOOK);
  ts = await startTestServer({ playbooks: { dir, engine: { pollIntervalMs: 50 } } });
});
afterAll(async () => {
  await ts?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function incident(description: string): Promise<string> {
  const r = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Scanner hits', description } });
  expect(r.status).toBe(201);
  const id = incidentDetailResponse.parse(await r.json()).id;
  expect((await ts.fetch(`/api/v1/incidents/${id}`, { method: 'PATCH', json: { status: 'triage' } })).status).toBe(200);
  return id;
}

async function runOn(id: string, dryRun = false): Promise<Run> {
  const r = await ts.fetch(`/api/v1/incidents/${id}/execute-workflow`, {
    method: 'POST',
    as: await ts.as('analyst'),
    json: { playbook_id: 'close-known-scanner', dry_run: dryRun },
  });
  expect(r.status).toBe(202);
  const started = (await r.json()) as Run;
  return waitFor(
    async () => {
      const run = (await (await ts.fetch(`/api/v1/runs/${started.id}`)).json()) as Run;
      return ['succeeded', 'completed_with_failures', 'failed', 'cancelled'].includes(run.state) ? run : null;
    },
    { timeoutMs: 15_000, message: 'the run to finish' },
  );
}

const detail = async (id: string) => {
  await ts.server.projector.flush();
  return incidentDetailResponse.parse(await (await ts.fetch(`/api/v1/incidents/${id}`)).json());
};

describe('PB17: a playbook step that closes the incident', () => {
  it('closes with the rendered resolution and summary, recorded as a closing by hand', async () => {
    const id = await incident('false_positive');
    const run = await runOn(id);
    expect(run.state).toBe('succeeded');
    expect(await detail(id)).toMatchObject({ status: 'closed', resolution: 'false_positive', closing_summary: 'Known scanner, closed by close-known-scanner' });
    const timeline = timelineResponse.parse(await (await ts.fetch(`/api/v1/incidents/${id}/timeline`)).json());
    const closing = timeline.items.find((e) => e.kind === 'status_change' && e.data?.['to'] === 'closed');
    expect(closing).toMatchObject({
      text: 'Known scanner, closed by close-known-scanner',
      data: { from: 'triage', to: 'closed', resolution: 'false_positive' },
    });
    expect(closing?.author).toMatch(/^playbook close-known-scanner/);
  });

  it('fails the step naming the missing resolution, and leaves the incident open', async () => {
    const id = await incident('');
    const run = await runOn(id);
    expect(run.state).not.toBe('succeeded');
    const failure = run.failures.find((f) => f.step_id === 'close');
    expect(failure).toMatchObject({ code: 'invalid_input' });
    expect(failure?.message).toContain('resolution: closing needs a resolution: one of true_positive, benign_true_positive, false_positive, duplicate');
    expect(await detail(id)).toMatchObject({ status: 'triage', resolution: null, closing_summary: null });
  });

  it('PB16: in a dry run says what the closing would write and writes nothing', async () => {
    const id = await incident('duplicate');
    const run = await runOn(id, true);
    expect(run.state).toBe('succeeded');
    expect(run.steps.find((s) => s.step_id === 'close')?.output).toEqual({
      dry_run: true,
      would: { from: 'triage', to: 'closed', resolution: 'duplicate', closing_summary: 'Known scanner, closed by close-known-scanner' },
    });
    expect((await detail(id)).status).toBe('triage');
  });
});
