// The trainer worker: the browser device's whole part in rounds (identity from IndexedDB, the WebSocket, secure
// aggregation, the local update with TensorFlow.js) off the page's thread. It reads the history and permissions
// from IndexedDB at each round, so a switch flipped on the page applies to the very next update.
import sodiumModule from 'libsodium-wrappers';
import { openIdbStore } from '../store/idb-store';
import { startDeviceRuntime } from '../device/runtime';
import { openIdbSpentModels } from '../store/idb-spent-models';
import type { SocketLike } from '../rounds/connection';
import type { FromWorker, ToWorker } from './messages';
import { startBackend } from './backend';

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);
let started = false;

async function start(o: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const [backend] = await Promise.all([startBackend(), sodiumModule.ready]);
  const [store, spent] = await Promise.all([openIdbStore(), openIdbSpentModels()]);
  const identity = await store.identity();
  if (!identity) throw new Error('this device has no identity key yet');
  const rows = new Map(o.catalogueIds.map((id, row) => [id, row]));
  const wsUrl = `${o.origin.replace(/^http/, 'ws')}/v1/ws`;
  let delay = 1000;
  const connect = async (): Promise<void> => {
    try {
      const device = await startDeviceRuntime({
        baseUrl: o.origin,
        wsUrl,
        fetch: (input, init) => fetch(input, init),
        createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
        sodium: sodiumModule,
        identity,
        store,
        spent,
        rowOf: (id) => rows.get(id),
        onRound: (record) => post({ type: 'round', record }),
        onError: (err) => post({ type: 'status', state: 'error', message: err.message }),
      });
      delay = 1000;
      post({ type: 'status', state: 'connected', backend });
      await device.connection.closed;
      post({ type: 'status', state: 'error', message: 'disconnected from the server; reconnecting' });
    } catch (err) {
      post({ type: 'status', state: 'error', message: (err as Error).message });
    }
    // The server may be down: try again, waiting longer each time (up to 30 s).
    setTimeout(() => void connect(), delay);
    delay = Math.min(30_000, delay * 2);
  };
  await connect();
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  if (ev.data.type !== 'start' || started) return;
  started = true;
  start(ev.data).catch((err: unknown) => post({ type: 'status', state: 'error', message: (err as Error).message }));
};
