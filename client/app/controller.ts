// The app's state and what the pages can do with it: record events, flip permissions, fetch the model and the
// catalogue (keeping the last good ones for offline use), start and stop the trainer, delete data.
import type { Api } from '../core/api';
import { ModelRefusedError, prepareModel, type LoadedModel } from '../core/model';
import { inThreadModelSource, type ModelSource } from '../core/model-source';
import { OfflineError } from '../core/api';
import { fetchCatalogue, indexCatalogue, type Catalogue } from '../core/catalogue';
import { checkEvent, type ShopEvent } from '../core/events';
import { applyChange, eventAllowed, type PermissionChange, type Permissions } from '../core/permissions';
import type { DeviceStore, SentRecord, StoredIdentity, StoredReceipt } from '../store/store';
import type { DeletionState } from '../deletion/flow';
import { createTrainer, type Trainer } from './trainer';
import { DEFAULT_VARIETY } from '../recommend/variety';

/** Everything a page renders from. */
export interface AppState {
  catalogue: Catalogue | undefined;
  model: LoadedModel | undefined;
  permissions: Permissions;
  events: ShopEvent[];
  notInterested: Set<number>;
  variety: number;
  feedMode: 'personal' | 'popular';
  sent: SentRecord[];
  consentChanges: number;
  receipts: StoredReceipt[];
  identity: StoredIdentity | undefined;
  /** false once the server could not be reached (until it can again). */
  online: boolean;
  /** The last refused model download, in words. */
  modelRefused: string | undefined;
  training: { state: 'off' | 'starting' | 'connected' | 'error'; message?: string };
  /** A recovery code to show once, right after the identity was made. */
  recoveryCode: string | undefined;
  deletion: DeletionState | { phase: 'failed'; message: string } | undefined;
  /** A one-line confirmation shown on the current page until the next navigation ("Added to your cart"). */
  flash: string | undefined;
}

/** The controller the pages call. */
export interface Controller {
  readonly state: AppState;
  readonly store: DeviceStore;
  readonly api: Api;
  /** Re-read the store into the state and re-render. */
  reload(): Promise<void>;
  /** Record an event if its type and categories are in use; returns whether it was recorded. */
  record(event: ShopEvent): Promise<boolean>;
  changePermission(change: PermissionChange): Promise<void>;
  setSetting(key: 'variety' | 'feedMode' | 'language', value: number | string): Promise<void>;
  notInterested(id: number): Promise<void>;
  refreshModel(): Promise<void>;
  /** Stop training and stop keeping anything on this device (before and after a deletion). */
  forget(): void;
  subscribe(render: () => void): void;
  render(): void;
  /** Resolves when start-up's network part (catalogue, model check) has ended, online or not. */
  readonly started: Promise<void>;
}

/** Options of the controller. */
export interface ControllerOptions {
  store: DeviceStore;
  api: Api;
  origin: string;
  now?: () => number;
  trainer?: Trainer;
  /** Where model files are fetched and decoded (the app: a worker; default: this thread). */
  models?: ModelSource;
}

/** Create the controller and load what the device has. */
export async function createController(o: ControllerOptions): Promise<Controller> {
  const now = o.now ?? Date.now;
  const models = o.models ?? inThreadModelSource(o.api, now);
  const listeners: (() => void)[] = [];
  const render = () => listeners.forEach((l) => l());
  const state: AppState = {
    catalogue: undefined,
    model: undefined,
    permissions: await o.store.permissions(),
    events: [],
    notInterested: new Set(),
    variety: DEFAULT_VARIETY,
    feedMode: 'personal',
    sent: [],
    consentChanges: 0,
    receipts: [],
    identity: undefined,
    online: true,
    modelRefused: undefined,
    training: { state: 'off' },
    recoveryCode: undefined,
    deletion: undefined,
    flash: undefined,
  };
  const trainer =
    o.trainer ??
    createTrainer({
      onStatus: (s, message) => {
        state.training = { state: s, ...(message !== undefined && { message }) };
        render();
      },
      onRound: () => {
        // A round the device joined: show it in My data, and fetch the model it made.
        void reload().then(() => refreshModel());
      },
    });

  // After a deletion the device keeps nothing more (not even the public model) until the page is opened again.
  let keeping = true;
  const syncTrainer = () => {
    const want = keeping && state.permissions.uses.contribute && state.identity !== undefined && state.catalogue !== undefined;
    if (want && !trainer.running()) trainer.start({ origin: o.origin, catalogueIds: state.catalogue!.items.map((i) => i.id) });
    if (!want && trainer.running()) {
      trainer.stop();
      state.training = { state: 'off' };
    }
  };

  const reload = async () => {
    const [permissions, events, notInterested, variety, feedMode, sent, consent, receipts, identity] = await Promise.all([
      o.store.permissions(),
      o.store.events(),
      o.store.setting('notInterested'),
      o.store.setting('variety'),
      o.store.setting('feedMode'),
      o.store.sent(),
      o.store.consentLog(),
      o.store.receipts(),
      o.store.identity(),
    ]);
    Object.assign(state, { permissions, events, notInterested: new Set(notInterested ?? []), variety: variety ?? DEFAULT_VARIETY, feedMode: feedMode ?? 'personal', sent, consentChanges: consent.length, receipts, identity });
    syncTrainer();
    render();
  };

  const refreshModel = async () => {
    const before = { online: state.online, refused: state.modelRefused };
    try {
      const fresh = await models.fetchLatest(state.model);
      state.online = true;
      if (!fresh && before.online) return; // nothing new: no re-render
      if (fresh) {
        state.model = prepareModel(fresh.stored, fresh.shards);
        state.modelRefused = undefined;
        if (keeping) await o.store.putModel(fresh.stored);
      }
    } catch (err) {
      if (err instanceof OfflineError) state.online = false;
      else if (err instanceof ModelRefusedError) state.modelRefused = err.message;
      else throw err;
    }
    render();
  };

  // What the device had: the catalogue and the last good model, so it works offline from the start.
  const cachedCatalogue = await o.store.catalogue();
  if (cachedCatalogue) state.catalogue = indexCatalogue(cachedCatalogue.items, cachedCatalogue.categories);
  const cachedModel = await o.store.model();
  if (cachedModel) {
    try {
      const decoded = await models.decode(cachedModel);
      state.model = prepareModel(decoded.stored, decoded.shards);
    } catch (err) {
      state.modelRefused = (err as Error).message;
    }
  }
  await reload();

  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const controller: Controller = {
    started,
    state,
    store: o.store,
    api: o.api,
    reload,
    async record(event) {
      checkEvent(event);
      // A data type switched off, or a category kept out, is not recorded at all.
      if (!eventAllowed(state.permissions, event)) return false;
      await o.store.addEvent(event);
      await reload();
      return true;
    },
    async changePermission(change) {
      const next = applyChange(state.permissions, change);
      await o.store.setPermissions(next, now());
      await reload();
    },
    async setSetting(key, value) {
      if (key === 'variety') await o.store.setSetting('variety', Number(value));
      else if (key === 'feedMode') await o.store.setSetting('feedMode', value === 'popular' ? 'popular' : 'personal');
      else await o.store.setSetting('language', String(value));
      await reload();
    },
    async notInterested(id) {
      await o.store.setSetting('notInterested', [...state.notInterested, id]);
      await reload();
    },
    refreshModel,
    forget() {
      keeping = false;
      syncTrainer();
    },
    subscribe: (l) => listeners.push(l),
    render,
  };

  // The network part of start-up, in the background: a server that is down leaves the device working offline.
  void (async () => {
    try {
      const kept = state.catalogue;
      const catalogue = await fetchCatalogue(o.api, kept);
      state.catalogue = catalogue;
      if (keeping && catalogue !== kept) await o.store.putCatalogue({ items: [...catalogue.items], categories: [...catalogue.categories] });
      syncTrainer();
    } catch (err) {
      if (err instanceof OfflineError) state.online = false;
    }
    render();
    await refreshModel();
  })().finally(markStarted);
  return controller;
}
