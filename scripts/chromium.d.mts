export function findChromium(): string | null;
export function findChromiumOrPlaywright(): Promise<string | null>;
export const CHROMIUM_HELP: string;
export const CHROMIUM_ARGS: string[];
