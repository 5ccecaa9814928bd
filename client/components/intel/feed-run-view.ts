/** How a feed run reads on the admin page: whether it still moves, its progress and its outcome. */
import type { FeedRun } from '../../../shared/intel-api.ts';

export const isMoving = (run: FeedRun | null | undefined): boolean => run?.state === 'queued' || run?.state === 'running';

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Progress of a moving run: a fraction when the total size is known (else null), and a line of text. */
export function runProgress(run: FeedRun): { fraction: number | null; text: string } {
  if (run.state === 'queued') return { fraction: null, text: 'Waiting to start…' };
  const total = run.bytes_total !== null && run.bytes_total > 0 ? run.bytes_total : null;
  const read = total !== null ? `${bytes(run.bytes_read)} of ${bytes(total)}` : `${bytes(run.bytes_read)} read`;
  const objects = run.objects > 0 ? ` · ${run.objects.toLocaleString('en')} objects` : '';
  return { fraction: total !== null ? Math.min(1, run.bytes_read / total) : null, text: `${run.parsed.toLocaleString('en')} parsed${objects} · ${read}` };
}

/** The outcome of a finished run in one line. */
export function runOutcome(run: FeedRun): string {
  const n = (x: number): string => x.toLocaleString('en');
  switch (run.state) {
    case 'not_modified':
      return 'Not modified since the last pull.';
    case 'failed':
      return `Failed: ${run.error ?? 'no reason given'}. The previous data stays.`;
    case 'succeeded':
      // Objects (CISA KEV vulnerabilities, ATT&CK techniques) are no indicators: named apart, so a
      // run that stored only objects does not read as empty.
      return `${n(run.added)} added · ${n(run.updated)} updated · ${n(run.expired)} expired${run.objects > 0 ? ` · ${n(run.objects)} objects` : ''} · ${n(run.skipped)} skipped`;
    default:
      return runProgress(run).text;
  }
}
