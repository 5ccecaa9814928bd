export function serverProcessEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
