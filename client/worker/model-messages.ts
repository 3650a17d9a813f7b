// Messages between the page and the model worker.
import type { StoredModel } from '../core/model';
import type { DecodedModel } from '../core/model-source';

/** Page → worker. */
export type ModelRequest = { id: number; origin: string } & ({ type: 'fetch'; current: { sha256: string } | undefined } | { type: 'decode'; stored: StoredModel });

/** Worker → page. */
export type ModelReply = { id: number; ok: true; result: DecodedModel | undefined } | { id: number; ok: false; kind: 'offline' | 'refused' | 'other'; message: string };
