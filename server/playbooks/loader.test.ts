// @vitest-environment node
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaybookProblem } from '../../shared/playbooks-api.ts';
import { ACTIONS } from './actions/registry.ts';
import { loadPlaybooks, parsePlaybook } from './loader.ts';

const KNOWN = ACTIONS;

/** The problems of one refused inline playbook. */
function problemsOf(yaml: string): PlaybookProblem[] {
  const r = parsePlaybook('broken.yaml', yaml, KNOWN);
  if (r.ok) throw new Error('expected the playbook to be refused');
  return r.error;
}

/** A valid playbook with extra step lines spliced in (each line indented as a step list item). */
const playbook = (steps: string, head = ''): string => `id: test-pb
name: Test
version: 1
${head}steps:
${steps}`;

describe('shipped playbooks', () => {
  it('loads every file in playbooks/ with no refusal', async () => {
    const r = await loadPlaybooks(join(import.meta.dirname, '../../playbooks'), KNOWN);
    expect(r.refused).toEqual([]);
    expect(r.playbooks.map((p) => p.def.id).sort()).toEqual([
      'brute-force-privileged',
      'data-exfiltration',
      'departed-employee-login',
      'malware-endpoint',
      'phishing',
      'ransomware',
    ]);
    for (const p of r.playbooks) {
      // topological: every step comes after the steps it needs
      for (const [i, id] of p.order.entries()) {
        for (const need of p.steps.get(id)?.spec.needs ?? []) expect(p.order.indexOf(need)).toBeLessThan(i);
      }
      expect(p.order).toHaveLength(p.def.steps.length);
    }
  });
});

describe('PB1: loader refuses a broken playbook with file, line and reason', () => {
  it('a YAML syntax error', () => {
    const [p] = problemsOf('id: x\nname: X\nsteps:\n  - id: a\n    with: { a: 1\n  - id: b\n');
    expect(p).toMatchObject({ file: 'broken.yaml', line: 6 });
    expect(p?.reason).toMatch(/^YAML: /);
  });

  it('duplicate keys in the YAML', () => {
    const [p] = problemsOf('id: x\nid: y\nname: X\nversion: 1\nsteps: []\n');
    expect(p).toMatchObject({ line: 2 });
    expect(p?.reason).toMatch(/unique/i);
  });

  it('an empty file', () => {
    expect(problemsOf('# nothing\n')).toEqual([{ file: 'broken.yaml', line: null, path: null, reason: expect.stringMatching(/empty/) }]);
  });

  it('a missing required field, at the line of the step that lacks it', () => {
    const ps = problemsOf(playbook('  - id: a\n    action: core.noop\n  - id: b\n    needs: [a]\n'));
    expect(ps).toEqual([{ file: 'broken.yaml', line: 7, path: 'steps[1].action', reason: 'missing required field "action"' }]);
  });

  it('an unknown field, at its own line', () => {
    const ps = problemsOf(playbook('  - id: a\n    action: core.noop\n    retries: 3\n'));
    expect(ps).toEqual([{ file: 'broken.yaml', line: 7, path: 'steps[0].retries', reason: 'unknown field "retries"' }]);
  });

  it('a bad value (duration), at its line, with what was expected', () => {
    const [p] = problemsOf(playbook('  - id: a\n    action: core.noop\n    timeout: 5 minutes\n'));
    expect(p).toMatchObject({ line: 7, path: 'steps[0].timeout' });
    expect(p?.reason).toMatch(/duration like 500ms/);
  });

  it('duplicate step ids', () => {
    const ps = problemsOf(playbook('  - id: a\n    action: core.noop\n  - id: a\n    action: core.noop\n'));
    expect(ps).toEqual([{ file: 'broken.yaml', line: 7, path: 'steps[1].id', reason: 'duplicate step id "a" (already used by steps[0])' }]);
  });

  it('needs naming an unknown step, with the closest id', () => {
    const ps = problemsOf(playbook('  - id: block_ip\n    action: core.noop\n  - id: b\n    action: core.noop\n    needs: [blockip]\n'));
    expect(ps).toEqual([
      { file: 'broken.yaml', line: 9, path: 'steps[1].needs[0]', reason: 'needs unknown step "blockip" (closest: "block_ip"); steps are "block_ip", "b"' },
    ]);
  });

  it('a cycle in needs, named step by step', () => {
    const ps = problemsOf(
      playbook(
        '  - id: a\n    action: core.noop\n    needs: [c]\n  - id: b\n    action: core.noop\n    needs: [a]\n  - id: c\n    action: core.noop\n    needs: [b]\n',
      ),
    );
    expect(ps).toEqual([{ file: 'broken.yaml', line: 7, path: 'steps[0].needs', reason: 'cycle in needs: a → c → b → a' }]);
  });

  it('a step that needs itself', () => {
    const ps = problemsOf(playbook('  - id: a\n    action: core.noop\n    needs: [a]\n'));
    expect(ps.map((p) => p.reason)).toEqual(['cycle in needs: a → a']);
  });

  it('on_error to an unknown step, to itself, or in a loop', () => {
    expect(problemsOf(playbook('  - id: a\n    action: core.noop\n    on_error: nope\n'))).toEqual([
      { file: 'broken.yaml', line: 7, path: 'steps[0].on_error', reason: 'on_error goes to unknown step "nope" (closest: "a"); steps are "a"' },
    ]);
    expect(problemsOf(playbook('  - id: a\n    action: core.noop\n    on_error: a\n')).map((p) => p.reason)).toEqual([
      'on_error cannot go to the step itself ("a")',
    ]);
    expect(
      problemsOf(playbook('  - id: a\n    action: core.noop\n    on_error: b\n  - id: b\n    action: core.noop\n    on_error: a\n')).map((p) => p.reason),
    ).toEqual(['cycle in on_error: a → b → a']);
  });

  it('an on_error target that also has needs', () => {
    const ps = problemsOf(
      playbook('  - id: a\n    action: core.noop\n    on_error: h\n  - id: b\n    action: core.noop\n  - id: h\n    action: core.noop\n    needs: [b]\n'),
    );
    expect(ps).toEqual([
      {
        file: 'broken.yaml',
        line: 12,
        path: 'steps[2].needs',
        reason: 'step "h" is the on_error target of "a", so it runs only when that fails and cannot also have needs',
      },
    ]);
  });

  it('an unknown action, with the closest name and the known ones', () => {
    const [p] = problemsOf(playbook('  - id: a\n    action: firewall.blockip\n'));
    expect(p).toMatchObject({ line: 6, path: 'steps[0].action' });
    expect(p?.reason).toMatch(/^unknown action "firewall\.blockip" \(closest: "firewall\.block_ip"\); known: .*core\.noop/);
  });

  it('unknown retry error codes and roles that cannot approve', () => {
    const ps = problemsOf(
      playbook(
        '  - id: a\n    action: core.noop\n    retry: { count: 2, on: [network, flaky] }\n    approval:\n      message: ok?\n      approvers: { roles: [lead, analyst] }\n',
      ),
    );
    expect(ps.map((p) => [p.line, p.path, p.reason])).toEqual([
      [7, 'steps[0].retry.on[1]', expect.stringMatching(/^unknown error code "flaky"; known: not_configured/)],
      [10, 'steps[0].approval.approvers.roles[1]', 'role "analyst" cannot approve (it lacks playbook:approve); use "lead", "admin"'],
    ]);
  });

  it('a bad expression in each place expressions live', () => {
    const ps = problemsOf(
      playbook(
        [
          '  - id: a',
          '    action: core.noop',
          '    if: incident.severity = ',
          '    for_each: { items: "[1, 2" }',
          '    concurrency: { key: "item +" }',
          '    with:',
          '      deep:',
          '        list: ["fine {{ item }}", "broken {{ $count( }}"]',
          '    approval:',
          '      required_if: "incident.(("',
          '      message: "Approve {{ ] }}?"',
          '',
        ].join('\n'),
        'match:\n  when: "incident.category = "\n',
      ),
    );
    expect(ps.map((p) => [p.line, p.path])).toEqual([
      [5, 'match.when'],
      [9, 'steps[0].if'],
      [10, 'steps[0].for_each.items'],
      [11, 'steps[0].concurrency.key'],
      [14, 'steps[0].with.deep.list[1]'],
      [16, 'steps[0].approval.required_if'],
      [17, 'steps[0].approval.message'],
    ]);
    for (const p of ps) expect(p.reason).toMatch(/bad expression.*position \d+/);
  });

  it('an expression reading a step it does not wait for, or an unknown step', () => {
    const ps = problemsOf(
      playbook(
        '  - id: enrich\n    action: core.noop\n  - id: use\n    action: core.noop\n    if: steps.enrichh.status = "succeeded"\n    with: { score: "{{ steps.enrich.output.score }}" }\n',
      ),
    );
    expect(ps.map((p) => [p.line, p.path, p.reason])).toEqual([
      [9, 'steps[1].if', expect.stringMatching(/^reads steps\.enrichh: unknown step "enrichh" \(closest: "enrich"\)/)],
      [10, 'steps[1].with', 'reads steps.enrich, but "use" does not wait for "enrich" (add it to needs)'],
    ]);
  });

  it('accepts reading a step reached through needs, or the failed step from its on_error handler', () => {
    const r = parsePlaybook(
      'ok.yaml',
      playbook(
        '  - id: a\n    action: core.noop\n    on_error: h\n  - id: b\n    action: core.noop\n    needs: [a]\n  - id: c\n    action: core.noop\n    needs: [b]\n    with: { x: "{{ steps.a.output }}" }\n  - id: h\n    action: core.noop\n    with: { why: "{{ steps.a.status }}" }\n',
      ),
      KNOWN,
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.order).toEqual(['a', 'b', 'c', 'h']);
      expect(r.value.steps.get('h')?.handler).toBe(true);
      expect(r.value.steps.get('a')?.handler).toBe(false);
    }
  });

  it('PB2: a gate that approves a destructive action on timeout, on its own step or on one after it', () => {
    const own = problemsOf(
      playbook(
        '  - id: disable\n    action: identity.disable_account\n    with: { account: bob }\n    approval:\n      message: Disable bob?\n      timeout: 1h\n      on_timeout: approve\n',
      ),
    );
    expect(own.map((p) => [p.line, p.path, p.reason])).toEqual([
      [
        11,
        'steps[0].approval.on_timeout',
        'on_timeout: approve would run the destructive action "identity.disable_account" (this step) when nobody decides; use reject or fail (with an on_error step to escalate), or drop the gate if the step is meant to run unattended',
      ],
    ]);
    // A gate on a harmless step that opens the way to a block, directly or through an on_error handler.
    const later = problemsOf(
      playbook(
        '  - id: confirm\n    action: core.noop\n    approval: { message: Block?, on_timeout: approve }\n  - id: note\n    action: core.noop\n    needs: [confirm]\n    on_error: purge\n  - id: purge\n    action: mail.purge_message\n    with: { message_id: x }\n',
      ),
    );
    expect(later.map((p) => [p.line, p.path, p.reason])).toEqual([
      [7, 'steps[0].approval.on_timeout', expect.stringContaining('"mail.purge_message" (step "purge", which follows this one)')],
    ]);
  });

  it('PB17: a step that closes the incident without a resolution or a summary (issue 20)', () => {
    const missing = problemsOf(
      playbook('  - id: close\n    action: incident.set_status\n    with:\n      status: closed\n      closing_summary: Handled by automation\n'),
    );
    expect(missing.map((p) => [p.line, p.path, p.reason])).toEqual([
      [8, 'steps[0].with.resolution', 'resolution: closing needs a resolution: one of true_positive, benign_true_positive, false_positive, duplicate'],
    ]);
    const noSummary = problemsOf(playbook('  - id: close\n    action: incident.set_status\n    with: { status: closed, resolution: benign_true_positive }\n'));
    expect(noSummary.map((p) => [p.path, p.reason])).toEqual([
      ['steps[0].with.closing_summary', expect.stringMatching(/^closing_summary: closing needs a one-line summary/)],
    ]);
    const wrong = problemsOf(
      playbook('  - id: close\n    action: incident.set_status\n    with: { status: closed, resolution: fixed, closing_summary: Done }\n'),
    );
    expect(wrong.map((p) => p.path)).toEqual(['steps[0].with.resolution']);
    const notClosing = problemsOf(playbook('  - id: contain\n    action: incident.set_status\n    with: { status: containment, resolution: duplicate }\n'));
    expect(notClosing.map((p) => [p.path, p.reason])).toEqual([['steps[0].with.resolution', 'resolution: given only with status: closed']]);
  });

  it('accepts a closing with its resolution and summary, and leaves templated ones to run time', () => {
    for (const steps of [
      '  - id: close\n    action: incident.set_status\n    with: { status: closed, resolution: false_positive, closing_summary: Known scanner }\n',
      '  - id: close\n    action: incident.set_status\n    with: { status: closed, resolution: "{{ incident.custom_fields.verdict }}", closing_summary: "Closed by {{ run.playbook_id }}" }\n',
      '  - id: move\n    action: incident.set_status\n    with: { status: "{{ incident.custom_fields.next }}" }\n',
    ]) {
      const r = parsePlaybook('ok.yaml', playbook(steps), KNOWN);
      expect(r.ok, JSON.stringify(r.ok ? null : r.error)).toBe(true);
    }
  });

  it('PB2: accepts on_timeout: approve in front of steps that contain nothing, or of a destructive step with its own gate', () => {
    const r = parsePlaybook(
      'ok.yaml',
      playbook(
        '  - id: tell\n    action: core.noop\n    approval: { message: Tell them?, on_timeout: approve }\n  - id: block\n    action: firewall.block_ip\n    needs: [tell]\n    with: { ip: 192.0.2.1 }\n    approval: { message: Block?, on_timeout: reject }\n  - id: isolate\n    action: edr.isolate_host\n    with: { host: ws1 }\n    approval: { message: Isolate?, on_timeout: fail }\n',
      ),
      KNOWN,
    );
    expect(r.ok, JSON.stringify(r.ok ? null : r.error)).toBe(true);
  });
});

describe('loadPlaybooks over a folder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sentpilot-playbooks-'));
    const good = (id: string) => `id: ${id}\nname: ${id}\nversion: 1\nsteps:\n  - id: a\n    action: core.noop\n`;
    await writeFile(join(dir, 'a-first.yaml'), good('shared-id'));
    await writeFile(join(dir, 'b-second.yml'), `# same id as a-first\n${good('shared-id')}`);
    await writeFile(join(dir, 'c-broken.yaml'), 'id: broken\nname: B\nversion: 1\nsteps:\n  - id: a\n    action: nope.nope\n');
    await writeFile(join(dir, 'd-other.yaml'), good('other'));
    await writeFile(join(dir, 'notes.txt'), 'not a playbook');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('PB1: loads the valid files, refuses the broken and the later duplicate id, ignores other files', async () => {
    const r = await loadPlaybooks(dir, KNOWN);
    expect(r.playbooks.map((p) => [p.file, p.def.id])).toEqual([
      ['a-first.yaml', 'shared-id'],
      ['d-other.yaml', 'other'],
    ]);
    expect(r.refused.map((f) => f.file)).toEqual(['b-second.yml', 'c-broken.yaml']);
    expect(r.refused[0]?.problems).toEqual([
      { file: 'b-second.yml', line: 2, path: 'id', reason: 'playbook id "shared-id" is already used by a-first.yaml (loaded first); this file is refused' },
    ]);
    expect(r.refused[1]?.problems[0]).toMatchObject({ file: 'c-broken.yaml', line: 6, path: 'steps[0].action' });
  });

  it('a missing folder loads nothing and says why', async () => {
    const missing = join(dir, 'no-such-folder');
    const r = await loadPlaybooks(missing, KNOWN);
    expect(r.playbooks).toEqual([]);
    expect(r.refused).toEqual([
      { file: missing, problems: [{ file: missing, line: null, path: null, reason: `cannot read the playbook folder ${missing}: ENOENT` }] },
    ]);
  });
});
