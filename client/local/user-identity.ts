/**
 * The signed-in user as the local core sees it: the display name is the author of edits and,
 * with a colour derived from the user id (stable across renames and devices), the name shown in
 * awareness (presence and cursors).
 */

export interface LocalUser {
  /** The server's user id; null only in tests that need no identity. */
  id: string | null;
  name: string;
  /** Cursor and avatar colour (#rrggbb). */
  color: string;
  /** The same colour, translucent, for selections (#rrggbbaa). */
  colorLight: string;
}

/** Colours with enough contrast for white initials, distinct at a glance. */
const PALETTE = ['#b42318', '#c4320a', '#8f5b00', '#2f6f1f', '#06776b', '#0b5cad', '#3538cd', '#7a2eb8', '#b0127b', '#475467'] as const;

/** A colour picked by a stable hash of `key` (the user id). */
export function colorFor(key: string): { color: string; colorLight: string } {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  const color = PALETTE[(h >>> 0) % PALETTE.length] ?? PALETTE[0];
  return { color, colorLight: `${color}33` };
}

/** The local user of a server account (`id` keys the colour; `display_name` is shown). */
export function localUserOf(user: { id: string; display_name: string }): LocalUser {
  return { id: user.id, name: user.display_name, ...colorFor(user.id) };
}

/** A user with no account behind it (tests, and the moment before the first login). */
export function makeUser(name: string): LocalUser {
  return { id: null, name, ...colorFor(name) };
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : [parts[0] ?? '?'];
  return letters.map((p) => [...(p ?? '?')][0]?.toUpperCase() ?? '?').join('');
}
