/** Identifiers: incident ids are UUIDv7 made on the device that creates the incident. */
import { v7 as uuidv7, validate, version } from 'uuid';

/** A new time-ordered id (UUIDv7) for an incident, timeline entry or task. */
export function newId(): string {
  return uuidv7();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a lower-case canonical UUID (any version); used to validate document ids. */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value) && validate(value);
}

/** True for a UUIDv7 in canonical lower-case form. */
export function isUuidV7(value: string): boolean {
  return isUuid(value) && version(value) === 7;
}

/** The human key format assigned by the server: IR-<year>-<4+ digits>. */
export const INCIDENT_KEY_RE = /^IR-\d{4}-\d{4,}$/;

export function formatIncidentKey(year: number, n: number): string {
  return `IR-${year}-${String(n).padStart(4, '0')}`;
}
