/**
 * The header's connection state: online / offline / syncing, how many local changes the server
 * has not confirmed yet, and a "Sync now" button. The word is always written out (not colour only).
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
    if (c.pending > 0) parts.push(`${c.pending} local change${c.pending === 1 ? '' : 's'} in ${c.pendingDocs} incident${c.pendingDocs === 1 ? '' : 's'} not yet on the server.`);
    else parts.push('Every local change is on the server.');
    if (c.errorDocs > 0) parts.push(`${c.errorDocs} incident${c.errorDocs === 1 ? ' was' : 's were'} refused by the server; open it to see why.`);
    if (c.lastSyncAt) parts.push(`Last sync ${relativeTime(c.lastSyncAt, app.now())}.`);
    if (c.lastError && c.status !== 'online') parts.push(`Last error: ${c.lastError}`);
    return parts.join(' ');
  });
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
        aria-label={`${conn().pending} local changes not synced. Sync now.`}
      >
        <span class="conn-count" data-testid="pending-count">
          {conn().pending}
        </span>
        <span class="conn-count-label">not synced</span>
        <span class="conn-sync-now">Sync now</span>
      </button>
    </div>
  );
}
