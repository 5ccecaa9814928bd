// `npm start`: build what changed, then run the server (embedded Postgres when DATABASE_URL is unset).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildClient, buildServer } from './build.mjs';
import { SERVER_NODE_FLAGS, serverProcessEnv } from './server-env.mjs';

const root = new URL('..', import.meta.url).pathname;
await buildClient();
await buildServer();
const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--enable-source-maps', join(root, 'dist-server/main.js')], {
  cwd: root,
  stdio: 'inherit',
  env: serverProcessEnv(),
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
