/**
 * Builds the evidence service at server start: the master key (from EVIDENCE_KEY or the key file
 * in the data folder, created on first start), the encrypted file store under
 * `<dataDir>/evidence`, and the quotas; and the sweeper that removes uploads left idle.
 */
import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import type { DocOutbox } from '../sync/doc-outbox.ts';
import { createBlobFiles } from './blob-files.ts';
import { createEvidenceService, type EvidenceService } from './evidence-service.ts';
import { loadKeyring } from './keys.ts';

export interface EvidenceSettings {
  /** EVIDENCE_KEY: base64 of 32 bytes; unset = `<dataDir>/evidence.key`. */
  key?: string;
  /** EVIDENCE_KEY_PREVIOUS: the master key being rotated out (still unwraps until re-wrapped). */
  previousKey?: string;
  /** EVIDENCE_QUOTA_INCIDENT_BYTES (default 50 GiB). */
  quotaIncidentBytes?: number;
  /** EVIDENCE_QUOTA_TOTAL_BYTES (default 500 GiB). */
  quotaTotalBytes?: number;
  /** EVIDENCE_UPLOAD_IDLE_HOURS: an open upload that received nothing this long is removed (default 7 days). */
  uploadIdleHours?: number;
}

export const DEFAULT_UPLOAD_IDLE_HOURS = 7 * 24;

export const DEFAULT_QUOTA_INCIDENT_BYTES = 50 * 1024 ** 3;
export const DEFAULT_QUOTA_TOTAL_BYTES = 500 * 1024 ** 3;

export async function openEvidence(opts: {
  sql: Sql;
  docs: DocumentManager;
  outbox: DocOutbox;
  logger: Logger;
  audit: AuditLog;
  dataDir: string;
  settings?: EvidenceSettings;
}): Promise<EvidenceService> {
  const s = opts.settings ?? {};
  const keyring = await loadKeyring({ dataDir: opts.dataDir, envKey: s.key, previous: s.previousKey, logger: opts.logger });
  const files = await createBlobFiles(join(opts.dataDir, 'evidence'));
  return createEvidenceService({
    sql: opts.sql,
    docs: opts.docs,
    outbox: opts.outbox,
    logger: opts.logger,
    audit: opts.audit,
    files,
    keyring,
    quotaIncidentBytes: s.quotaIncidentBytes ?? DEFAULT_QUOTA_INCIDENT_BYTES,
    quotaTotalBytes: s.quotaTotalBytes ?? DEFAULT_QUOTA_TOTAL_BYTES,
  });
}

/**
 * Every hour (or a quarter of the idle time, if shorter), remove the uploads idle past
 * `idleHours`: an upload abandoned half way (a laptop that never came back) would otherwise keep
 * its partial file and hold its size against the quotas for good. The device that still has the
 * file finds its upload gone (404) and starts a new one from its own copy.
 */
export function startUploadExpiry(opts: { evidence: Pick<EvidenceService, 'expireIdleUploads'>; logger: Logger; idleHours?: number }): {
  stop(): Promise<void>;
} {
  const idleMs = (opts.idleHours ?? DEFAULT_UPLOAD_IDLE_HOURS) * 3_600_000;
  const every = Math.min(3_600_000, Math.max(1_000, idleMs / 4));
  let running: Promise<unknown> = Promise.resolve();
  const sweep = (): void => {
    running = opts.evidence.expireIdleUploads(idleMs).catch((e: unknown) => opts.logger.error({ err: e }, 'removing idle evidence uploads failed'));
  };
  sweep();
  const timer = setInterval(sweep, every);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
