// The demo fleet: simulated people, one per MovieLens user, each running the real device code (its own key,
// consent, store and secure aggregation over its own WebSocket) against a server it reaches only over the network.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Sodium } from '../../shared/secagg/sodium';
import { transparencyResponseSchema } from '../../shared/protocol/http';
import { createApi } from '../core/api';
import { fetchCatalogue, type Catalogue } from '../core/catalogue';
import { defaultPermissions } from '../core/permissions';
import { createMemoryStore } from '../store/memory-store';
import { startDeviceRuntime, type DeviceRuntime } from '../device/runtime';
import { fileSpentModels } from '../rounds/spent-models-file';
import { createTrainingModels } from '../rounds/training-models';
import type { SocketLike } from '../rounds/connection';
import type { RoundRecord } from '../store/store';
import { fleetIdentities, type PersonRatings } from './people';

/** Options of a fleet. */
export interface FleetOptions {
  /** The server's HTTP base URL. */
  baseUrl: string;
  sodium: Sodium;
  people: readonly PersonRatings[];
  /** Where the fleet keeps its keys. */
  stateDir: string;
  log(line: string): void;
  /** Delay before reconnecting a dropped device (ms), doubled per failure up to 30 s. */
  reconnectMs?: number;
  onRound?(user: number, record: RoundRecord): void;
}

/** A running fleet. */
export interface Fleet {
  devices: number;
  shards: number;
  stop(): void;
}

/** The events of one person's device: each rating with its item's categories. */
async function seedStore(person: PersonRatings, catalogue: Catalogue) {
  const store = createMemoryStore();
  for (let n = 0; n < person.items.length; n++) {
    const item = catalogue.byId(person.items[n]!);
    if (!item) continue;
    await store.addEvent({ type: 'rating', item: item.id, categories: [...item.categories], stars: person.stars[n]!, time: Math.round(person.times[n]!) });
  }
  // The simulated owner has allowed training (the demo is labelled as such on the model card).
  const permissions = defaultPermissions();
  permissions.uses.contribute = true;
  await store.setPermissions(permissions, Date.now());
  return store;
}

/** Start every device; resolves once all are connected. */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const api = createApi({ baseUrl: o.baseUrl, fetch });
  const [catalogue, card] = await Promise.all([fetchCatalogue(api), api.json('/v1/transparency', transparencyResponseSchema)]);
  const shards = card.model.shards;
  const identities = fleetIdentities(o.sodium, o.people.map((p) => p.user), shards, o.stateDir);
  const models = createTrainingModels({ baseUrl: o.baseUrl, fetch });
  const wsUrl = `${o.baseUrl.replace(/^http/, 'ws')}/v1/ws`;
  let stopped = false;
  const running = new Map<number, DeviceRuntime>();

  const connect = async (person: PersonRatings, store: Awaited<ReturnType<typeof seedStore>>, backoff: number): Promise<void> => {
    if (stopped) return;
    try {
      // Each simulated device keeps its own durable record of the models it contributed to, beside its key.
      await mkdir(join(o.stateDir, 'spent'), { recursive: true, mode: 0o700 });
      const spent = await fileSpentModels(join(o.stateDir, 'spent', `${person.user}.txt`));
      const device = await startDeviceRuntime({
        baseUrl: o.baseUrl,
        wsUrl,
        fetch,
        createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
        sodium: o.sodium,
        identity: identities.get(person.user)!,
        store,
        spent,
        rowOf: catalogue.rowOf,
        models,
        onRound: (r) => o.onRound?.(person.user, r),
        onError: (err) => o.log(`device of user ${person.user}: ${err.message}`),
      });
      running.set(person.user, device);
      void device.connection.closed.then(({ code, reason }) => {
        running.delete(person.user);
        if (stopped) return;
        o.log(`device of user ${person.user} disconnected (${code} ${reason}); reconnecting`);
        setTimeout(() => void connect(person, store, o.reconnectMs ?? 1000), o.reconnectMs ?? 1000);
      });
    } catch (err) {
      if (stopped) return;
      o.log(`device of user ${person.user}: ${(err as Error).message}; retrying in ${Math.round(backoff / 1000)} s`);
      setTimeout(() => void connect(person, store, Math.min(30_000, backoff * 2)), backoff);
    }
  };

  const stores = await Promise.all(o.people.map((p) => seedStore(p, catalogue)));
  // A few at a time: each is a WebSocket handshake and a signature on the server's event loop.
  for (let n = 0; n < o.people.length; n += 8) {
    await Promise.all(o.people.slice(n, n + 8).map((p, m) => connect(p, stores[n + m]!, o.reconnectMs ?? 1000)));
  }
  return {
    devices: o.people.length,
    shards,
    stop() {
      stopped = true;
      for (const d of running.values()) d.close();
    },
  };
}
