// The device store in memory: the Node device's (the demo fleet's simulated people) and the tests'.
import { defaultPermissions, clonePermissions, type ConsentLogEntry, type Permissions } from '../core/permissions';
import type { ShopEvent } from '../core/events';
import type { StoredModel } from '../core/model';
import type { DeviceStore, SentRecord, Settings, StoredCatalogue, StoredIdentity, StoredReceipt } from './store';

const copy = <T>(v: T): T => structuredClone(v);

/** A store that lives as long as the process. */
export function createMemoryStore(): DeviceStore {
  let events: ShopEvent[] = [];
  let nextId = 1;
  let permissions: Permissions | undefined;
  let consent: ConsentLogEntry[] = [];
  let sent: SentRecord[] = [];
  let settings: Partial<Settings> = {};
  let model: StoredModel | undefined;
  let catalogue: StoredCatalogue | undefined;
  let identity: StoredIdentity | undefined;
  const receipts: StoredReceipt[] = [];
  return {
    async addEvent(event) {
      const id = nextId++;
      events.push({ ...copy(event), id });
      return id;
    },
    events: async () => copy(events),
    async deleteEvent(id) {
      events = events.filter((e) => e.id !== id);
    },
    async deleteOlderThan(time) {
      const before = events.length;
      events = events.filter((e) => e.time >= time);
      return before - events.length;
    },
    permissions: async () => clonePermissions(permissions ?? defaultPermissions()),
    async setPermissions(next, time) {
      const entry: ConsentLogEntry = { id: consent.length + 1, time, before: clonePermissions(permissions ?? defaultPermissions()), after: clonePermissions(next) };
      permissions = clonePermissions(next);
      consent.push(entry);
      return copy(entry);
    },
    consentLog: async () => copy(consent),
    setting: async (key) => copy(settings[key]),
    async setSetting(key, value) {
      if (value === undefined) delete settings[key];
      else settings[key] = copy(value);
    },
    async putSent(record) {
      const at = record.kind === 'round' ? sent.findIndex((r) => r.kind === 'round' && r.sessionId === record.sessionId) : -1;
      if (at >= 0) sent[at] = { ...copy(record), id: sent[at]!.id! };
      else sent.push({ ...copy(record), id: sent.length + 1 });
    },
    sent: async () => copy(sent),
    model: async () => model && { ...model, bytes: model.bytes.slice() },
    async putModel(m) {
      model = { ...m, bytes: m.bytes.slice() };
    },
    catalogue: async () => copy(catalogue),
    async putCatalogue(c) {
      catalogue = copy(c);
    },
    identity: async () => copy(identity),
    async putIdentity(i) {
      identity = copy(i);
    },
    async addReceipt(r) {
      receipts.push({ ...copy(r), id: receipts.length + 1 });
    },
    receipts: async () => copy(receipts),
    async wipeExceptReceipts() {
      events = [];
      permissions = undefined;
      consent = [];
      sent = [];
      settings = {};
      model = undefined;
      catalogue = undefined;
      identity = undefined;
    },
    close() {},
  };
}
