/**
 * Zod compiles object parsers with `new Function` where it may. The Content-Security-Policy
 * (script-src 'self', no 'unsafe-eval') forbids that, and Zod's probe for it would report a
 * violation on every load; this tells it not to try. Zod decides when a schema is created, so
 * this must run before any module defining one: vite.config.ts bundles it into Zod's own chunk
 * (which every schema module imports), and main.tsx imports it first.
 */
import { z } from 'zod';

z.config({ jitless: true });
