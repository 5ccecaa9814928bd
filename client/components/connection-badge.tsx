/**
 * The header's connection state: online / offline / syncing, where the user's changes are —
 * "saved on this device, sending…" (kept locally, colleagues may already see them live) or
 * "saved on the server" (the background sync confirmed them) — and a "Sync now" button. The word
 * is always written out (not colour only).
 */
import { createMemo, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';
import { createObservableSignal } from '../primitives/create-observable.ts';
import { relativeTime } from './time-format.ts';

const LABELS = { online: 'Online', offline: 'Offline', syncing: 'Syncing…', 'signed-out': 'Signed out' } as const;

export function ConnectionBadge(): JSX.Element {
  const app = useApp();
  const conn = createObservableSignal(app.engine.connection);
  const detail = createMemo(() => {
    const c = conn();
    const parts: string[] = [];
    if (c.status === 'signed-out') parts.push('Your session has expired: log in again to sync. Every change is kept on this device meanwhile.');
    if (c.status === 'offline') parts.push('Working offline: every change is kept on this device and syncs when the server is reachable again.');
    if (c.pending > 0)
      parts.push(
        `${c.pending} change${c.pending === 1 ? '' : 's'} in ${c.pendingDocs} incident${c.pendingDocs === 1 ? '' : 's'} saved on this device and not yet confirmed as stored by the server (colleagues with the incident open may already see them). Nothing is lost meanwhile.`,
      );
    else parts.push('Every change is saved on the server.');
    if (c.errorDocs > 0) parts.push(`${c.errorDocs} incident${c.errorDocs === 1 ? ' was' : 's were'} refused by the server; open it to see why.`);
    if (c.lastSyncAt) parts.push(`Last sync ${relativeTime(c.lastSyncAt, app.now())}.`);
    if (c.lastError && c.status !== 'online') parts.push(`Last error: ${c.lastError}`);
    return parts.join(' ');
  });
  const where = (): string => {
    const c = conn();
    if (c.pending === 0) return 'Every change saved on the server';
    const n = `${c.pending} change${c.pending === 1 ? '' : 's'} saved on this device`;
    return c.status === 'offline' || c.status === 'signed-out' ? `${n}, sent when the server is reachable` : `${n}, sending`;
  };
  return (
    <div class="conn" data-status={conn().status} title={detail()}>
      <span class="conn-state" data-testid="connection-state" role="status" aria-live="polite">
        <span class="conn-dot" aria-hidden="true" />
        {LABELS[conn().status]}
      </span>
      <button
        type="button"
        class="conn-pending"
        classList={{ 'has-pending': conn().pending > 0, 'has-errors': conn().errorDocs > 0 }}
        onClick={() => void app.engine.syncNow()}
        title={`${where()}: sync now`}
        data-testid="sync-state"
      >
        {/* The count stays in the DOM at 0 (scripts and tests read it); only the words show then. */}
        <span class="conn-count" data-testid="pending-count" style={{ display: conn().pending === 0 ? 'none' : undefined }}>
          {conn().pending}
        </span>{' '}
        <span class="conn-count-label">
          {conn().pending === 0
            ? 'Saved on the server'
            : conn().status === 'offline' || conn().status === 'signed-out'
              ? 'saved on this device'
              : 'saved on this device, sending…'}
        </span>{' '}
        <span class="conn-sync-now">Sync now</span>
      </button>
    </div>
  );
}
