/**
 * Finishes a key rotation at server start, so rotating is only "restart with the new key and the
 * old one as *_PREVIOUS, then restart without the old one": evidence data keys are re-wrapped
 * under the current evidence master key, and every stored secret is re-sealed under the current
 * secrets key. Runs at each start (it is a no-op when nothing is left on an old key) and also
 * reports anything wrapped by a key the server does not hold, which would otherwise only surface
 * when someone tries to download that evidence or run that connector.
 */
import type { AuditLog } from './audit/audit-log.ts';
import { SYSTEM_ACTOR } from './audit/audit-types.ts';
import type { Sql } from './db/connect.ts';
import { rewrapDataKeys, type Keyring } from './evidence/keys.ts';
import type { Logger } from './logger.ts';
import { resealSecrets } from './playbooks/reseal-secrets.ts';
import type { SecretBox } from './playbooks/secret-box.ts';

export interface KeyRotationReport {
  evidence: { blobs: number; uploads: number; unknownKeys: string[]; keyId: string };
  secrets: { resealed: number; unknownKeys: string[]; keyId: string };
}

export async function completeKeyRotation(deps: {
  sql: Sql;
  logger: Logger;
  audit: AuditLog;
  evidenceKeys: Keyring;
  secrets: SecretBox;
}): Promise<KeyRotationReport> {
  const { logger } = deps;
  const evidence = { ...(await rewrapDataKeys(deps.sql, deps.evidenceKeys)), keyId: deps.evidenceKeys.current.id };
  const secrets = { ...(await resealSecrets(deps.sql, deps.secrets)), keyId: deps.secrets.keyId };
  const report = { evidence, secrets };
  const moved = evidence.blobs + evidence.uploads + secrets.resealed;
  if (moved > 0) {
    await deps.audit.append([{ actor: SYSTEM_ACTOR, action: 'keys.rotated', targetType: 'key', details: report }]);
    logger.info(report, 'key rotation: stored evidence data keys and secrets now use the current keys');
  }
  if (evidence.unknownKeys.length > 0) {
    logger.error(
      { keyIds: evidence.unknownKeys },
      'some evidence is wrapped by a master key this server does not have, so it cannot be read: set EVIDENCE_KEY_PREVIOUS to that key and restart',
    );
  } else if (deps.evidenceKeys.byId.size > 1) {
    logger.info({ keyId: evidence.keyId }, 'no evidence uses EVIDENCE_KEY_PREVIOUS any more: remove it once every server runs with the new EVIDENCE_KEY');
  }
  if (secrets.unknownKeys.length > 0) {
    logger.error(
      { keyIds: secrets.unknownKeys },
      'some stored secrets are sealed with a key this server does not have: set SECRETS_KEY_PREVIOUS to that key and restart, or save those secrets again',
    );
  }
  return report;
}
