/**
 * The zone times are shown in, chosen per user on each device: UTC by default (what incident
 * responders, logs and other teams share), or the device's own zone. Kept in localStorage under
 * the user's id, so it works offline and two people sharing a tablet each keep theirs. Every
 * formatter in time-format.ts reads it, so a change re-renders every time on screen.
 */
import { createSignal } from 'solid-js';

export const UTC = 'UTC';

/** The device's IANA zone ("Europe/Berlin"), or UTC when the browser does not say. */
export function deviceZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || UTC;
  } catch {
    return UTC;
  }
}

/** Whether the runtime knows an IANA zone name. */
function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0 && zone.length <= 64;
  } catch {
    return false;
  }
}

const [zone, setZone] = createSignal(UTC);
let owner: string | null = null;

const keyOf = (userId: string): string => `sentpilot.displayZone.${userId}`;

/** The zone times are shown in now. */
export const displayZone = zone;

/** Load the signed-in user's choice (UTC when none or when storage is unavailable). */
export function loadDisplayZone(userId: string): void {
  owner = userId;
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(keyOf(userId));
  } catch {
    saved = null;
  }
  setZone(saved && isZone(saved) ? saved : UTC);
}

/** Choose the zone (kept for this user on this device). */
export function chooseDisplayZone(next: string): void {
  const z = isZone(next) ? next : UTC;
  setZone(z);
  if (!owner) return;
  try {
    localStorage.setItem(keyOf(owner), z);
  } catch {
    // Private mode or a full quota: the choice lasts until the page closes.
  }
}
