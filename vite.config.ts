// Vite builds the shopper's web app (index.html → client/app/main.ts, and the trainer worker) into dist/app/,
// which `npm start` serves beside the API. Everything comes from this origin (the server's CSP says so).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: '.',
  publicDir: false,
  build: {
    outDir: 'dist/app',
    target: 'es2022',
    // The wasm files of the tfjs backend stay files (the worker fetches them), never inlined data: URLs.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2048,
    // The service worker is a second entry with a fixed name at the root, so its scope is the whole app.
    rollupOptions: {
      input: { main: fileURLToPath(new URL('./index.html', import.meta.url)), sw: fileURLToPath(new URL('./client/app/sw.ts', import.meta.url)) },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  worker: { format: 'es' },
  resolve: { alias: { '@tensorflow/tfjs-node': fileURLToPath(new URL('./client/worker/no-native-tfjs.ts', import.meta.url)) } },
  // Pre-bundled for the dev server (otherwise it reloads on the first load of the worker).
  optimizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'] },
  server: { proxy: { '/v1': { target: 'http://127.0.0.1:8080', ws: true } } },
});
