// The model endpoints: the served model file with an ETag (its SHA-256), its description, readiness, and each
// shard's training model (what devices invited to a round download and check against the invitation's hash).
import { Router, type Request, type Response } from 'express';
import { decodeModelHeader } from '../../models/serialize';
import { splitServedFile } from '../../models/served-file';
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

/** Send a file whose ETag is its SHA-256, or 304 when the client has it. */
function sendTagged(req: Request, res: Response, data: Uint8Array, sha256: string, headers: Record<string, string>): void {
  const etag = `"${sha256}"`;
  // no-cache: caches may keep the file but must revalidate, so a new version is seen at once.
  res.set({ ETag: etag, 'Cache-Control': 'no-cache', ...headers });
  if (matchesIfNoneMatch(req.get('If-None-Match'), etag)) {
    res.status(304).end();
    return;
  }
  res.type('application/octet-stream').send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/** A shard number from the path, or a 404 problem. */
async function shardParam(store: Store, raw: string | undefined): Promise<number> {
  const shard = raw !== undefined && /^[0-9]{1,3}$/.test(raw) ? Number(raw) : NaN;
  const count = (await store.listShards()).length;
  if (!(shard >= 0 && shard < count)) throw new HttpProblem('route.not_found', `there is no shard ${String(raw).slice(0, 16)}; shards are 0..${count - 1}`);
  return shard;
}

/** GET /ready, /model, /model/info, /shards/:shard/model (mounted under /v1). */
export function modelRoutes(store: Store): Router {
  const router = Router();

  router.get('/ready', async (_req, res) => {
    const latest = await store.latestModelInfo();
    if (!latest) throw noModel();
    res.set('Cache-Control', 'no-store').json({ status: 'ready', modelVersion: latest.version });
  });

  router.get('/model', async (req, res) => {
    const model = await store.latestModel();
    if (!model) throw noModel();
    sendTagged(req, res, model.data, model.sha256, { 'X-Model-Version': String(model.version) });
  });

  router.get('/model/info', async (_req, res) => {
    const model = await store.latestModel();
    if (!model) throw noModel();
    // A stored model that does not decode is our bug: the decoders throw, and the error handler says 500.
    const shards = splitServedFile(model.data);
    const { header } = decodeModelHeader(shards[0]!);
    res.set('Cache-Control', 'no-cache').json({
      version: model.version,
      sha256: model.sha256,
      items: header.items,
      dim: header.dim,
      shards: shards.length,
      bytes: model.sizeBytes,
      provenance: model.provenance,
    });
  });

  router.get('/shards/:shard/model', async (req, res) => {
    const shard = await shardParam(store, req.params.shard);
    const checkpoint = await store.currentCheckpoint(shard);
    sendTagged(req, res, checkpoint.training, checkpoint.trainingSha256, { 'X-Shard-Step': `${checkpoint.lineage}.${checkpoint.step}` });
  });

  return router;
}
