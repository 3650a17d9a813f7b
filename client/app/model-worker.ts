// The page's side of the model worker: a ModelSource whose work runs in client/worker/model.worker.ts.
import { OfflineError } from '../core/api';
import { ModelRefusedError, type StoredModel } from '../core/model';
import type { DecodedModel, ModelSource } from '../core/model-source';
import type { ModelReply, ModelRequest } from '../worker/model-messages';

/** A ModelSource backed by one long-lived worker. */
export function workerModelSource(origin: string): ModelSource {
  const worker = new Worker(new URL('../worker/model.worker.ts', import.meta.url), { type: 'module', name: 'confidant-model' });
  const waiting = new Map<number, { resolve: (r: DecodedModel | undefined) => void; reject: (e: Error) => void }>();
  let next = 1;
  worker.onmessage = (ev: MessageEvent<ModelReply>) => {
    const m = ev.data;
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.result);
    else w.reject(m.kind === 'offline' ? new OfflineError(m.message) : m.kind === 'refused' ? new ModelRefusedError(m.message) : new Error(m.message));
  };
  const ask = (request: { type: 'fetch'; current: { sha256: string } | undefined } | { type: 'decode'; stored: StoredModel }) =>
    new Promise<DecodedModel | undefined>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id, origin } as ModelRequest);
    });
  return {
    fetchLatest: (current) => ask({ type: 'fetch', current }),
    decode: async (stored) => (await ask({ type: 'decode', stored }))!,
  };
}
