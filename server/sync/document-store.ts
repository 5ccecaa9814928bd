/**
 * Where documents live between processes: the storage interface the document manager uses.
 * Two implementations: Postgres (pg-document-store.ts, the real one) and memory
 * (memory-document-store.ts, for fast tests of the manager). Both pass the same contract suite.
 */

/** What a loader needs to bring an in-memory document up to `seq`. */
export interface StoredState {
  /** Compacted state, present only when it covers updates after the `afterSeq` asked for. */
  snapshot: Uint8Array | null;
  /** Updates after max(afterSeq, snapshot seq), in seq order. */
  updates: Uint8Array[];
  /** Every stored update with seq <= this is in `snapshot` + `updates` (or was before afterSeq). */
  seq: number;
  /** False when the store has never seen this document. */
  exists: boolean;
}

export interface AppendItem {
  id: string;
  update: Uint8Array;
}

export interface AppendResult {
  id: string;
  /** The seq given to this update. */
  seq: number;
  /** The document's last seq before this append (no other update lies between the two). */
  prevSeq: number;
  /** Updates not yet folded into the snapshot, this one included. */
  pendingUpdates: number;
}

export interface CompactResult {
  /** Update rows folded into the snapshot and deleted. */
  removed: number;
  /** Seq the snapshot covers. */
  seq: number;
}

export interface DocumentChange {
  id: string;
  seq: number;
}

/** Awareness updates larger than this are not shared between processes (NOTIFY holds 8000 bytes). */
export const MAX_SHARED_AWARENESS_BYTES = 5_800;

export interface StoreSubscription {
  /**
   * Share an awareness update with the other subscribers (other processes), not this one. Best
   * effort: presence is ephemeral, and an update too large for one notification is dropped.
   */
  publishAwareness(id: string, update: Uint8Array): void;
  close(): Promise<void>;
}

export interface StoreListener {
  /** An update was appended (by any process, this one included). */
  onAppend(change: DocumentChange): void;
  /** Another process relayed presence (awareness) on a document. */
  onAwareness(id: string, update: Uint8Array): void;
  /**
   * Announcements may have been missed (the listening connection was re-established): catch
   * up every loaded document.
   */
  onResync(): void;
}

export interface DocumentStore {
  /** Read what was stored after `afterSeq` (0 = everything), consistently. */
  loadSince(id: string, afterSeq: number): Promise<StoredState>;
  /**
   * Append updates (at most one per document) atomically; creates unknown documents. Announces
   * each as `<id>:<seq>` to every subscriber (this process included) after commit.
   */
  append(items: AppendItem[]): Promise<AppendResult[]>;
  /** Fold the stored updates into the snapshot in one transaction. */
  compact(id: string, mergeState: (parts: Uint8Array[]) => Uint8Array): Promise<CompactResult>;
  /** Documents whose last seq is after `since`, in seq order. */
  changes(since: number, limit: number): Promise<DocumentChange[]>;
  /** Document ids in id order, for rebuilds. */
  listIds(afterId: string | null, limit: number): Promise<string[]>;
  /** Hear about appends and other processes' awareness. */
  subscribe(listener: StoreListener): Promise<StoreSubscription>;
}
