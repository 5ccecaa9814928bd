export function serverProcessEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export const SERVER_NODE_FLAGS: readonly string[];
