/**
 * The device outbox: requests to the server's single authority (playbook runs) stored in
 * IndexedDB (`outbox`, db.ts version 2) and sent when the device is online. A run requested
 * offline waits here, survives reloads and closing the app, and starts when the network
 * returns. Each record carries an idempotency key made once, at request time, and sent as
 * `Idempotency-Key` on every attempt, so a replay after a lost answer or a crash mid-send starts
 * the run only once (the server answers the same run).
 *
 * Outcomes: the server's answer → `done` with the run id; offline, unreachable, 5xx/429 →
 * `waiting` again (retried with backoff, and at once when the engine's connection comes back);
 * 401 → `waiting` until the user logs in again; any other refusal → `failed` with the server's
 * message, kept until the user retries or dismisses it. A request for an incident created on
 * this device waits until the incident itself has reached the server (a 404 just after that
 * first exchange is retried too: the server may not have indexed it yet). Sending is claimed
 * inside an IndexedDB transaction, so two tabs never both send one record at the same moment.
 * A request goes only under the session of the user who made it.
 */
import type { Table } from 'dexie';
import { newId } from '../../shared/ids.ts';
import type { Result } from '../../shared/result.ts';
import type { SentpilotDb } from './db.ts';
import type { ConnectionStatus } from './engine-types.ts';
import { isTransient, isUnauthenticated, type ApiFailure } from './http-json.ts';
import type { ReadonlyObservable } from './observable.ts';
import { createSyncScheduler, type SchedulerDeps } from './sync-scheduler.ts';

type OutboxState = 'waiting' | 'sending' | 'done' | 'failed';

interface ExecuteWorkflowBody {
  playbook_id: string;
  dry_run: boolean;
}

export interface OutboxRecord {
  id: string;
  kind: 'execute-workflow';
  /** Who asked: sent only under that user's session (a shared device may change hands). */
  userId: string;
  incidentId: string;
  body: ExecuteWorkflowBody;
  /** Shown while the request waits (the playbook's name as it was when requested). */
  label: string;
  idempotencyKey: string;
  state: OutboxState;
  attempts: number;
  /** Why the last attempt did not finish (network, the server's refusal), or null. */
  lastError: string | null;
  /** The run the server started (state `done`). */
  runId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Sends one record; answers the run id or the failure. */
type OutboxSend = (record: OutboxRecord) => Promise<Result<string, ApiFailure>>;

export interface OutboxDeps {
  db: SentpilotDb;
  send: OutboxSend;
  /** The signed-in user's id (null when nobody is known). */
  userId(): string | null;
  /**
   * The local engine's connection: nothing is sent while `offline` or `signed-out`; waiting
   * requests go at once when it comes back, and after each background sync (which may have
   * brought an incident created here to the server).
   */
  connection: ReadonlyObservable<{ status: ConnectionStatus; lastSyncAt: string | null }>;
  now?(): number;
  timers?: Pick<SchedulerDeps, 'setTimeout' | 'clearTimeout'>;
  /** How long finished records are kept (default one day). */
  keepDoneMs?: number;
  onError?(error: unknown): void;
}

export interface Outbox {
  /** Reset records a closed tab left half-sent, drop old finished ones, and start sending. */
  start(): Promise<void>;
  stop(): void;
  /** Store a run request (works offline) and try to send it at once; resolves to the record. */
  requestRun(incidentId: string, body: ExecuteWorkflowBody, label: string): Promise<OutboxRecord>;
  /** Send what waits now, ignoring the backoff. Resolves when that attempt ends. */
  sendNow(): Promise<void>;
  /** Put a failed record back in the queue and send it. */
  retry(id: string): Promise<void>;
  /** Forget a record (a failed one the user dismissed). */
  remove(id: string): Promise<void>;
}

export function outboxTable(db: SentpilotDb): Table<OutboxRecord, string> {
  return db.table('outbox');
}

/** This incident's records, oldest first (the table is small: no index on the incident). */
export async function outboxEntriesOf(db: SentpilotDb, incidentId: string): Promise<OutboxRecord[]> {
  return outboxTable(db)
    .orderBy('createdAt')
    .filter((r) => r.incidentId === incidentId)
    .toArray();
}

const DAY_MS = 86_400_000;
const PROJECTION_GRACE_MS = 120_000;
const OTHER_USER = 'Requested by another user of this device; it goes when they log in again.';
const NOT_ON_SERVER = 'The incident is not on the server yet; the request follows it.';

export function createOutbox(deps: OutboxDeps): Outbox {
  const table = outboxTable(deps.db);
  const now = deps.now ?? Date.now;
  const onError = deps.onError ?? (() => undefined);
  const iso = (): string => new Date(now()).toISOString();
  const mayTalk = (): boolean => {
    const s = deps.connection.get().status;
    return s !== 'offline' && s !== 'signed-out';
  };
  let unsubscribe: (() => void) | null = null;

  /** Take a waiting record for sending; null when another tab took it first. */
  async function claim(id: string): Promise<OutboxRecord | null> {
    return deps.db.transaction('rw', table, async () => {
      const r = await table.get(id);
      if (!r || r.state !== 'waiting') return null;
      const next: OutboxRecord = { ...r, state: 'sending', attempts: r.attempts + 1, updatedAt: iso() };
      await table.put(next);
      return next;
    });
  }

  /** Send every waiting record, oldest first; stop at the first sign the server is not reachable. */
  async function drain(): Promise<'ok' | 'failed'> {
    if (!mayTalk()) return 'ok';
    const waiting = await table.where('state').equals('waiting').sortBy('createdAt');
    for (const candidate of waiting) {
      if (!mayTalk()) return 'ok';
      if (candidate.userId !== deps.userId()) {
        if (candidate.lastError !== OTHER_USER) await table.update(candidate.id, { lastError: OTHER_USER });
        continue;
      }
      // An incident created on this device that the server has not received yet: the request
      // would be refused as unknown. It goes after the incident's first exchange.
      const sync = await deps.db.syncState.get(candidate.incidentId);
      if (sync && sync.serverSV === null) {
        if (candidate.lastError !== NOT_ON_SERVER) await table.update(candidate.id, { lastError: NOT_ON_SERVER });
        continue;
      }
      const record = await claim(candidate.id);
      if (!record) continue;
      let res: Result<string, ApiFailure>;
      try {
        res = await deps.send(record);
      } catch (e) {
        res = { ok: false, error: { kind: 'network', message: e instanceof Error ? e.message : String(e) } };
      }
      if (res.ok) {
        await table.update(record.id, { state: 'done', runId: res.value, lastError: null, updatedAt: iso() });
        continue;
      }
      const failure = res.error;
      if (isUnauthenticated(failure)) {
        await table.update(record.id, { state: 'waiting', lastError: 'Log in again to send it.', updatedAt: iso() });
        return 'failed';
      }
      // Just exchanged, maybe not projected yet: an unknown incident is worth another try then.
      const justSynced = failure.kind === 'http' && failure.status === 404 && sync?.syncedAt != null && now() - Date.parse(sync.syncedAt) < PROJECTION_GRACE_MS;
      if (justSynced) {
        await table.update(record.id, { state: 'waiting', lastError: failure.message, updatedAt: iso() });
        return 'failed';
      }
      if (isTransient(failure)) {
        const why = failure.kind === 'network' ? 'The server cannot be reached.' : failure.message;
        await table.update(record.id, { state: 'waiting', lastError: why, updatedAt: iso() });
        return 'failed';
      }
      await table.update(record.id, { state: 'failed', lastError: failure.message, updatedAt: iso() });
    }
    return 'ok';
  }

  const scheduler = createSyncScheduler({
    run: () =>
      drain().catch((e: unknown) => {
        onError(e);
        return 'failed' as const;
      }),
    setTimeout: deps.timers?.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
    clearTimeout: deps.timers?.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)),
    now,
    periodMs: 30_000,
  });

  return {
    async start() {
      // A record left `sending` was cut off mid-request (tab closed, crash): the key makes a resend safe.
      await table.where('state').equals('sending').modify({ state: 'waiting' });
      const cutoff = new Date(now() - (deps.keepDoneMs ?? DAY_MS)).toISOString();
      await table
        .where('state')
        .equals('done')
        .and((r) => r.updatedAt < cutoff)
        .delete();
      let wasTalking = mayTalk();
      let lastSyncAt = deps.connection.get().lastSyncAt;
      unsubscribe = deps.connection.subscribe((c) => {
        const talking = mayTalk();
        // Network (or the session) is back, or a sync went through: do not wait out a backoff.
        if (talking && (!wasTalking || c.lastSyncAt !== lastSyncAt)) void scheduler.now();
        wasTalking = talking;
        lastSyncAt = c.lastSyncAt;
      });
      scheduler.start();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      scheduler.stop();
    },
    async requestRun(incidentId, body, label) {
      const userId = deps.userId();
      if (userId === null) throw new Error('nobody is signed in on this device');
      const at = iso();
      const record: OutboxRecord = {
        id: newId(),
        kind: 'execute-workflow',
        userId,
        incidentId,
        body: { playbook_id: body.playbook_id, dry_run: body.dry_run },
        label,
        idempotencyKey: newId(),
        state: 'waiting',
        attempts: 0,
        lastError: null,
        runId: null,
        createdAt: at,
        updatedAt: at,
      };
      await table.add(record);
      void scheduler.now();
      return record;
    },
    sendNow: () => scheduler.now(),
    async retry(id) {
      await table
        .where('id')
        .equals(id)
        .and((r) => r.state === 'failed')
        .modify({ state: 'waiting', lastError: null, updatedAt: iso() });
      await scheduler.now();
    },
    async remove(id) {
      await table.delete(id);
    },
  };
}
