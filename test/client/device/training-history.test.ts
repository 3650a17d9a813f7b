// What is switched off takes no part in the local update: the update computed with a category switched off equals,
// exactly, the update computed from the history without that category's events (the real update code, tfjs).
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { initBackend } from '../../../models/backend';
import { encodeModel } from '../../../models/serialize';
import { createUpdateComputer } from '../../../client/rounds/model-update';
import { trainingHistory } from '../../../client/device/training-history';
import { createMemoryStore } from '../../../client/store/memory-store';
import { applyChange, defaultPermissions, type Permissions } from '../../../client/core/permissions';
import type { ShopEvent } from '../../../client/core/events';
import type { Invitation } from '../../../client/rounds/participant';
import { catalogue, event, model } from '../fixtures';

const file = encodeModel(model(21));
const fetch = (async (url: string) => (url.endsWith('/v1/shards/0/model') ? new Response(file.slice()) : new Response('', { status: 404 }))) as typeof globalThis.fetch;
const invitation = { sessionId: 's', round: 1, shard: 0, modelVersion: 1, modelHash: sha256(file), config: { localEpochs: 2, localLearningRate: 0.05 } } as unknown as Invitation;

async function update(events: ShopEvent[], permissions: Permissions, notInterested: number[] = []): Promise<Float32Array> {
  const store = createMemoryStore();
  for (const e of events) await store.addEvent(e);
  await store.setPermissions(permissions, 1);
  await store.setSetting('notInterested', notInterested);
  return createUpdateComputer({ baseUrl: '', fetch, history: () => trainingHistory(store, catalogue.rowOf) })(invitation);
}

const events = [event('rating', 0, 1, 5), event('rating', 3, 2, 4), event('rating', 31, 3, 5), event('purchase', 12, 4), event('view', 22, 5), event('rating', 25, 6, 4.5)];
const contributing = applyChange(defaultPermissions(), { kind: 'use', use: 'contribute', on: true });

describe('the local update sees only what is switched on', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('Sci-Fi switched off: the update equals, value for value, the update of the history without Sci-Fi events', async () => {
    const off = applyChange(contributing, { kind: 'category', category: 'Sci-Fi', on: false });
    const withSwitch = await update(events, off);
    const withoutEvents = await update(events.filter((e) => !e.categories.includes('Sci-Fi')), contributing);
    expect(withSwitch).toEqual(withoutEvents);
    // And the switch did something: with Sci-Fi on, the update differs.
    expect(await update(events, contributing)).not.toEqual(withSwitch);
  });

  it('a data type switched off, or an item marked not interested: the same exactness', async () => {
    const noViews = applyChange(contributing, { kind: 'type', type: 'view', on: false });
    expect(await update(events, noViews)).toEqual(await update(events.filter((e) => e.type !== 'view'), contributing));
    const target = events[4]!.item!;
    expect(await update(events, contributing, [target])).toEqual(await update(events.filter((e) => e.item !== target), contributing));
  });
});
