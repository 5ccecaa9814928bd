/**
 * Loads the playbook folder: every `*.yaml` / `*.yml` file (not recursive) is parsed with `yaml`
 * (keeping source ranges), validated with the zod schema of shared/playbook.ts, then checked by
 * loader-checks.ts. A file with any problem is refused with every problem listed — file, 1-based
 * line, document path and a precise reason — and never stops the others from loading. Two files
 * with the same playbook id: the first in name order loads, the later one is refused.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { PlaybookProblem } from '../../shared/playbooks-api.ts';
import { playbookSchema, type Playbook } from '../../shared/playbook.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { pathText } from './expr.ts';
import { checkPlaybook, type CompiledPlaybook, type DocPath, type KnownActions } from './loader-checks.ts';

export type { KnownActions } from './loader-checks.ts';

/** A playbook ready for the engine: its definition, file, compiled expressions, step order. */
export interface LoadedPlaybook extends CompiledPlaybook {
  def: Playbook;
  /** File name within the playbook folder. */
  file: string;
}

export interface LoadResult {
  playbooks: LoadedPlaybook[];
  refused: { file: string; problems: PlaybookProblem[] }[];
}

/** Larger files are refused unread: a playbook is a page of YAML, not megabytes. */
const MAX_FILE_BYTES = 256 * 1024;

/** The 1-based line of the node at `path`, or of its nearest existing parent. */
function lineOf(doc: Document, lines: LineCounter, path: DocPath, key?: string): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (!node || typeof node !== 'object') continue;
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return lines.linePos(range[0]).line;
    }
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return lines.linePos(range[0]).line;
  }
  return null;
}

/** "Invalid input: expected string, received undefined" → "missing required field". */
function describeIssue(issue: { code: string; message: string; path: PropertyKey[] }, raw: unknown): string {
  if (issue.code === 'invalid_type') {
    let value: unknown = raw;
    for (const key of issue.path) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    if (value === undefined) return `missing required field "${String(issue.path.at(-1) ?? '')}"`;
  }
  return issue.message;
}

/** Parse and check one playbook file's text. */
export function parsePlaybook(file: string, text: string, knownActions: KnownActions): Result<LoadedPlaybook, PlaybookProblem[]> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problem = (line: number | null, path: string | null, reason: string): PlaybookProblem => ({ file, line, path, reason });
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((e) =>
        problem(e.linePos?.[0].line ?? null, null, `YAML: ${(e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column (\d+):?$/, ' (column $1)')}`),
      ),
    );
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) return err([problem(null, null, 'the file is empty; expected a playbook (id, name, version, steps)')]);

  const parsed = playbookSchema.safeParse(raw);
  if (!parsed.success) {
    return err(
      parsed.error.issues.flatMap((issue) => {
        const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((k) => problem(lineOf(doc, lines, path, k), pathText([...path, k]), `unknown field "${k}"`));
        }
        return [problem(lineOf(doc, lines, path), path.length > 0 ? pathText(path) : null, describeIssue(issue, raw))];
      }),
    );
  }
  const checked = checkPlaybook(parsed.data, knownActions);
  if (!checked.ok) {
    const problems = checked.error.map((p) => problem(lineOf(doc, lines, p.path), pathText(p.path), p.reason));
    return err(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  }
  return ok({ ...checked.value, def: parsed.data, file });
}

/** Load every playbook file of `dir`; a refused file never stops the others. */
export async function loadPlaybooks(dir: string, knownActions: KnownActions): Promise<LoadResult> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    // A missing folder leaves the server running with no playbooks, and says so to admins.
    const reason = `cannot read the playbook folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    return { playbooks: [], refused: [{ file: dir, problems: [{ file: dir, line: null, path: null, reason }] }] };
  }
  const names = entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => e.name)
    .sort();
  const playbooks: LoadedPlaybook[] = [];
  const refused: LoadResult['refused'] = [];
  const byId = new Map<string, LoadedPlaybook>();
  const refuse = (file: string, line: number | null, path: string | null, reason: string): void => {
    refused.push({ file, problems: [{ file, line, path, reason }] });
  };
  for (const file of names) {
    const path = join(dir, file);
    let text: string;
    try {
      const size = (await stat(path)).size;
      if (size > MAX_FILE_BYTES) {
        refuse(file, null, null, `file is ${size} bytes; a playbook may be at most ${MAX_FILE_BYTES}`);
        continue;
      }
      text = await readFile(path, 'utf8');
    } catch (e) {
      refuse(file, null, null, `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      continue;
    }
    const result = parsePlaybook(file, text, knownActions);
    if (!result.ok) {
      refused.push({ file, problems: result.error });
      continue;
    }
    const first = byId.get(result.value.def.id);
    if (first) {
      const lines = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lines });
      refuse(file, lineOf(doc, lines, ['id']), 'id', `playbook id "${first.def.id}" is already used by ${first.file} (loaded first); this file is refused`);
      continue;
    }
    byId.set(result.value.def.id, result.value);
    playbooks.push(result.value);
  }
  return { playbooks, refused };
}
