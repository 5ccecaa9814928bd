// Vite build of the Sentpilot PWA: Solid, and a generated service worker that precaches the app
// shell so the app loads with the network off. In development, /api, /healthz and /sync go to the
// server (SENTPILOT_API, default http://localhost:8080) so `npm run dev` works with hot reload.
// The proxy keeps the browser's Host (no changeOrigin): the server accepts a cookie-authenticated
// write or websocket only from a page of the origin it was reached at (Origin = Host, see
// server/auth/origin-policy.ts and the CSRF guard), and that is the Vite origin here.
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';
import { VitePWA } from 'vite-plugin-pwa';

const api = process.env.SENTPILOT_API ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [
    solid(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      strategies: 'generateSW',
      includeAssets: ['favicon.svg', 'robots.txt', 'icons/apple-touch-icon.png'],
      manifest: {
        name: 'Sentpilot',
        short_name: 'Sentpilot',
        description: 'Local-first incident response: incidents, timelines and tasks that keep working offline.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        theme_color: '#0f2a44',
        background_color: '#f5f7fa',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,txt}'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/sync(\/|$)/, /^\/healthz$/],
        // The first install takes control at once so the very first visit already works offline;
        // later versions wait for the user's "Reload" (registerType: 'prompt').
        clientsClaim: true,
        cleanupOutdatedCaches: true,
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
      },
      devOptions: { enabled: false },
    }),
  ],
  server: {
    proxy: {
      '/api': { target: api },
      '/healthz': { target: api },
      '/sync': { target: api, ws: true },
    },
  },
  preview: {
    proxy: {
      '/api': { target: api },
      '/healthz': { target: api },
      '/sync': { target: api, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      output: {
        // Zod and client/zod-jitless.ts in one chunk, which runs before any module defining a
        // schema: Zod decides at schema creation whether to compile parsers with new Function,
        // which the Content-Security-Policy forbids (and reports).
        manualChunks(id) {
          if (id.includes('/node_modules/zod/') || id.endsWith('/client/zod-jitless.ts')) return 'zod';
          return undefined;
        },
      },
    },
  },
});
