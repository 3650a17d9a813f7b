// Messages between the page and the trainer worker.
import type { RoundRecord } from '../store/store';

/** Page → worker. */
export type ToWorker = { type: 'start'; origin: string; catalogueIds: number[] };

/** Worker → page. */
export type FromWorker = { type: 'status'; state: 'starting' | 'connected' | 'error'; message?: string; backend?: string } | { type: 'round'; record: RoundRecord };
