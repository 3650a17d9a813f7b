// The main thread's handle on the trainer worker: started while "Contribute to training" is on, ended when it is
// switched off. All training, masking and the round's WebSocket run in the worker, off the page's thread.
import type { RoundRecord } from '../store/store';
import type { FromWorker, ToWorker } from '../worker/messages';

/** What the page hears from the trainer. */
export interface TrainerEvents {
  onStatus(state: 'starting' | 'connected' | 'error', message?: string): void;
  onRound(record: RoundRecord): void;
}

/** A running (or stopped) trainer. */
export interface Trainer {
  running(): boolean;
  start(o: { origin: string; catalogueIds: number[] }): void;
  stop(): void;
}

/** Create the handle; `createWorker` makes the worker (Vite bundles it from the URL). */
export function createTrainer(events: TrainerEvents, createWorker: () => Worker = () => new Worker(new URL('../worker/trainer.worker.ts', import.meta.url), { type: 'module', name: 'confidant-trainer' })): Trainer {
  let worker: Worker | undefined;
  return {
    running: () => worker !== undefined,
    start(o) {
      if (worker) return;
      worker = createWorker();
      worker.onmessage = (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        if (m.type === 'status') events.onStatus(m.state, m.message);
        else if (m.type === 'round') events.onRound(m.record);
      };
      worker.onerror = (ev) => events.onStatus('error', ev.message || 'the trainer stopped');
      events.onStatus('starting');
      const message: ToWorker = { type: 'start', origin: o.origin, catalogueIds: o.catalogueIds };
      worker.postMessage(message);
    },
    stop() {
      worker?.terminate();
      worker = undefined;
    },
  };
}
