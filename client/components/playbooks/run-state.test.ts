import { describe, expect, it } from 'vitest';
import {
  approvalExclusionText,
  expiresIn,
  failureLine,
  gatedStepNames,
  stepWarnings,
  isRunActive,
  itemsProgress,
  outboxEntryText,
  runChip,
  stateTone,
  stepStateLabel,
} from './run-state.ts';

describe('playbook run vocabulary', () => {
  it('spells every step state a responder sees', () => {
    expect(stepStateLabel('waiting_approval')).toBe('waiting for approval');
    expect(stepStateLabel('timed_out')).toBe('timed out');
    expect(stepStateLabel('pending')).toBe('waiting for earlier steps');
    expect(stateTone('rejected')).toBe('bad');
    expect(stateTone('succeeded')).toBe('ok');
  });

  it('says a finished run had a rejected step instead of a plain "succeeded"', () => {
    expect(runChip({ state: 'succeeded', steps: [{ state: 'succeeded' }, { state: 'rejected' }, { state: 'skipped' }] })).toEqual({
      label: 'finished · 1 rejected',
      tone: 'wait',
    });
    expect(runChip({ state: 'succeeded', steps: [{ state: 'succeeded' }] })).toEqual({ label: 'succeeded', tone: 'ok' });
    expect(runChip({ state: 'waiting_approval', steps: [{ state: 'waiting_approval' }] })).toEqual({ label: 'waiting for approval', tone: 'wait' });
    expect(runChip({ state: 'failed', steps: [{ state: 'rejected' }, { state: 'failed' }] })).toEqual({ label: 'failed', tone: 'bad' });
  });

  it('counts queued, running and gated runs as active, finished ones not', () => {
    expect(isRunActive({ state: 'waiting_approval' })).toBe(true);
    expect(isRunActive({ state: 'queued' })).toBe(true);
    expect(isRunActive({ state: 'succeeded' })).toBe(false);
    expect(isRunActive({ state: 'cancelled' })).toBe(false);
  });

  it('names the gated steps for the confirm dialog', () => {
    const steps = [
      { id: 'enrich', name: null, action: 'intel.lookup', needs: [], gated: false, warning: null },
      { id: 'disable-account', name: 'Disable the account', action: 'identity.disable_account', needs: ['enrich'], gated: true, warning: null },
      { id: 'block-ip', name: null, action: 'firewall.block_ip', needs: [], gated: true, warning: null },
    ];
    expect(gatedStepNames({ steps })).toEqual(['disable-account (Disable the account)', 'block-ip']);
    const warning = (step_id: string, connector: string) => ({
      step_id,
      code: 'connector_not_configured' as const,
      connector,
      message: `connector "${connector}" is not configured`,
    });
    const warned = [
      { ...steps[0]!, action: 'enrich.abuseipdb', warning: warning('enrich', 'abuseipdb') },
      { ...steps[1]!, warning: warning('disable-account', 'identity') },
      steps[2]!,
    ];
    // Gated steps first: those are the ones a person will be asked to approve.
    expect(stepWarnings({ steps: warned }).map((w) => w.step_id)).toEqual(['disable-account', 'enrich']);
  });

  it('tells why an outbox entry waits', () => {
    expect(outboxEntryText({ state: 'waiting', lastError: null }, 'offline')).toBe('Waiting for network');
    expect(outboxEntryText({ state: 'waiting', lastError: null }, 'signed-out')).toBe('Waiting for you to log in again');
    expect(outboxEntryText({ state: 'waiting', lastError: 'The server answered 503.' }, 'online')).toBe('Waiting to retry (The server answered 503.)');
    expect(outboxEntryText({ state: 'sending', lastError: null }, 'online')).toBe('Sending…');
    expect(outboxEntryText({ state: 'failed', lastError: 'playbook not found' }, 'online')).toBe('Failed: playbook not found');
  });

  it('says when an approval expires', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(expiresIn('2026-11-22T13:20:00Z', now)).toBe('in 3 h 20 min');
    expect(expiresIn('2026-11-22T10:00:45Z', now)).toBe('in 45 s');
    expect(expiresIn('2026-11-22T09:59:00Z', now)).toBe('expired');
    expect(expiresIn('2026-11-25T10:00:00Z', now)).toBe('in 3 d');
  });

  it('shows for_each progress only for item steps', () => {
    expect(itemsProgress({ items_done: 2, items_total: 5 })).toBe('2/5 items');
    expect(itemsProgress({ items_done: null, items_total: null })).toBeNull();
  });

  it('says why the caller may not decide a gate, and nothing when they may', () => {
    expect(approvalExclusionText({ caller_excluded: 'own_incident' })).toBe(
      'You created the incident whose event started this run, so someone else must decide (separation of duties).',
    );
    expect(approvalExclusionText({ caller_excluded: 'own_run' })).toMatch(/^You started this run/);
    expect(approvalExclusionText({ caller_excluded: null })).toBeNull();
  });

  it('never shows a run whose actions failed as succeeded, and says what failed and why', () => {
    const run = {
      state: 'completed_with_failures' as const,
      steps: [{ state: 'failed' as const }, { state: 'succeeded' as const }, { state: 'timed_out' as const }],
    };
    expect(runChip(run)).toEqual({ label: 'completed · 2 failed', tone: 'bad' });
    expect(isRunActive(run)).toBe(false);
    expect(
      failureLine({
        step_id: 'block_ip',
        name: 'Block the source IPs',
        state: 'failed',
        message: 'connector "firewall" not configured',
        handled_by: 'ip_not_blocked',
      }),
    ).toBe('Block the source IPs: connector "firewall" not configured (fallback: ip_not_blocked)');
    expect(failureLine({ step_id: 'slow', name: null, state: 'timed_out', message: "the attempt ran past the step's timeout (1s)", handled_by: null })).toBe(
      "slow: timed out — the attempt ran past the step's timeout (1s)",
    );
  });
});
