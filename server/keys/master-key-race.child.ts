/**
 * Test child of master-key.test.ts: loads the evidence keyring and the secret box (the two users
 * of the master-key loader) from each data folder named on a line of stdin, and prints the key
 * ids it came up with as one JSON line. It prints `ready` first, so the test can send the same
 * folder to several children at once.
 */
import { createInterface } from 'node:readline';
import { loadKeyring } from '../evidence/keys.ts';
import { createLogger } from '../logger.ts';
import { loadSecretBox } from '../playbooks/secret-box.ts';

const logger = createLogger({ level: 'silent' });
const lines = createInterface({ input: process.stdin });
lines.on('line', (dataDir) => {
  Promise.all([loadKeyring({ dataDir, logger }), loadSecretBox({ dataDir })]).then(
    ([ring, box]) => process.stdout.write(`${JSON.stringify({ dataDir, evidence: ring.current.id, secrets: box.keyId })}\n`),
    (e: unknown) => process.stdout.write(`${JSON.stringify({ dataDir, error: e instanceof Error ? e.message : String(e) })}\n`),
  );
});
process.stdout.write('ready\n');
