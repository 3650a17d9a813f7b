// The shopper's web app (the Vite build) served beside the API: files from the build directory, and index.html
// for any other page address the app routes itself. Only GET and HEAD; /v1 is never answered from here.
import path from 'node:path';
import express, { Router } from 'express';

/** Content-Security-Policy of the app: everything from this origin; WebAssembly for the tfjs backend; workers. */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Serve the build in `appDir` (which must hold index.html). */
export function appRoutes(appDir: string): Router {
  const router = Router();
  const index = path.join(appDir, 'index.html');
  router.use((req, res, next) => {
    if (req.path.startsWith('/v1/') || req.path === '/v1') return next();
    res.set({ 'Content-Security-Policy': APP_CSP, 'Referrer-Policy': 'no-referrer', 'Cross-Origin-Opener-Policy': 'same-origin' });
    next();
  });
  // Vite names built assets by content hash: they never change, so caches may keep them for good.
  router.use('/assets', express.static(path.join(appDir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: true, index: false }));
  router.use(express.static(appDir, { index: 'index.html', maxAge: 0, fallthrough: true }));
  router.get('/*splat', (req, res, next) => {
    if (req.path.startsWith('/v1/') || req.path === '/v1' || req.path.startsWith('/assets/')) return next();
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
  return router;
}
