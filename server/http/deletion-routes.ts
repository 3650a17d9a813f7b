// The deletion routes: POST /v1/deletions (a signed request; 200 with the receipt, or 202 with where to ask again),
// GET /v1/deletions/:id (its status and receipt), GET /v1/deletions/log (the receipt chain, no device identifiers).
import { Router } from 'express';
import { deletionLogSchema, deletionRequestSchema, deletionResponseSchema, type DeletionResponse } from '../../shared/protocol/deletion';
import { describeIssue } from '../../shared/protocol/http';
import { ProtocolError } from '../../shared/protocol/errors';
import type { DeletionRecord, Store } from '../store/store';
import type { DeletionService } from '../forgetting/deletion-service';
import { HttpProblem } from './problems';
import { sendJson } from './respond';

const answer = (d: DeletionRecord): DeletionResponse => ({ id: d.id, status: d.status, statusUrl: `/v1/deletions/${d.id}`, ...(d.receipt && { receipt: d.receipt }) });

/** The routes (mounted under /v1). */
export function deletionRoutes(o: { store: Store; service: DeletionService }): Router {
  const router = Router();

  router.post('/deletions', async (req, res) => {
    if (!req.is('application/json')) throw new HttpProblem('message.malformed', 'send the request as application/json');
    const parsed = deletionRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const { path, message } = describeIssue(parsed.error);
      throw new HttpProblem('message.invalid', path ? `${path}: ${message}` : message);
    }
    let result;
    try {
      result = await o.service.request(parsed.data);
    } catch (err) {
      if (err instanceof ProtocolError) throw new HttpProblem(err.code, err.message);
      throw err;
    }
    res.status(result.status);
    if (result.status === 202) res.set('Location', `/v1/deletions/${result.deletion.id}`).set('Retry-After', '5');
    sendJson(res, deletionResponseSchema, answer(result.deletion), 'no-store');
  });

  router.get('/deletions/log', async (_req, res) => {
    const entries = await o.store.receiptChain();
    sendJson(res, deletionLogSchema, { entries }, 'no-cache');
  });

  router.get('/deletions/:id', async (req, res) => {
    const id = req.params.id ?? '';
    const deletion = /^[A-Za-z0-9_-]{22}$/.test(id) ? await o.store.getDeletion(id) : undefined;
    if (!deletion) throw new HttpProblem('route.not_found', 'no deletion with that id');
    sendJson(res, deletionResponseSchema, answer(deletion), 'no-store');
  });

  return router;
}
