// The model endpoints: the latest model file with an ETag (its SHA-256), its description, readiness.
import { Router, type Request } from 'express';
import { decodeModelHeader } from '../../models/serialize';
import type { Store } from '../store/store';
import { HttpProblem } from './problems';

/** Seconds a client should wait before asking again when there is no model yet. */
const RETRY_AFTER_S = 30;

const noModel = () => new HttpProblem('model.unavailable', 'no model has been published yet', { 'Retry-After': String(RETRY_AFTER_S) });

/**
 * True when If-None-Match names this entity tag (RFC 9110 §13.1.2: weak comparison, `*` matches any).
 * Our tags are hex digests, so no tag contains a comma and a plain split is exact.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((raw) => {
    const tag = raw.trim();
    return tag === '*' || (tag.startsWith('W/') ? tag.slice(2) : tag) === etag;
  });
}

/** GET /ready, /model, /model/info (mounted under /v1). */
export function modelRoutes(store: Store): Router {
  const router = Router();

  router.get('/ready', async (_req, res) => {
    const [latest] = await store.listModelVersions(1);
    if (!latest) throw noModel();
    res.set('Cache-Control', 'no-store').json({ status: 'ready', modelVersion: latest.version });
  });

  router.get('/model', async (req: Request, res) => {
    const model = await store.latestModel();
    if (!model) throw noModel();
    const etag = `"${model.sha256}"`;
    // no-cache: caches may keep the file but must revalidate, so a new version is seen at once.
    res.set({ ETag: etag, 'X-Model-Version': String(model.version), 'Cache-Control': 'no-cache' });
    if (matchesIfNoneMatch(req.get('If-None-Match'), etag)) {
      res.status(304).end();
      return;
    }
    res.type('application/octet-stream').send(Buffer.from(model.data.buffer, model.data.byteOffset, model.data.byteLength));
  });

  router.get('/model/info', async (_req, res) => {
    const model = await store.latestModel();
    if (!model) throw noModel();
    // A stored model that does not decode is our bug: decodeModelHeader throws, and the error handler says 500.
    const { header } = decodeModelHeader(model.data);
    res.set('Cache-Control', 'no-cache').json({
      version: model.version,
      sha256: model.sha256,
      items: header.items,
      dim: header.dim,
      bytes: model.sizeBytes,
      provenance: model.provenance,
    });
  });

  return router;
}
