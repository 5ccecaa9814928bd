/**
 * script.run: run a script from the script repository folder (`services.scriptsDir`). The name
 * is a plain file name (no path separators, no leading dot) ending in `.sh` (run with bash) or
 * `.js`/`.mjs` (run with node), and must resolve to a file inside the folder (a symlink out of
 * it is refused). The child gets a clean environment (PATH only), the inputs as JSON on stdin,
 * its own process group (so a timeout kills what it started too: SIGTERM, then SIGKILL after
 * 2 s), and the folder as working directory. stdout (up to 1 MiB) is the output: parsed as JSON
 * when it is JSON, else `{ text }`. A non-zero exit is `script_failed` with the end of stderr.
 * Scripts may change things, so a dry run does not start them and a finished run is recorded
 * once per idempotency key.
 */
import { spawn } from 'node:child_process';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { z } from 'zod';
import { ActionError, defineAction, type ActionContext, type Json } from './types.ts';

const MAX_STDOUT = 1024 * 1024;
const MAX_STDERR = 8 * 1024;
const KILL_GRACE_MS = 2_000;
const SCRIPT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(sh|js|mjs)$/;

const jsonValue: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]));

const scriptRunInput = z
  .object({
    script: z.string().regex(SCRIPT_NAME_RE, 'a file name in the script folder ending in .sh, .js or .mjs (no path)'),
    input: jsonValue.default({}),
  })
  .strict();

async function resolveScript(dir: string, name: string): Promise<string> {
  let root: string;
  let file: string;
  try {
    root = await realpath(dir);
    file = await realpath(join(root, name));
  } catch {
    throw new ActionError('failed', `no script "${name}" in the script folder`);
  }
  if (!file.startsWith(root + sep)) throw new ActionError('failed', `script "${name}" resolves outside the script folder`);
  if (!(await stat(file)).isFile()) throw new ActionError('failed', `script "${name}" is not a file`);
  return file;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  aborted: boolean;
}

function runChild(file: string, cwd: string, stdin: string, ctx: ActionContext): Promise<Finished> {
  const command = file.endsWith('.sh') ? 'bash' : process.execPath;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [file], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    let outSize = 0;
    let err = Buffer.alloc(0);
    let aborted = false;
    let overflow = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      outSize += b.length;
      if (outSize > MAX_STDOUT) {
        if (!overflow) stop();
        overflow = true;
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      // Keep the end: that is where the error usually is.
      err = Buffer.concat([err, b]);
      if (err.length > MAX_STDERR) err = err.subarray(err.length - MAX_STDERR);
    });
    child.stdin.on('error', () => undefined); // a script that does not read its stdin
    child.on('error', (e) => {
      ctx.signal.removeEventListener('abort', onAbort);
      reject(new ActionError('failed', `could not start script: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      // The group may still hold children the script left behind.
      killGroup('SIGKILL');
      if (overflow) return reject(new ActionError('failed', `script output larger than ${MAX_STDOUT} bytes`));
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: err.toString('utf8'), aborted });
    });
    child.stdin.end(stdin);
  });
}

export const scriptRun = defineAction({
  name: 'script.run',
  description: 'Run a Bash or Node script from the script folder (clean environment, inputs as JSON on stdin, output from stdout).',
  input: scriptRunInput,
  effect: true,
  run: async (i, ctx) => {
    const file = await resolveScript(ctx.services.scriptsDir, i.script);
    if (ctx.dryRun) return { dry_run: true, would: { script: i.script, input: i.input } };
    return ctx.effects.once(`script.run ${i.script}`, async () => {
      const r = await runChild(file, ctx.services.scriptsDir, JSON.stringify(i.input), ctx);
      if (r.aborted)
        throw new ActionError('timeout', `script "${i.script}" was stopped: ${ctx.signal.reason instanceof Error ? ctx.signal.reason.message : 'aborted'}`);
      if (r.code !== 0) {
        const how = r.code === null ? `killed by ${r.signal}` : `exited with code ${r.code}`;
        throw new ActionError('script_failed', `script "${i.script}" ${how}${r.stderr.trim() ? `: ${r.stderr.trim().slice(-1_000)}` : ''}`, false, {
          exit_code: r.code,
          stderr: r.stderr,
        });
      }
      const text = r.stdout.trim();
      try {
        return text ? (JSON.parse(text) as Json) : { text: '' };
      } catch {
        return { text: r.stdout };
      }
    });
  },
});
