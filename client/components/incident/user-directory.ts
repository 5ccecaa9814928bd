/**
 * The team directory for the assignee picker (`GET /users/directory`: active members' ids and
 * names), with the last answer kept in localStorage so the picker still lists people offline.
 */
import { createResource, type Resource } from 'solid-js';
import type { DirectoryUser } from '../../../shared/auth-api.ts';
import { userDirectoryResponse } from '../../../shared/auth-api.ts';
import type { AppServices } from '../../app-context.tsx';

const KEY = 'sentpilot.user-directory';

function cached(): DirectoryUser[] {
  try {
    const parsed = userDirectoryResponse.shape.items.safeParse(JSON.parse(localStorage.getItem(KEY) ?? '[]'));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** The directory: the server's when it answers, else the last one this device saw. */
export function createUserDirectory(app: AppServices): Resource<DirectoryUser[]> {
  const [directory] = createResource(async () => {
    const res = await app.admin.userDirectory();
    if (!res.ok) return cached();
    try {
      localStorage.setItem(KEY, JSON.stringify(res.value));
    } catch {
      // Storage full or refused: the picker still works from this answer.
    }
    return res.value;
  });
  return directory;
}

/** The names the picker offers: the directory's, the current assignee's (kept even if gone) and mine, sorted. */
export function assigneeOptions(directory: readonly DirectoryUser[], current: string | null, me: string): string[] {
  const names = new Set(directory.map((u) => u.display_name));
  if (current) names.add(current);
  if (me) names.add(me);
  return [...names].sort((a, b) => a.localeCompare(b));
}
