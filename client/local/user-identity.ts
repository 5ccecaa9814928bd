/**
 * The local user: a name asked once and kept in localStorage (there is no login yet), used as
 * the author of edits and, with a colour derived from it, in awareness (presence and cursors).
 */
import { z } from 'zod';

export interface LocalUser {
  name: string;
  /** Cursor and avatar colour (#rrggbb). */
  color: string;
  /** The same colour, translucent, for selections (#rrggbbaa). */
  colorLight: string;
}

export const USER_STORAGE_KEY = 'sentpilot.user';

export const userNameSchema = z
  .string()
  .trim()
  .min(1, 'Enter your name.')
  .max(60, 'Use at most 60 characters.')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'Control characters are not allowed.');

/** Colours with enough contrast for white initials, distinct at a glance. */
const PALETTE = ['#b42318', '#c4320a', '#8f5b00', '#2f6f1f', '#06776b', '#0b5cad', '#3538cd', '#7a2eb8', '#b0127b', '#475467'] as const;

export function colorFor(name: string): { color: string; colorLight: string } {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  const color = PALETTE[(h >>> 0) % PALETTE.length] ?? PALETTE[0];
  return { color, colorLight: `${color}33` };
}

export function makeUser(name: string): LocalUser {
  return { name, ...colorFor(name) };
}

type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem'>;

export function loadUser(storage: KeyValueStorage): LocalUser | null {
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(USER_STORAGE_KEY) ?? 'null');
  } catch {
    return null;
  }
  const parsed = z.object({ name: userNameSchema }).safeParse(raw);
  return parsed.success ? makeUser(parsed.data.name) : null;
}

/** Validate and store the name; returns the error message to show when it is not acceptable. */
export function saveUser(storage: KeyValueStorage, name: string): { ok: true; user: LocalUser } | { ok: false; error: string } {
  const parsed = userNameSchema.safeParse(name);
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? 'Invalid name.' };
  storage.setItem(USER_STORAGE_KEY, JSON.stringify({ name: parsed.data }));
  return { ok: true, user: makeUser(parsed.data) };
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : [parts[0] ?? '?'];
  return letters.map((p) => [...(p ?? '?')][0]?.toUpperCase() ?? '?').join('');
}
