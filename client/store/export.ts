// "Export my data": everything the device keeps, as one JSON document (the private key excepted).
import { toBase64Url } from '../../shared/protocol/encoding';
import type { DeviceStore, ExportDocument, Settings } from './store';

const SETTING_KEYS: (keyof Settings)[] = ['language', 'variety', 'feedMode', 'notInterested', 'pendingDeletion', 'recoveryAcknowledged'];

/** Gather the export document. */
export async function exportDocument(store: DeviceStore, now: number): Promise<ExportDocument> {
  const [events, permissions, consentLog, sent, identity, receipts, model] = await Promise.all([store.events(), store.permissions(), store.consentLog(), store.sent(), store.identity(), store.receipts(), store.model()]);
  const settings: Partial<Settings> = {};
  for (const key of SETTING_KEYS) {
    const value = await store.setting(key);
    if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
  }
  return {
    format: 'confidant-device-export',
    version: 1,
    exportedAt: now,
    events,
    permissions,
    consentLog,
    sent,
    settings,
    identity: identity ? { publicKey: toBase64Url(identity.publicKey), createdAt: identity.createdAt } : null,
    receipts,
    model: model ? { version: model.version, sha256: model.sha256, bytes: model.bytes.length } : null,
  };
}
