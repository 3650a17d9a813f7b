// The model worker: downloads the served model, checks its SHA-256 and decodes it off the page's thread, and sends
// back the file (to keep) and the shard tables (to score with). Errors come back by kind: offline, refused, other.
import { createApi, OfflineError } from '../core/api';
import { ModelRefusedError } from '../core/model';
import { inThreadModelSource, type DecodedModel } from '../core/model-source';
import type { ModelReply, ModelRequest } from './model-messages';

const post = (m: ModelReply) => (self as unknown as Worker).postMessage(m);

self.onmessage = async (ev: MessageEvent<ModelRequest>) => {
  const m = ev.data;
  try {
    const source = inThreadModelSource(createApi({ baseUrl: m.origin, fetch: (i, init) => fetch(i, init) }));
    const result: DecodedModel | undefined = m.type === 'fetch' ? await source.fetchLatest(m.current) : await source.decode(m.stored);
    post({ id: m.id, ok: true, result });
  } catch (err) {
    const kind = err instanceof OfflineError ? 'offline' : err instanceof ModelRefusedError ? 'refused' : 'other';
    post({ id: m.id, ok: false, kind, message: (err as Error).message });
  }
};
