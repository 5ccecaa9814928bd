export function buildClient(opts?: { force?: boolean }): Promise<boolean>;
export function buildServer(opts?: { force?: boolean }): Promise<boolean>;
