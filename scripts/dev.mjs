// `npm run dev`: the server restarted on change (tsx watch) and the client with hot reload (vite),
// which proxies /api, /healthz and /sync to the server.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { serverProcessEnv } from './server-env.mjs';

const root = new URL('..', import.meta.url).pathname;
const port = process.env.PORT ?? '8080';
const procs = [
  spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'watch', '--clear-screen=false', 'server/main.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: serverProcessEnv({ ...process.env, PORT: port }),
  }),
  spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SENTPILOT_API: `http://localhost:${port}` },
  }),
];
const stop = (sig) => procs.forEach((p) => p.kill(sig));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stop(sig));
for (const p of procs)
  p.on('exit', (code) => {
    stop('SIGTERM');
    process.exitCode = code ?? 0;
  });
